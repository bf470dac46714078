# Concord: `make demo` runs the console on this machine, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two workers (this machine has two cores); the browser journeys share one xdist group (--dist loadgroup).
PYTEST_WORKERS ?= -n 2 --dist loadgroup
PYTEST_ARGS ?=

.PHONY: venv demo test lint pytest migrate constraints

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml or the pins changed since the last install. constraints.txt pins every
# package to the versions CI tested.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --upgrade "pip>=24" "setuptools>=77" -c constraints.txt
	$(BIN)/python -m pip install -e ".[dev]" -c constraints.txt
	touch $(STAMP)

# After an upgrade in .venv that passed `make test`: pin what is installed now.
constraints: venv
	{ echo "# What CI tests: every package of .venv, pinned (\`make venv\` installs with -c constraints.txt)."; \
	  echo "# Regenerate after an upgrade that passed \`make test\`: make constraints"; \
	  $(BIN)/python -m pip freeze --all --exclude-editable | grep -v '^#'; } > constraints.txt

var:
	mkdir -p var

# Other ports or interface: make demo PORT=8001 SF_PORT=9443 NS_PORT=9444 HOST=127.0.0.1
HOST ?= 127.0.0.1
PORT ?= 8000
SF_PORT ?= 8443
NS_PORT ?= 8444

demo: venv var
	DEBUG=1 $(BIN)/python manage.py demo --host $(HOST) --port $(PORT) --salesforce-port $(SF_PORT) --netsuite-port $(NS_PORT)

migrate: venv var
	DEBUG=1 $(BIN)/python manage.py migrate

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports  # the layering: pyproject.toml [tool.importlinter]

pytest: venv
	$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: lint pytest

# The full reliability soak (bench/soak.py, issue 12): 5,000 opportunities, 20% NetSuite faults, a worker
# and the web server killed mid-run. PostgreSQL + Redis recommended, e.g.
#   make soak SOAK_ARGS="--database-url postgres://postgres@127.0.0.1:5432/concord_soak --redis-url redis://127.0.0.1:6379/2"
# (the database is created when missing and must be empty). See `python -m bench.soak --help` for N,
# fault rates, workers and the lease.
SOAK_ARGS ?=
.PHONY: soak
soak: venv
	PYTHONPATH=. $(BIN)/python -m bench.soak $(SOAK_ARGS)
