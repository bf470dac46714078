"""The reliability soak's short form (issue 12, point 2): the same driver as ``make soak``, with 60
opportunities, 20% NetSuite faults, and a django-q2 cluster and the web server killed with SIGKILL mid-run.

The driver runs as its own process with its own stack (simulators, gunicorn, qcluster). It is a test of
the production combination: it runs when the suite runs on PostgreSQL, on a fresh database of its own
(dropped afterwards) with Redis as the broker (``TEST_SOAK_REDIS_URL``, default db 7, flushed; the ORM
broker when Redis is down), so CI runs it once, in its PostgreSQL stage. On SQLite it is skipped unless
``RELIABILITY_SOAK=1`` (then on a throw-away SQLite file with the ORM broker).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.driver import on_postgresql, redis_up

ROOT = Path(__file__).resolve().parents[2]
OPPORTUNITIES = 60
REDIS_URL = os.environ.get("TEST_SOAK_REDIS_URL", "redis://127.0.0.1:6379/7")

pytestmark = [
    pytest.mark.skipif(
        not on_postgresql() and os.environ.get("RELIABILITY_SOAK") != "1",
        reason="the soak runs on PostgreSQL (with Redis): once per CI; RELIABILITY_SOAK=1 runs it on SQLite",
    ),
    pytest.mark.database,  # runs in the PostgreSQL stage (tests/database_stage.py)
]


def test_every_opportunity_ends_synced_once_or_queued_through_faults_and_kills(
    tmp_path: Path, soak_database_url: str
) -> None:
    out = tmp_path / "soak.json"
    command = [
        sys.executable,
        "-m",
        "bench.soak",
        "--opportunities",
        str(OPPORTUNITIES),
        "--fault-rate",
        "0.2",
        "--waves",
        "4",
        "--wave-seconds",
        "3",  # the first kill's lease (5 s) runs out while later waves still arrive
        "--lease-seconds",
        "5",
        "--clusters",
        "1",  # SQLite (RELIABILITY_SOAK=1) takes one writer at a time: few workers
        "--q-workers",
        "2",
        "--settle-timeout",
        "420",
        "--var-dir",
        str(tmp_path / "stack"),
        "--json",
        str(out),
    ]
    if soak_database_url:
        command += ["--database-url", soak_database_url]
        if redis_up(REDIS_URL):
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()  # a broker queue of our own, empty
            command += ["--redis-url", REDIS_URL]
    # Not the test settings' environment: the driver's stack runs real workers (tests set Q_SYNC=1).
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "Q_SYNC")}
    env["PYTHONPATH"] = str(ROOT)
    finished = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=660, check=False
    )
    assert out.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    report: dict[str, Any] = json.loads(out.read_text())
    check = report["check"]
    if not report["settled"]:  # the whole picture, untruncated: what settling saw, each log's end
        pytest.fail(json.dumps([report["last_state"], _log_tails(tmp_path / "stack" / "logs")], indent=1))
    assert check["violations"] == {}, check
    # Every opportunity is accounted for: synced exactly once, or waiting in the exception queue.
    assert check["opportunities"] == OPPORTUNITIES
    assert check["synced_once"] + check["in_exception_queue"] == OPPORTUNITIES
    assert check["synced_once"] >= OPPORTUNITIES * 0.9  # transient faults are retried, not given up on
    assert check["lost"]["count"] == check["duplicated_orders"]["count"] == 0
    assert check["inbox_unfinished"]["count"] == 0 and check["inbox_rows"] >= OPPORTUNITIES
    assert check["xref_checked"] >= OPPORTUNITIES and check["xref_mismatched"]["count"] == 0
    # The run was what it claims: faults were injected, both kills happened, the worker mid-batch.
    faults = {k: v for k, v in report["netsuite_stats"]["counters"].items() if k.startswith("fault_")}
    assert sum(faults.values()) > 30, faults
    killed = {kill["component"]: kill for kill in report["kills"]}
    assert set(killed) == {"worker-0", "web"}
    assert killed["worker-0"]["claimed_rows"] > 0
    # The killed worker's claimed rows came back after their lease and were processed.
    assert report["pipeline"]["reclaimed_rows"] >= killed["worker-0"]["claimed_rows"]
    assert finished.returncode == 0, finished.stdout[-3000:]


def _log_tails(logs: Path) -> dict[str, str]:
    """The end of each process's log, for a failure's message."""
    return {path.name: path.read_text(errors="replace")[-1500:] for path in sorted(logs.glob("*.log"))}
