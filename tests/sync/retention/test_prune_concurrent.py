"""Two prunes at once on PostgreSQL (two connections, two threads): they take turns batch by batch, delete
each row once, count each once, and the totals stay what they were."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sync.pipeline.models import JobStatus, SyncJob
from sync.retention.models import CountKind, DailyCount
from sync.retention.prune import PruneResult, retention_prune
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.retention.conftest import DAY, NOW, History, job, message, record
from tests.sync.retention.test_prune import scrape

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between two connections"),
    THREADED_DB,  # real commits, every app available (tests/sync/pipeline/conftest.py says why)
]


def test_two_prunes_at_once_count_and_delete_each_row_once(history: History) -> None:
    SyncJob.objects.filter(pk=history.running_job.pk).update(status=JobStatus.INTERRUPTED)
    # One deal reported again and again: its first event stays (quote to cash measures from it).
    message(
        history.salesforce,
        history.netsuite,
        "c-first",
        "006000000000400AAA",
        at=NOW - 160 * DAY,
        status="done",
    )
    for n in range(40):
        old = job(history.salesforce, history.netsuite, at=NOW - (200 + n % 20) * DAY)
        record(old, f"0060000000003{n:02d}AAA", "failed")
        message(
            history.salesforce,
            history.netsuite,
            f"c{n}",
            "006000000000400AAA",
            at=NOW - 150 * DAY,
            status="done",
        )
    before = scrape()
    results: list[PruneResult] = []
    errors: list[BaseException] = []

    def prune() -> None:
        try:
            results.append(retention_prune(batch_size=5))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=prune) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(r.jobs for r in results) == 42  # the 40, the plain old one, the interrupted one
    assert sum(r.inbox for r in results) == 41
    assert scrape() == before
    inbox_counted = sum(DailyCount.objects.filter(kind=CountKind.INBOX).values_list("count", flat=True))
    assert inbox_counted == 41
