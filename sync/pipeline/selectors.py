"""Reads for the pipeline's console pages: jobs, their records, the inbox, one opportunity's trace.

(Here rather than in ``sync/selectors.py``, which is becoming a package on another branch.)
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from sync.models import CrossReference, InboxMessage, ReturnRecord, SyncJob, SyncRecord


def jobs_recent(*, limit: int = 50) -> QuerySet[SyncJob]:
    return SyncJob.objects.select_related("salesforce_connection", "netsuite_connection")[:limit]


def job_get(*, job_id: int) -> SyncJob:
    return get_object_or_404(
        SyncJob.objects.select_related("salesforce_connection", "netsuite_connection"), pk=job_id
    )


def job_records(*, job: SyncJob) -> QuerySet[SyncRecord]:
    return job.records.prefetch_related("failures").order_by("id")


def job_return_records(*, job: SyncJob) -> QuerySet[ReturnRecord]:
    """The NetSuite transactions a return-flow job read (none for a job of the other direction)."""
    return job.return_records.order_by("id")


def inbox_recent(*, limit: int = 100, status: str = "") -> QuerySet[InboxMessage]:
    rows = InboxMessage.objects.select_related("listener").order_by("-received_at", "-id")
    return (rows.filter(status=status) if status else rows)[:limit]


def opportunity_trace(*, opportunity_id: str) -> dict[str, object]:
    """Event -> job -> record -> each NetSuite record, for one opportunity."""
    records = list(
        SyncRecord.objects.filter(opportunity_id=opportunity_id)
        .select_related("job")
        .prefetch_related("failures")
        .order_by("-id")
    )
    netsuite_ids = {str(value) for record in records for value in record.netsuite_ids.values()}
    return {
        "events": list(InboxMessage.objects.filter(record_id=opportunity_id).order_by("-received_at")),
        "records": records,
        "xrefs": list(CrossReference.objects.filter(netsuite_id__in=netsuite_ids).order_by("netsuite_type")),
    }
