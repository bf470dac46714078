"""Running a reliability driver (its own stack of real workers) in a process of its own, for the tests.

A driver is a module run as ``python -m <module> ... --var-dir <dir> --json <report>``: it starts its
stack under ``<dir>``, does its damage and writes a JSON report. Used by the interrupted-work tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet

ROOT = Path(__file__).resolve().parents[2]


def on_postgresql() -> bool:
    """Whether the suite runs on PostgreSQL (``DATABASE_URL``), not on its SQLite file."""
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def redis_up(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def brokers(redis_url: str) -> list[ParameterSet]:
    """The broker parameters (``"orm"``, ``"redis"``) of this run.

    Concord ships two combinations: SQLite with the ORM broker (the embedded install) and PostgreSQL with
    Redis (production). Each runs where the suite's database is its own: ``orm`` when the suite runs on
    SQLite, ``redis`` on PostgreSQL, so CI's two stages test each real combination once.
    ``RELIABILITY_BROKERS=orm,redis`` runs both (e.g. to try the ORM broker on PostgreSQL); ``redis``
    is skipped when nothing answers at ``redis_url``.
    """
    chosen = os.environ.get("RELIABILITY_BROKERS", "")
    names = [n.strip() for n in chosen.split(",") if n.strip()] or (["redis"] if on_postgresql() else ["orm"])
    params = []
    for name in names:
        if name == "redis":
            up = redis_up(redis_url)
            skip = pytest.mark.skipif(not up, reason=f"Redis is not reachable at {redis_url}")
            # Each driver flushes its Redis db: the group runs them one after the other on one worker.
            params.append(pytest.param("redis", marks=[skip, pytest.mark.xdist_group("reliability-redis")]))
        elif name == "orm":
            params.append(pytest.param("orm"))  # a database of its own each: no group needed
        else:
            raise ValueError(f"RELIABILITY_BROKERS: unknown broker {name!r} (orm, redis)")
    return params


def driver_run(
    module: str,
    args: list[str],
    *,
    broker: str,
    redis_url: str,
    database_url: str,
    tmp_path: Path,
    timeout: float,
) -> dict[str, Any]:
    """Run the driver ``module`` on ``broker`` (``orm`` or ``redis``) and return its report, with the end
    of each of its stack's logs under ``"logs"``; fail with what it printed when it wrote no report."""
    out = tmp_path / "report.json"
    command = [sys.executable, "-m", module, *args, "--var-dir", str(tmp_path / "stack"), "--json", str(out)]
    if database_url:
        command += ["--database-url", database_url]
    if broker == "redis":
        command += ["--redis-url", redis_url]
    # Not the test settings' environment: the driver's stack runs real workers (tests set Q_SYNC=1).
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "Q_SYNC", "REDIS_URL")}
    env["PYTHONPATH"] = str(ROOT)
    finished = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    logs = {
        p.name: p.read_text(errors="replace")[-1500:]
        for p in sorted((tmp_path / "stack" / "logs").glob("*.log"))
    }
    assert out.exists(), finished.stdout[-3000:] + finished.stderr[-3000:] + json.dumps(logs)
    report: dict[str, Any] = json.loads(out.read_text())
    report["logs"] = logs
    return report
