"""A seeded installation whose dashboard figures are known exactly (worked out next to each row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from reconciliation.models import ReconciliationRun, RunStatus
from sync.connections.models import ApiUsage, ConcurrencyLease, Connection
from sync.exceptions.models import ExceptionCategory, ExceptionItem, ExceptionStatus, Subsidiary
from sync.integrations.selectors import integration_for_connection
from sync.pipeline.milestones import deal_milestone_invoiced, deal_milestone_ordered, deal_milestones_won
from sync.pipeline.models import (
    InboxMessage,
    InboxStatus,
    RecordStatus,
    SyncedInvoice,
    SyncJob,
    SyncRecord,
)
from tests.sync.connections.support import offline_connection_pair

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
FLOW = "opportunity_to_netsuite"
OTHER_FLOW = "account_to_netsuite"
O1, O2, O3, O4 = "006000000000001AAA", "006000000000002AAA", "006000000000003AAA", "006000000000004AAA"


@dataclass(frozen=True)
class OpsWorld:
    now: dt.datetime
    salesforce: Connection
    netsuite: Connection


def _job(sf: Connection, ns: Connection, *, flow: str, at: dt.datetime, total: int, synced: int) -> SyncJob:
    job = SyncJob.objects.create(
        flow=flow,
        salesforce_connection=sf,
        netsuite_connection=ns,
        status="succeeded" if synced == total else "partial",
        records_total=total,
        records_synced=synced,
        records_failed=total - synced,
    )
    SyncJob.objects.filter(pk=job.pk).update(started_at=at)  # auto_now_add ignores a given value
    return job


def _inbox(sf: Connection, ns: Connection, key: str, record: str, at: dt.datetime, status: str) -> None:
    row = InboxMessage.objects.create(
        notification_id=key,
        source="outbound_message",
        salesforce_connection=sf,
        netsuite_connection=ns,
        record_id=record,
        status=status,
    )
    InboxMessage.objects.filter(pk=row.pk).update(received_at=at)
    # The deal won, as the intake notes it when it stores the row (sync.pipeline.inbox.inbox_add).
    row.received_at = at
    deal_milestones_won(messages=[row], integration_of={sf.pk: integration_for_connection(sf.pk).pk})


def _synced(job: SyncJob, opportunity_id: str, status: str, finished: dt.datetime) -> None:
    SyncRecord.objects.create(job=job, opportunity_id=opportunity_id, status=status, finished_at=finished)
    if status == RecordStatus.SYNCED:  # as the runner notes a synced record (its order)
        deal_milestone_ordered(
            integration_id=integration_for_connection(job.salesforce_connection_id).pk,
            opportunity_id=opportunity_id,
            at=finished,
        )


def _exception(
    key: str, *, first_seen: dt.datetime, due: dt.datetime | None, status: str, sub: Subsidiary
) -> None:
    category, _ = ExceptionCategory.objects.get_or_create(
        key="sync_failure", defaults={"name": "Sync failure"}
    )
    ExceptionItem.objects.create(
        category=category,
        dedup_key=key,
        title=key,
        status=status,
        subsidiary=sub,
        first_seen=first_seen,
        last_seen=first_seen,
        due_at=due,
    )


@pytest.fixture(autouse=True)
def _no_cached_figures() -> None:
    """The dashboard keeps its quote-to-cash figures for minutes: each test starts with none kept."""
    cache.clear()


@pytest.fixture
def ops_world(db: None, monkeypatch: pytest.MonkeyPatch) -> OpsWorld:
    """The world below, with the clock stopped at NOW (views, selectors and the limiter all ask it)."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    now = NOW
    h, d = dt.timedelta(hours=1), dt.timedelta(days=1)
    sf, ns = offline_connection_pair("ops", concurrency_limit=5)
    # Volume (14 days from 2026-06-02): FLOW 5 + 10 records, 13 synced, 2 failed (1 blocked by a rule);
    # OTHER_FLOW 4 records, 1 synced. The job of 2026-06-01 is outside the window.
    today_job = _job(sf, ns, flow=FLOW, at=now - h, total=10, synced=8)
    _job(sf, ns, flow=FLOW, at=now - d, total=5, synced=5)
    _job(sf, ns, flow=OTHER_FLOW, at=now - 5 * d, total=4, synced=1)
    old_job = _job(sf, ns, flow=FLOW, at=now - 14 * d, total=100, synced=0)
    SyncRecord.objects.create(job=today_job, opportunity_id="006000000000009AAA", status=RecordStatus.BLOCKED)
    # Exceptions (subsidiary SUB-A): open for 2 h (due later), 30 h (overdue), 5 days (overdue), 10 days
    # (no due time), and one resolved an hour after it was seen.
    sub = Subsidiary.objects.create(key="SUB-A")
    _exception("e1", first_seen=now - 2 * h, due=now + 22 * h, status=ExceptionStatus.OPEN, sub=sub)
    _exception("e2", first_seen=now - 30 * h, due=now - 6 * h, status=ExceptionStatus.IN_PROGRESS, sub=sub)
    _exception(
        "e3", first_seen=now - 5 * d, due=now - 4 * d, status=ExceptionStatus.PENDING_APPROVAL, sub=sub
    )
    _exception("e4", first_seen=now - 10 * d, due=None, status=ExceptionStatus.OPEN, sub=sub)
    _exception("e5", first_seen=now - h, due=now + h, status=ExceptionStatus.RESOLVED, sub=sub)
    # Queue: two pending (the oldest 120 s old), one claimed, one done long ago.
    _inbox(sf, ns, "q1", "006000000000101AAA", now - dt.timedelta(seconds=120), InboxStatus.PENDING)
    _inbox(sf, ns, "q2", "006000000000102AAA", now - dt.timedelta(seconds=60), InboxStatus.PENDING)
    _inbox(sf, ns, "q3", "006000000000103AAA", now - dt.timedelta(seconds=30), InboxStatus.CLAIMED)
    _inbox(sf, ns, "q4", "006000000000104AAA", now - 1000 * d, InboxStatus.DONE)
    # Quote to cash: O1 won 10 days ago, ordered 2 h later, invoiced 26 h after winning; O2 won 3 days ago,
    # ordered 4 h later; O3 won 100 days ago (outside); O4 won 2 days ago, its sync failed.
    for key, record, at in (
        ("w1", O1, now - 10 * d),
        ("w1b", O1, now - d),
        ("w2", O2, now - 3 * d),
        ("w3", O3, now - 100 * d),
        ("w4", O4, now - 2 * d),
    ):
        _inbox(sf, ns, key, record, at, InboxStatus.DONE)
    _synced(old_job, O1, RecordStatus.SYNCED, now - 10 * d + 2 * h)
    _synced(old_job, O2, RecordStatus.SYNCED, now - 3 * d + 4 * h)
    _synced(old_job, O4, RecordStatus.FAILED, now - d)
    # DSO on 2026-06-15 over 90 days (from 2026-03-18): USD 900 open of 3000 invoiced -> 27.0 days;
    # EUR 300 of 300 -> 90.0 days. The USD invoice of January counts in receivables only.
    for number, (opportunity, date, currency, amount, remaining, first) in enumerate(
        (
            (O1, dt.date(2026, 6, 1), "USD", "1000", "400", now - 10 * d + 26 * h),
            ("", dt.date(2026, 5, 1), "USD", "2000", "0", now - 40 * d),
            ("", dt.date(2026, 1, 1), "USD", "500", "500", now - 160 * d),
            ("", dt.date(2026, 6, 10), "EUR", "300", "300", now - 5 * d),
        ),
        start=1,
    ):
        SyncedInvoice.objects.create(
            netsuite_connection=ns,
            netsuite_id=str(number),
            opportunity_id=opportunity,
            invoice_date=date,
            currency=currency,
            amount=Decimal(amount),
            amount_paid=Decimal(amount) - Decimal(remaining),
            amount_remaining=Decimal(remaining),
            first_synced_at=first,
            last_synced_at=first,
        )
        if opportunity:  # as the invoice ledger notes a deal's invoice
            deal_milestone_invoiced(
                integration_id=integration_for_connection(sf.pk).pk, opportunity_id=opportunity, at=first
            )
    # Reconciliation: accounts' last run failed (after a success with 2); invoices found 3 + 1.
    ReconciliationRun.objects.create(
        check_name="accounts",
        status=RunStatus.SUCCEEDED,
        counts={"counts": {"missing_in_netsuite": 2}},
        finished_at=now - 2 * d,
    )
    ReconciliationRun.objects.create(check_name="accounts", status=RunStatus.FAILED, finished_at=now - d)
    ReconciliationRun.objects.create(
        check_name="invoices",
        status=RunStatus.SUCCEEDED,
        counts={"counts": {"field_differs": 3, "duplicate": 1}},
        finished_at=now - d,
    )
    # Limits: 2 of 5 NetSuite slots held right now (one lease expired, one free); Salesforce 150 of 15000.
    later, earlier = timezone.now() + dt.timedelta(minutes=5), timezone.now() - dt.timedelta(minutes=5)
    for slot, holder, expires in ((0, "a", later), (1, "b", later), (2, "c", earlier), (3, "", None)):
        ConcurrencyLease.objects.create(key=ns.limiter_key, slot=slot, holder=holder, expires_at=expires)
    ApiUsage.objects.create(connection=sf, used=150, limit=15000, seen_at=now - h)
    return OpsWorld(now, sf, ns)
