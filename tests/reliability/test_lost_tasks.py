"""With the Redis broker, a task popped by a worker that then dies is gone (issue 25, point 7): its work
must come back from the database, once. Covered here: an exception retry and a ticket's delivery (the
backfill and the reconciliation run have their own tests beside this one).

Runs with the Redis broker only, as the production combination does: on PostgreSQL (a fresh database of
the driver's own), so CI runs it once, in its PostgreSQL stage; ``RELIABILITY_BROKERS=redis`` runs it on
SQLite too (a SQLite file of the driver's own). Redis is ``TEST_REDIS_URL`` (default db 5, flushed;
skipped when Redis is down).
The driver is tests/reliability/lost_task_kill.py, in its own process with its own stack.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.driver import driver_run, on_postgresql, redis_up

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

pytestmark = [
    pytest.mark.skipif(
        not on_postgresql() and "redis" not in os.environ.get("RELIABILITY_BROKERS", ""),
        reason="the Redis broker runs with PostgreSQL (RELIABILITY_BROKERS=redis runs it on SQLite)",
    ),
    pytest.mark.skipif(not redis_up(REDIS_URL), reason=f"Redis is not reachable at {REDIS_URL}"),
    pytest.mark.xdist_group("reliability-redis"),  # the driver flushes its Redis db
    pytest.mark.database,  # runs with the stage's PostgreSQL and Redis (tests/database_stage.py)
]


def _drive(scenario: str, database_url: str, tmp_path: Path) -> dict[str, Any]:
    report = driver_run(
        "tests.reliability.lost_task_kill",
        ["--scenario", scenario],
        broker="redis",
        redis_url=REDIS_URL,
        database_url=database_url,
        tmp_path=tmp_path,
        timeout=240,
    )
    # The worker held the task: Redis had handed it over, its row still waited (pending). Killed with it,
    # the task is lost: nothing in Redis, and without a sweep the row would wait for ever.
    assert report["before_kill"] == {"redis_queue": 0, "pending": True}, report
    assert report["after_kill"] == {"redis_queue": 0, "pending": True}, report
    return report


def test_a_retry_lost_with_its_killed_worker_is_sent_again_by_the_sweep_and_runs_once(
    soak_database_url: str, tmp_path: Path
) -> None:
    report = _drive("retry", soak_database_url, tmp_path)
    # Two sweeps before a worker came back: the task sent twice (a double delivery) ...
    retry = report["retry"]["pk"]
    assert report["queued_before_restart"] == 2 and report["sent_again"][:2] == [retry, retry], report
    # ... and still the retry ran once: one rerun event in the inbox, one sales order in NetSuite.
    opportunity = report["opportunity"]
    assert report["sales_orders"] == {opportunity: 1}, report
    assert [source for source, _ in report["inbox"]] == ["rerun"], report["inbox"]
    assert report["retry"]["status"] == "succeeded" and report["retries"] == ["succeeded"], report
    assert report["exception_status"] == "resolved", report
    # Every sweep while it waited sent another copy (the new worker takes seconds to start); each copy
    # after the first claimed nothing, and once claimed the sweep never sent it again.
    assert set(report["sent_again"]) == {retry} and len(report["sent_again"]) >= 2, report
    assert report["sent_after_sync"] == [] and report["pending_left"] == 0, report


def test_a_ticket_delivery_lost_with_its_killed_worker_is_delivered_once_by_the_due_tickets_schedule(
    soak_database_url: str, tmp_path: Path
) -> None:
    report = _drive("ticket", soak_database_url, tmp_path)
    ticket = report["ticket"]
    assert report["delivered_before_restart"] == {}  # the killed worker never reached the tracker
    # The schedule's task delivered it, once, although the lost task turned up again afterwards.
    assert ticket["status"] == "delivered" and ticket["ref"].startswith("OPS-"), report
    assert report["received"] == {str(ticket["pk"]): 1}, report
    assert ticket["attempts"] == 1, report
