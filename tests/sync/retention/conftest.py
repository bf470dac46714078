"""A year of sync history with one row of each kind that retention must keep, whatever its age."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from sync.connections.models import Connection
from sync.exceptions.models import ExceptionCategory, ExceptionItem, ExceptionStatus
from sync.pipeline.models import InboxMessage, InboxStatus, JobStatus, RecordStatus, SyncJob, SyncRecord
from tests.sync.connections.support import offline_connection_pair

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
FLOW = "opportunity_to_netsuite"


@dataclass(frozen=True)
class History:
    salesforce: Connection
    netsuite: Connection
    old_plain_job: SyncJob  # 300 days old, nothing needs it: pruned
    newest_synced_job: SyncJob  # 300 days old, holds an opportunity's newest synced record: kept
    named_job: SyncJob  # 300 days old, an open exception names it: kept
    backfill_job: SyncJob  # 300 days old, a backfill's: kept
    running_job: SyncJob  # 300 days old and still running (its worker never came back): kept
    recent_job: SyncJob  # 10 days old: kept
    old_done_message: InboxMessage  # 200 days old, a re-report of a deal: pruned
    first_won_message: InboxMessage  # 200 days old, the deal's first won event: kept
    old_pending_message: InboxMessage  # 200 days old, never done: kept
    old_resolved: ExceptionItem  # closed 400 days ago: pruned
    old_open: ExceptionItem  # seen 400 days ago, still open: kept
    recent_resolved: ExceptionItem  # closed 10 days ago: kept


def job(
    sf: Connection, ns: Connection, *, at: dt.datetime, status: str = JobStatus.SUCCEEDED, **fields: object
) -> SyncJob:
    created = SyncJob.objects.create(
        salesforce_connection=sf, netsuite_connection=ns, status=status, **fields
    )
    SyncJob.objects.filter(pk=created.pk).update(started_at=at)
    created.refresh_from_db()
    return created


def record(on: SyncJob, opportunity: str, status: str, duration_ms: int | None = None) -> SyncRecord:
    return SyncRecord.objects.create(
        job=on, opportunity_id=opportunity, status=status, duration_ms=duration_ms
    )


def message(
    sf: Connection, ns: Connection, key: str, opportunity: str, *, at: dt.datetime, status: str
) -> InboxMessage:
    row = InboxMessage.objects.create(
        notification_id=key,
        source="outbound_message",
        salesforce_connection=sf,
        netsuite_connection=ns,
        record_id=opportunity,
        status=status,
    )
    InboxMessage.objects.filter(pk=row.pk).update(received_at=at)
    return row


def exception(
    key: str, *, seen: dt.datetime, status: str, closed: dt.datetime | None, **details: object
) -> ExceptionItem:
    category, _ = ExceptionCategory.objects.get_or_create(
        key="sync_failure", defaults={"name": "Sync failure"}
    )
    return ExceptionItem.objects.create(
        category=category,
        dedup_key=key,
        title=key,
        status=status,
        first_seen=seen,
        last_seen=seen,
        closed_at=closed,
        details=dict(details),
    )


@pytest.fixture
def history(db: None, monkeypatch: pytest.MonkeyPatch) -> History:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    sf, ns = offline_connection_pair("retention")
    old = NOW - 300 * DAY
    old_plain = job(sf, ns, at=old, netsuite_writes=3, netsuite_writes_skipped=1)
    record(old_plain, "006000000000001AAA", RecordStatus.SYNCED, 300)
    record(old_plain, "006000000000002AAA", RecordStatus.FAILED, 4000)
    newest_synced = job(sf, ns, at=old + DAY, status=JobStatus.PARTIAL, netsuite_writes=2)
    # 001 synced again a day later: this is now its newest synced record, and 001's first one may go.
    record(newest_synced, "006000000000001AAA", RecordStatus.SYNCED, 200)
    record(newest_synced, "006000000000003AAA", RecordStatus.BLOCKED)
    named = job(sf, ns, at=old + 2 * DAY, status=JobStatus.FAILED)
    failed = record(named, "006000000000004AAA", RecordStatus.FAILED, 100)
    backfill = job(sf, ns, at=old + 3 * DAY, trigger="backfill")
    record(backfill, "006000000000005AAA", RecordStatus.SKIPPED)
    running = job(sf, ns, at=old + 4 * DAY, status=JobStatus.RUNNING)
    recent = job(sf, ns, at=NOW - 10 * DAY)
    record(recent, "006000000000006AAA", RecordStatus.SYNCED, 700)
    first_won = message(sf, ns, "m1", "006000000000007AAA", at=NOW - 201 * DAY, status=InboxStatus.DONE)
    done = message(sf, ns, "m2", "006000000000007AAA", at=NOW - 200 * DAY, status=InboxStatus.DONE)
    pending = message(sf, ns, "m3", "006000000000008AAA", at=NOW - 200 * DAY, status=InboxStatus.PENDING)
    message(sf, ns, "m4", "006000000000009AAA", at=NOW - DAY, status=InboxStatus.DONE)
    old_resolved = exception(
        "x1", seen=NOW - 401 * DAY, status=ExceptionStatus.RESOLVED, closed=NOW - 400 * DAY
    )
    old_open = exception(
        "x2", seen=NOW - 400 * DAY, status=ExceptionStatus.OPEN, closed=None, job=named.pk, record=failed.pk
    )
    recent_resolved = exception(
        "x3", seen=NOW - 11 * DAY, status=ExceptionStatus.IGNORED, closed=NOW - 10 * DAY
    )
    return History(
        salesforce=sf,
        netsuite=ns,
        old_plain_job=old_plain,
        newest_synced_job=newest_synced,
        named_job=named,
        backfill_job=backfill,
        running_job=running,
        recent_job=recent,
        old_done_message=done,
        first_won_message=first_won,
        old_pending_message=pending,
        old_resolved=old_resolved,
        old_open=old_open,
        recent_resolved=recent_resolved,
    )
