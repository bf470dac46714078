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


def redis_broker(url: str) -> ParameterSet:
    """The ``"redis"`` broker parameter, skipped when nothing answers at ``url``."""
    try:
        import redis

        up = bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:
        up = False
    return pytest.param("redis", marks=pytest.mark.skipif(not up, reason=f"Redis is not reachable at {url}"))


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
