"""Nothing stays "running" for ever (issue 18, point 7), with real ``manage.py qcluster`` processes.

A backfill runs in batches on a django-q2 cluster, and its worker dies mid-batch: SIGKILL, or a
``Q_TIMEOUT`` shorter than the batch. The interrupted-work sweep (run every second by the driver, as
the schedule runs it every minute) must mark the batch's job and the backfill interrupted, and the
backfill must resume from its cursor and finish: every opportunity synced once, one sales order each.

Each shipped combination once (tests/reliability/driver.py ``brokers``): the ORM broker on a SQLite file
(the embedded install) when the suite runs on SQLite, Redis (``TEST_REDIS_URL``, default db 6, flushed;
skipped when Redis is down) on a fresh PostgreSQL database (production) when it runs on PostgreSQL;
``RELIABILITY_BROKERS=orm,redis`` runs both. The driver is bench/interrupted.py, in its own process with
its own stack; once the damage is done it drops NetSuite's latency, so the resume is not spent waiting.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.driver import brokers, driver_run

pytestmark = pytest.mark.database  # the broker variant follows the stage (tests/database_stage.py)
OPPORTUNITIES = 16
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")
BROKERS = brokers(REDIS_URL)


# Kill: batches of 4, the worker killed while one is part-way. Time-out: one batch of all 16, far
# longer than Q_TIMEOUT (4 s): it must shrink (16 -> 8 -> 4) until a batch fits.
SCENARIOS = {
    "kill": ["--batch", "4"],
    "timeout": ["--batch", str(OPPORTUNITIES), "--q-timeout", "4"],
}


def _drive(scenario: str, broker: str, database_url: str, tmp_path: Path) -> dict[str, Any]:
    args = ["--scenario", scenario, "--opportunities", str(OPPORTUNITIES), *SCENARIOS[scenario]]
    return driver_run(
        "bench.interrupted",
        args,
        broker=broker,
        redis_url=REDIS_URL,
        database_url=database_url,
        tmp_path=tmp_path,
        timeout=300,
    )


def _assert_resumed_without_duplicates(report: dict[str, Any]) -> None:
    backfill = report["backfill"]
    assert backfill["status"] == "succeeded", report
    assert backfill["total"] == backfill["done"] == OPPORTUNITIES and backfill["failed"] == 0
    assert backfill["interruptions"] >= 1 and report["found"]["resumed"], report["found"]
    # Nothing stays running; every opportunity was synced by exactly one finished batch, and NetSuite
    # holds one sales order for each (the interrupted batch's writes were redone idempotently).
    assert [job for job in report["jobs"] if job["status"] == "running"] == []
    assert sorted(report["synced_records"]) == sorted(report["sales_orders"])
    assert len(report["sales_orders"]) == OPPORTUNITIES
    assert set(report["sales_orders"].values()) == {1}, report["sales_orders"]


@pytest.mark.parametrize("broker", BROKERS)
def test_a_backfill_whose_worker_is_killed_mid_batch_is_marked_interrupted_and_resumes(
    broker: str, soak_database_url: str, tmp_path: Path
) -> None:
    report = _drive("kill", broker, soak_database_url, tmp_path)
    kill = report["kill"]
    assert kill, report  # the worker was killed with a batch part-way
    assert 0 < kill["records_finished"] < kill["records_total"] and kill["backfill_status"] == "running"
    killed_job = next(job for job in report["jobs"] if job["pk"] == kill["job"])
    assert kill["job"] in report["found"]["jobs"] and killed_job["status"] == "interrupted"
    assert "unfinished" in killed_job["message"]
    _assert_resumed_without_duplicates(report)


@pytest.mark.parametrize("broker", BROKERS)
def test_a_backfill_batch_longer_than_the_task_time_out_is_interrupted_and_resumed_in_smaller_batches(
    broker: str, soak_database_url: str, tmp_path: Path
) -> None:
    report = _drive("timeout", broker, soak_database_url, tmp_path)
    assert not report["kill"]
    # django-q2 stopped the long batch: its job was found interrupted, not left running.
    timed_out = [job for job in report["jobs"] if job["status"] == "interrupted"]
    assert timed_out and all(job["pk"] in report["found"]["jobs"] for job in timed_out)
    assert timed_out[0]["records_total"] == OPPORTUNITIES
    assert report["backfill"]["batch_size"] < OPPORTUNITIES  # it shrank until a batch fit
    # ... while NetSuite was still slow: the first batch that fitted was a shrunk one.
    assert 0 < report["fit"]["records_total"] < OPPORTUNITIES, report["fit"]
    _assert_resumed_without_duplicates(report)
