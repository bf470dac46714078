"""The container, compose and systemd definitions all start Concord through deploy/entrypoint.sh.

Docker is not available where the suite runs: the compose file is checked by reading it, and the image by
its Dockerfile's lines; tests/deploy/test_production_stack.py runs the entrypoint itself."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
SUBCOMMANDS = {"setup", "web", "worker", "scheduler"}


def test_the_entrypoint_is_valid_sh_and_refuses_an_unknown_process() -> None:
    subprocess.run(["/bin/sh", "-n", str(ENTRYPOINT)], check=True)
    answer = subprocess.run(["/bin/sh", str(ENTRYPOINT), "serve"], capture_output=True, text=True)
    assert answer.returncode == 64
    assert "setup|web|worker|scheduler|manage" in answer.stderr


def test_the_image_runs_the_entrypoint() -> None:
    lines = (DEPLOY / "docker" / "Dockerfile").read_text().splitlines()
    assert "COPY deploy/entrypoint.sh /usr/local/bin/concord-entrypoint" in lines
    assert 'ENTRYPOINT ["concord-entrypoint"]' in lines
    assert any("-c constraints.txt" in line for line in lines)  # the image installs what CI tested


def test_every_compose_service_of_concord_is_the_entrypoint_and_the_stack_is_complete() -> None:
    compose = yaml.safe_load((DEPLOY / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"setup", "web", "worker", "scheduler", "postgres", "redis"}
    concord = {name: service for name, service in services.items() if "build" in service}
    assert set(concord) == {"setup", "web", "worker", "scheduler"}
    for name, service in concord.items():
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert service["command"] == [name], name  # the image's ENTRYPOINT is deploy/entrypoint.sh
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:")
    for name in ("web", "worker", "scheduler"):
        assert concord[name]["depends_on"] == {"setup": {"condition": "service_completed_successfully"}}
    assert str(concord["worker"]["deploy"]["replicas"]).startswith("${CONCORD_WORKERS")
    assert "CONCORD_ADMIN_USERNAME" in concord["setup"]["environment"]
    assert "CONCORD_ADMIN_USERNAME" not in concord["web"]["environment"]


def test_every_systemd_unit_runs_the_entrypoint() -> None:
    units = {path.name: path for path in (DEPLOY / "systemd").glob("*.service")}
    assert set(units) == {
        "concord-setup.service",
        "concord-web.service",
        "concord-worker@.service",
        "concord-scheduler.service",
    }
    for name, path in units.items():
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(path)
        program, process = unit["Service"]["ExecStart"].split()
        assert program == "/opt/concord/entrypoint.sh", name
        assert process == name.removeprefix("concord-").split("@")[0].split(".")[0], name
        assert unit["Service"]["EnvironmentFile"] == "/etc/concord/concord.env"
        if process != "setup":
            assert unit["Unit"]["Requires"] == "concord-setup.service"
