"""CI's two stages (``CONCORD_CI_STAGE``, tests/database_stage.py): PostgreSQL runs the transactional tests,
SQLite every other one, both the tests marked ``database``; each test runs at least once; a module that
looks database-specific without the marker stops the run instead of losing its tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from tests.database_stage import unmarked_stage_modules

ROOT = Path(__file__).resolve().parents[1]
# The samples' tell-tale calls, split so that this module itself does not look like one that reads the
# stage's environment (its tests need no database and run in the SQLite stage only).
READS_THE_URL = "os.environ" + '.get("DATABASE_URL", "")'
OPENS_REDIS = "redis.Redis" + '.from_url("redis://127.0.0.1:6379/0")'
BRANCHES = "connection" + ".vendor"

SAMPLE = """
import pytest
from django.test import SimpleTestCase, TestCase, TransactionTestCase


@pytest.fixture
def world(db):
    return None


def test_plain():
    assert True


def test_with_db(db):
    pass


def test_with_transactional_db(transactional_db):
    pass


@pytest.mark.django_db(transaction=True)
def test_with_the_transaction_marker():
    pass


def test_with_a_live_server(live_server):
    pass


def test_through_a_fixture(world):
    pass


def test_through_a_persona(revops):
    pass


@pytest.mark.django_db
def test_with_the_marker():
    pass


@pytest.mark.database
def test_marked_for_the_stage():
    pass


@pytest.mark.parametrize("n", [1, 2])
def test_plain_parametrized(n):
    pass


class TestInACase(TestCase):
    def test_case(self):
        pass


class TestInATransactionCase(TransactionTestCase):
    def test_case(self):
        pass


class TestInASimpleCase(SimpleTestCase):
    def test_case(self):
        pass
"""


def collect(tmp_path: Path, stage: str = "postgresql") -> subprocess.CompletedProcess[str]:
    """``CONCORD_CI_STAGE=<stage> pytest --collect-only`` of the modules in ``tmp_path``, with the suite's
    conftest (its hook and personas)."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env.update(PYTHONPATH=str(ROOT), CONCORD_CI_STAGE=stage)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def collected(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {line.split("::", 1)[1] for line in result.stdout.splitlines() if "::" in line}


TRANSACTIONAL = {
    "test_with_transactional_db",
    "test_with_the_transaction_marker",
    "test_with_a_live_server",
    "TestInATransactionCase::test_case",
}
EVERY_TEST = TRANSACTIONAL | {
    "test_plain",
    "test_with_db",
    "test_through_a_fixture",
    "test_through_a_persona",
    "test_with_the_marker",
    "test_marked_for_the_stage",
    "test_plain_parametrized[1]",
    "test_plain_parametrized[2]",
    "TestInACase::test_case",
    "TestInASimpleCase::test_case",
}


def test_postgresql_runs_the_transactional_tests_and_the_marked_ones(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")

    selected = collect(tmp_path, "postgresql")

    assert selected.returncode == 0, selected.stdout + selected.stderr
    assert collected(selected) == TRANSACTIONAL | {"test_marked_for_the_stage"}
    assert "5/14 tests collected (9 deselected)" in selected.stdout


def test_sqlite_runs_every_other_test_so_each_runs_once_and_the_marked_ones_twice(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")

    sqlite = collected(collect(tmp_path, "sqlite"))
    postgresql = collected(collect(tmp_path, "postgresql"))

    assert sqlite == EVERY_TEST - TRANSACTIONAL
    assert sqlite | postgresql == EVERY_TEST
    assert sqlite & postgresql == {"test_marked_for_the_stage"}


def test_an_unknown_stage_is_refused(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")

    result = collect(tmp_path, "mysql")

    assert result.returncode == 4, result.stdout + result.stderr
    assert "CONCORD_CI_STAGE must be one of sqlite, postgresql" in result.stdout + result.stderr


def test_a_transactional_module_branching_on_sqlite_without_the_marker_stops_the_sqlite_stage(
    tmp_path: Path,
) -> None:
    branches = (
        "import pytest\nfrom django.db import connection\n\n\n"
        f'@pytest.mark.skipif({BRANCHES} == "postgresql", reason="SQLite\'s own")\n'
        "def test_it(transactional_db):\n    pass\n"
    )
    (tmp_path / "test_branches.py").write_text(branches, encoding="utf-8")
    postgresql_only = branches.replace('== "postgresql", reason="SQLite\'s own"', '!= "postgresql"')
    (tmp_path / "test_postgresql_only.py").write_text(postgresql_only, encoding="utf-8")

    result = collect(tmp_path, "sqlite")

    assert result.returncode == 4, result.stdout + result.stderr
    assert "test_branches.py" in result.stderr and "test_postgresql_only.py" not in result.stderr


def test_a_module_reading_the_stage_s_database_url_without_the_marker_stops_the_run(tmp_path: Path) -> None:
    reads = f"import os\nURL = {READS_THE_URL}\n\n\ndef test_it():\n    assert URL\n"
    (tmp_path / "test_stage.py").write_text(reads, encoding="utf-8")

    result = collect(tmp_path, "postgresql")

    assert result.returncode == 4, result.stdout + result.stderr
    assert "mark them pytest.mark.database" in result.stderr and "test_stage.py" in result.stderr


def test_the_safety_net_names_only_modules_that_read_the_stage_s_environment(tmp_path: Path) -> None:
    reads = tmp_path / "test_reads.py"
    reads.write_text(f"import redis\nBROKER = {OPENS_REDIS}\n", encoding="utf-8")
    plain = tmp_path / "test_plain.py"
    plain.write_text("def test_it():\n    assert 1 + 1 == 2\n", encoding="utf-8")

    dropped = [SimpleNamespace(path=plain), SimpleNamespace(path=reads), SimpleNamespace(path=reads)]

    assert unmarked_stage_modules(dropped) == [reads]  # type: ignore[arg-type]
    assert unmarked_stage_modules([SimpleNamespace(path=plain)]) == []  # type: ignore[list-item]
