"""Reads for the pipeline's console pages: jobs, their records, the inbox, one opportunity's trace, and the
background work django-q2 has done and has waiting.

Every read of an integration's data takes the person asking and starts from what they may see
(:func:`sync.integrations.access.integration_scope`): jobs, backfills, inbox rows and listeners through their
Salesforce connection; rows kept per NetSuite account only (synced invoices, field conflicts, order locks,
cross-references) through the opportunities and Salesforce records the person's integrations synced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django_q.brokers import get_broker
from django_q.models import Task

from core.keyset import KeysetPage, newest_first_page
from sync.integrations.access import integration_scope
from sync.integrations.selectors import primary_integration
from sync.lifecycle.models import Cancellation
from sync.lifecycle.selectors import order_locks_visible
from sync.mappings.models import MappingVersion
from sync.pipeline.eids import eid_scope
from sync.pipeline.flow_state import CATALOGUE_FLOW, CLOSED_WON_FLOW
from sync.pipeline.models import (
    Backfill,
    CrossReference,
    FieldConflict,
    InboxMessage,
    JobStatus,
    ReturnRecord,
    SyncedInvoice,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.returns import JOB_FLOW as RETURN_JOB_FLOW

AnyUser = User | AnonymousUser
M = TypeVar("M", bound=Model)
WITH_FAILURES = "with_failures"  # a job status filter: any job that has failed or blocked records
# The flows a job runs: Closed Won deals, the return flow, the catalogue.
JOB_FLOWS = (CLOSED_WON_FLOW, RETURN_JOB_FLOW, CATALOGUE_FLOW)


@dataclass(frozen=True)
class JobFilters:
    flow: str = ""
    status: str = ""  # a JobStatus value, WITH_FAILURES or "" for all
    day: dt.date | None = None  # started on this day (UTC)
    since: dt.date | None = None  # started on or after this day (UTC)


def with_mapping_version_number(rows: QuerySet[M]) -> QuerySet[M]:
    """``rows`` (jobs, records, return records: each keeps a ``mapping_version_id``) with the version's
    ``mapping_version_number``, so a page says "v2" rather than the version's database id."""
    number = MappingVersion.objects.filter(pk=OuterRef("mapping_version_id")).values("number")[:1]
    return rows.annotate(mapping_version_number=Subquery(number))


def jobs_visible(*, user: AnyUser) -> QuerySet[SyncJob]:
    """The jobs of ``user``'s integrations (every job when they are not limited), each with its mapping
    version's number (:func:`with_mapping_version_number`)."""
    jobs = with_mapping_version_number(
        SyncJob.objects.select_related("salesforce_connection", "netsuite_connection")
    )
    return integration_scope(user).filter(jobs, salesforce="salesforce_connection")


def records_visible(*, user: AnyUser) -> QuerySet[SyncRecord]:
    """The synced records of ``user``'s integrations' jobs."""
    records = SyncRecord.objects.select_related("job")
    return integration_scope(user).filter(records, salesforce="job__salesforce_connection")


def backfills_visible(*, user: AnyUser) -> QuerySet[Backfill]:
    return integration_scope(user).filter(Backfill.objects.all(), salesforce="salesforce_connection")


def inbox_visible(*, user: AnyUser) -> QuerySet[InboxMessage]:
    rows = InboxMessage.objects.select_related("listener")
    return integration_scope(user).filter(rows, salesforce="salesforce_connection")


def jobs_recent(*, user: AnyUser, limit: int = 50, filters: JobFilters | None = None) -> QuerySet[SyncJob]:
    return jobs_filtered(user=user, filters=filters)[:limit]


def jobs_page(*, user: AnyUser, filters: JobFilters | None = None, cursor: str = "") -> KeysetPage[SyncJob]:
    """One page of the jobs list, newest first, after ``cursor`` (keyset: as fast on page 1,000 as on 1)."""
    return newest_first_page(jobs_filtered(user=user, filters=filters), stamp="started_at", cursor=cursor)


def jobs_filtered(*, user: AnyUser, filters: JobFilters | None = None) -> QuerySet[SyncJob]:
    """The jobs ``user`` may see that match ``filters``, newest first."""
    jobs = jobs_visible(user=user)
    filters = filters or JobFilters()
    if filters.flow:
        jobs = jobs.filter(flow=filters.flow)
    if filters.status == WITH_FAILURES:
        jobs = jobs.filter(records_failed__gt=0)
    elif filters.status in JobStatus.values:
        jobs = jobs.filter(status=filters.status)
    if filters.day is not None:
        start = dt.datetime.combine(filters.day, dt.time.min, tzinfo=dt.UTC)
        jobs = jobs.filter(started_at__gte=start, started_at__lt=start + dt.timedelta(days=1))
    if filters.since is not None:
        jobs = jobs.filter(started_at__gte=dt.datetime.combine(filters.since, dt.time.min, tzinfo=dt.UTC))
    return jobs.order_by("-started_at", "-id")


def job_flows(*, current: str = "") -> tuple[str, ...]:
    """The jobs page's Flow filter choices: the flows a job runs, and ``current`` when it is another
    (an old link's flow stays selected rather than silently dropped)."""
    return JOB_FLOWS if not current or current in JOB_FLOWS else (*JOB_FLOWS, current)


def job_filters_from(query: dict[str, str]) -> JobFilters:
    """Filters from a query string; a value that does not parse is ignored, never an error."""

    def day(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(query.get(name, ""))
        except ValueError:
            return None

    status = query.get("status", "")
    return JobFilters(
        flow=query.get("flow", "")[:80],
        status=status if status in (*JobStatus.values, WITH_FAILURES) else "",
        day=day("day"),
        since=day("since"),
    )


def job_get(*, user: AnyUser, job_id: int | str) -> SyncJob:
    """The job ``job_id`` if it is of ``user``'s integrations, else 404."""
    return get_object_or_404(jobs_visible(user=user), pk=job_id)


def record_get(*, user: AnyUser, record_id: int | str) -> SyncRecord:
    return get_object_or_404(records_visible(user=user), pk=record_id)


def backfill_get(*, user: AnyUser, backfill_id: int | str) -> Backfill:
    return get_object_or_404(backfills_visible(user=user).select_related("started_by"), pk=backfill_id)


def job_records(*, job: SyncJob) -> QuerySet[SyncRecord]:
    return job.records.prefetch_related("failures").order_by("id")


def job_return_records(*, job: SyncJob) -> QuerySet[ReturnRecord]:
    """The NetSuite transactions a return-flow job read (none for a job of the other direction)."""
    return with_mapping_version_number(job.return_records.order_by("id"))


def inbox_recent(*, user: AnyUser, limit: int = 100, status: str = "") -> QuerySet[InboxMessage]:
    rows = inbox_visible(user=user).order_by("-received_at", "-id")
    return (rows.filter(status=status) if status else rows)[:limit]


def inbox_page(*, user: AnyUser, status: str = "", cursor: str = "") -> KeysetPage[InboxMessage]:
    """One page of the inbox, newest first, after ``cursor`` (keyset, like :func:`jobs_page`)."""
    rows = inbox_visible(user=user)
    return newest_first_page(
        rows.filter(status=status) if status else rows, stamp="received_at", cursor=cursor
    )


def opportunity_trace(*, user: AnyUser, opportunity_id: str) -> dict[str, object]:
    """Event -> job -> record -> each NetSuite record, for one opportunity (of ``user``'s integrations)."""
    records = list(
        records_visible(user=user)
        .filter(opportunity_id=opportunity_id)
        .prefetch_related("failures")
        .order_by("-id")
    )
    xrefs = _written_for(records)
    # Issue 22 (cancel): the orders NetSuite has moved on, by (connection, internal id), and cancellations;
    # of the person's integrations only (another org's deal may have the same id).
    found = order_locks_visible(user=user).filter(opportunity_id=opportunity_id)
    locks = {(lock.netsuite_connection_id, lock.sales_order_id): lock for lock in found}
    for xref in xrefs:
        xref.lock = locks.get((xref.netsuite_connection_id, xref.netsuite_id))  # type: ignore[attr-defined]
    return {
        "events": list(inbox_visible(user=user).filter(record_id=opportunity_id).order_by("-received_at")),
        "records": records,
        "xrefs": xrefs,
        "locks": list(locks.values()),
        "cancellations": list(
            integration_scope(user).filter(
                Cancellation.objects.filter(opportunity_id=opportunity_id), salesforce="salesforce_connection"
            )
        ),
    }


def _written_for(records: Sequence[SyncRecord]) -> list[CrossReference]:
    """The cross-references of the NetSuite records these syncs wrote: each record's own ids, per object
    and connection (an internal id alone names a record only within its type and account: sales order 3
    and customer 3 are different records, and another deal's may share the number)."""
    # And per integration: a customer two integrations share has a cross-reference of each.
    integration_of = {
        org: eid_scope(org, None).integration_id
        for org in {record.job.salesforce_connection_id for record in records}
    }
    wanted = {
        (
            record.job.netsuite_connection_id,
            integration_of[record.job.salesforce_connection_id],
            ref_key.split("[", 1)[0],
            str(netsuite_id),
        )
        for record in records
        for ref_key, netsuite_id in (record.netsuite_ids or {}).items()
        if netsuite_id
    }
    if not wanted:
        return []
    primary = primary_integration().pk
    candidates = CrossReference.objects.filter(
        netsuite_connection_id__in={connection for connection, _, _, _ in wanted},
        netsuite_id__in={netsuite_id for _, _, _, netsuite_id in wanted},
    ).order_by("netsuite_type", "external_id")
    return [
        x
        for x in candidates
        if (x.netsuite_connection_id, x.integration_id or primary, x.object_key, x.netsuite_id) in wanted
    ]


def invoices_synced(
    *,
    user: AnyUser,
    currency: str = "",
    open_only: bool = False,
    days: int | None = None,
    today: dt.date | None = None,
) -> QuerySet[SyncedInvoice]:
    """Invoices the return flow synced: of one currency, with an open balance, dated in the last ``days``."""
    invoices = SyncedInvoice.objects.select_related("netsuite_connection", "integration")
    invoices = invoices.order_by("-invoice_date", "-id")
    invoices = integration_scope(user).filter(invoices, integration="integration")
    if currency:
        invoices = invoices.filter(currency=currency)
    if open_only:
        invoices = invoices.filter(amount_remaining__gt=0)
    if days is not None and today is not None:
        invoices = invoices.filter(invoice_date__gt=today - dt.timedelta(days=days), invoice_date__lte=today)
    return invoices


def field_conflicts(
    *, user: AnyUser, open_only: bool = False, sobject: str = "", field: str = ""
) -> QuerySet[FieldConflict]:
    """Conflicting changes the return flows recorded (the non-owning side changed an owned field)."""
    conflicts = FieldConflict.objects.select_related("integration").order_by("-detected_at", "-id")
    conflicts = integration_scope(user).filter(conflicts, integration="integration")
    if open_only:
        conflicts = conflicts.filter(resolved_at__isnull=True)
    if sobject:
        conflicts = conflicts.filter(sobject=sobject)
    if field:
        conflicts = conflicts.filter(field=field)
    return conflicts


@dataclass(frozen=True)
class TaskSummary:
    queued: int | None  # None when the broker cannot be asked (e.g. Redis is down)
    succeeded: int
    failed: int
    last_finished: dt.datetime | None


def background_task_summary() -> TaskSummary:
    try:
        queued: int | None = get_broker().queue_size()
    except Exception:  # a broker outage must not take the dashboard down with it
        queued = None
    last = Task.objects.order_by("-stopped").values_list("stopped", flat=True).first()
    return TaskSummary(
        queued=queued,
        succeeded=Task.objects.filter(success=True).count(),
        failed=Task.objects.filter(success=False).count(),
        last_finished=last,
    )


def background_tasks_recent(*, limit: int = 20, failed_only: bool = False) -> QuerySet[Task]:
    tasks = Task.objects.order_by("-stopped")
    if failed_only:
        tasks = tasks.filter(success=False)
    return tasks[:limit]
