"""Sync jobs: re-running one opportunity, queuing an interrupted job's unfinished opportunities again
(a person's actions, audited), and the sweep that marks jobs whose worker stopped as interrupted."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.pipeline.heartbeat import job_lease
from sync.pipeline.inbox import inbox_requeue_opportunity
from sync.pipeline.models import (
    MESSAGE_LIMIT,
    InboxMessage,
    InboxSource,
    JobStatus,
    RecordStatus,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.permissions import can_rerun

logger = logging.getLogger(__name__)


def record_rerun(*, record: SyncRecord, user: User, reason: str = "") -> InboxMessage:
    """Queue the record's opportunity again (a new inbox event; the pipeline is idempotent) and audit it."""
    if not can_rerun(user):
        raise PermissionDenied("Re-running a sync needs the RevOps or Admin role.")
    with transaction.atomic():
        message = inbox_requeue_opportunity(
            opportunity_id=record.opportunity_id,
            salesforce_connection_id=record.job.salesforce_connection_id,
            netsuite_connection_id=record.job.netsuite_connection_id,
            source=InboxSource.RERUN,
        )
        audit_record(
            obj=record,
            actor=user,
            action=AuditAction.ACCESS,
            event="sync_rerun",
            reason=reason,
            opportunity_id=record.opportunity_id,
            job=record.job_id,
            inbox_message=message.notification_id,
        )
    return message


def jobs_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Mark running jobs whose heartbeat is older than the lease interrupted; returns their ids.

    Nothing is re-run from here: a job's opportunities came from the inbox, whose own lease hands the
    unfinished ones out again, or from a backfill, whose sweep resumes its batch (both idempotent). The
    job keeps what it finished; its counts say how far it got.
    """
    now = now or timezone.now()
    cutoff = now - job_lease()
    stale = SyncJob.objects.filter(status=JobStatus.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )
    interrupted = []
    for job in list(stale):
        records = list(job.records.values_list("status", "writes", "writes_skipped"))
        unfinished = sum(1 for s, _, _ in records if s == RecordStatus.PENDING)
        # Conditional: a job that finished or renewed its heartbeat in between is left alone.
        still = SyncJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING, heartbeat_at=job.heartbeat_at)
        marked = still.update(
            status=JobStatus.INTERRUPTED,
            finished_at=now,
            records_synced=sum(1 for s, _, _ in records if s == RecordStatus.SYNCED),
            records_failed=sum(1 for s, _, _ in records if s in (RecordStatus.FAILED, RecordStatus.BLOCKED)),
            netsuite_writes=sum(w for _, w, _ in records),
            netsuite_writes_skipped=sum(k for _, _, k in records),
            message=(
                f"Interrupted: its worker stopped (killed, timed out or its task lost) with {unfinished} of "
                f"{len(records)} opportunities unfinished; {_comes_back(job)}"
            )[:MESSAGE_LIMIT],
        )
        if marked:
            interrupted.append(job.pk)
            logger.warning(
                "job %s interrupted: %d of %d opportunities unfinished",
                job.pk,
                unfinished,
                len(records),
                extra={"event": "job_interrupted", "job_id": job.pk, "flow": job.flow},
            )
    return interrupted


def _comes_back(job: SyncJob) -> str:
    if job.trigger == "backfill":
        return "the backfill runs its batch again, or queue them now."
    if job.trigger in InboxSource.values:
        return "the inbox hands them out again, or queue them now."
    return "queue them again."


def job_requeue_unfinished(*, job: SyncJob, user: User | None, reason: str = "") -> list[InboxMessage]:
    """Queue again (new inbox events) the opportunities an interrupted job did not finish; audited.

    ``user`` None is the operator at the terminal (``manage.py sync_sweep --requeue-job``)."""
    if user is not None and not can_rerun(user):
        raise PermissionDenied("Re-running a sync needs the RevOps or Admin role.")
    if job.status != JobStatus.INTERRUPTED:
        raise ValidationError("only an interrupted job's unfinished opportunities can be queued again")
    with transaction.atomic():
        pending = list(
            job.records.filter(status=RecordStatus.PENDING).values_list("opportunity_id", flat=True)
        )
        messages = [
            inbox_requeue_opportunity(
                opportunity_id=opportunity_id,
                salesforce_connection_id=job.salesforce_connection_id,
                netsuite_connection_id=job.netsuite_connection_id,
                source=InboxSource.RERUN,
            )
            for opportunity_id in pending
        ]
        audit_record(
            obj=job,
            actor=user,
            action=AuditAction.ACCESS,
            event="sync_job_requeue",
            reason=reason,
            opportunities=pending,
            inbox_messages=[m.notification_id for m in messages],
        )
    return messages
