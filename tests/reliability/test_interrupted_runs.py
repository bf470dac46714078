"""A reconciliation run whose worker is SIGKILLed mid-run is found by the reconciliation sweep and run
again to the end, with real ``manage.py qcluster`` processes (issue 18, point 7).

On the ORM broker (a SQLite file, or a fresh PostgreSQL database when the suite runs on PostgreSQL) and
on Redis (``TEST_REDIS_URL``, flushed; skipped when Redis is down), whose pop-without-acknowledgement
would otherwise lose the run for good. The driver is tests/reliability/reconciliation_kill.py, in its
own process with its own stack.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


REDIS = pytest.param(
    "redis", marks=pytest.mark.skipif(not _redis_up(), reason=f"Redis is not reachable at {REDIS_URL}")
)


def _drive(broker: str, database_url: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "tests.reliability.reconciliation_kill",
        "--var-dir",
        str(tmp_path / "stack"),
        "--json",
        str(out),
    ]
    if database_url:
        command += ["--database-url", database_url]
    if broker == "redis":
        command += ["--redis-url", REDIS_URL]
    # Not the test settings' environment: the driver's stack runs real workers (tests set Q_SYNC=1).
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "Q_SYNC", "REDIS_URL")}
    env["PYTHONPATH"] = str(ROOT)
    finished = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    logs = {
        p.name: p.read_text(errors="replace")[-1500:]
        for p in sorted((tmp_path / "stack" / "logs").glob("*.log"))
    }
    assert out.exists(), finished.stdout[-3000:] + finished.stderr[-3000:] + json.dumps(logs)
    report: dict[str, Any] = json.loads(out.read_text())
    return report


@pytest.mark.parametrize("broker", ["orm", REDIS])
def test_a_killed_reconciliation_run_is_marked_interrupted_and_run_again(
    broker: str, soak_database_url: str, tmp_path: Path
) -> None:
    report = _drive(broker, soak_database_url, tmp_path)
    killed = report["kill"]
    assert killed, f"the run finished before it could be killed: {report}"
    runs = {run["pk"]: run for run in report["runs"]}
    dead = runs[killed["run"]]
    assert dead["status"] == "interrupted" and dead["error"].startswith("Interrupted"), report
    assert report["found"]["interrupted"] == [killed["run"]], report
    (rerun,) = report["found"]["rerun"]
    assert runs[rerun]["status"] == "succeeded", report
    # Nothing else was left queued or running: the check is whole again.
    assert sorted(run["status"] for run in report["runs"]) == ["interrupted", "succeeded"], report
