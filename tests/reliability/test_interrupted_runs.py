"""A reconciliation run whose worker is SIGKILLed mid-run is found by the reconciliation sweep and run
again to the end, with real ``manage.py qcluster`` processes (issue 18, point 7).

Each shipped combination once (tests/reliability/driver.py ``brokers``): the ORM broker on a SQLite file
(the embedded install) when the suite runs on SQLite; Redis (``TEST_REDIS_URL``, flushed; skipped when
Redis is down), whose pop-without-acknowledgement would otherwise lose the run for good, on a fresh
PostgreSQL database (production) when it runs on PostgreSQL; ``RELIABILITY_BROKERS=orm,redis`` runs
both. The driver is tests/reliability/reconciliation_kill.py, in its own process with its own stack;
once the run is killed it drops the simulators' latency, so the re-run is not spent waiting.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.driver import brokers, driver_run

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
BROKERS = brokers(REDIS_URL)

pytestmark = pytest.mark.database  # the broker variant follows the stage (tests/database_stage.py)


def _drive(broker: str, database_url: str, tmp_path: Path) -> dict[str, Any]:
    return driver_run(
        "tests.reliability.reconciliation_kill",
        [],
        broker=broker,
        redis_url=REDIS_URL,
        database_url=database_url,
        tmp_path=tmp_path,
        timeout=180,
    )


@pytest.mark.parametrize("broker", BROKERS)
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
