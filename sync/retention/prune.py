"""Pruning finished history in bounded batches, keeping what something live still reads.

What stays whatever its age (docs/retention.md):
- jobs still running, jobs of days the rollup has not counted yet, and backfill jobs (quote to cash leaves
  out the deals a backfill brought in, by their records);
- a job holding the newest synced record of an opportunity (for its Salesforce and NetSuite pair): its
  NetSuite ids are what a later cancellation or a deal lost after its sync acts on;
- a job or record an open exception names (``details["job"]``, ``details["record"]``);
- inbox messages not done (pending, claimed, or set aside for a person), and the first won event of each
  opportunity (quote to cash measures from it);
- open exceptions (and everything hanging off them).

Each batch is one transaction under the policy row's lock: two prunes at once take turns, never count a
row twice, and a prune stopped half-way leaves only whole batches done. Inbox messages and exceptions are
counted into :class:`DailyCount` in the batch that deletes them; jobs were counted by the rollup before.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from auditlog.context import disable_auditlog
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem, ExceptionStatus
from sync.pipeline.models import (
    InboxMessage,
    InboxSource,
    InboxStatus,
    JobStatus,
    RecordStatus,
    SyncJob,
    SyncRecord,
)
from sync.retention.models import CountKind
from sync.retention.policy import retention_policy, retention_policy_locked
from sync.retention.rollup import day_start, retention_rollup, rollup_add

DEFAULT_BATCH_SIZE = 500
# Sources that report a deal as it is won (console.selectors.WON_SOURCES reads the same).
WON_SOURCES = (InboxSource.OUTBOUND_MESSAGE, InboxSource.WEBHOOK, InboxSource.POLL)
CLOSED_STATUSES = (ExceptionStatus.RESOLVED, ExceptionStatus.IGNORED)


@dataclass
class PruneResult:
    """What a prune deleted (or, dry, would delete), per kind; ``cutoffs`` as ISO dates (or None)."""

    dry_run: bool
    jobs: int = 0
    records: int = 0
    inbox: int = 0
    exceptions: int = 0
    cutoffs: dict[str, str | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "jobs": self.jobs,
            "records": self.records,
            "inbox": self.inbox,
            "exceptions": self.exceptions,
            "cutoffs": self.cutoffs,
        }

    @property
    def deleted_any(self) -> bool:
        return bool(self.jobs or self.records or self.inbox or self.exceptions)


def _cutoff(now: dt.datetime, days: int | None) -> dt.datetime | None:
    """The start of the first day kept; ``None`` (nothing goes) for ever, or for a number of days that
    reaches back past the calendar's start (a policy stored before the policy's maximum was enforced)."""
    if days is None:
        return None
    try:
        return day_start(now.astimezone(dt.UTC).date() - dt.timedelta(days=days))
    except OverflowError:
        return None


def _named_by_open_exceptions() -> tuple[set[int], set[int]]:
    """The job and record ids open exceptions name (few: the open queue, not the history)."""
    jobs: set[int] = set()
    records: set[int] = set()
    active = ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES)
    for job, record in active.values_list(KT("details__job"), KT("details__record")):
        if job and str(job).isdigit():
            jobs.add(int(job))
        if record and str(record).isdigit():
            records.add(int(record))
    jobs |= set(SyncRecord.objects.filter(pk__in=records).values_list("job_id", flat=True))
    return jobs, records


def prunable_jobs(*, cutoff: dt.datetime, mark: dt.date | None) -> QuerySet[SyncJob]:
    """Finished jobs started before ``cutoff`` (and counted) that nothing live reads."""
    before = min(cutoff, day_start(mark)) if mark is not None else None
    if before is None:
        return SyncJob.objects.none()
    newer_synced = SyncRecord.objects.filter(
        opportunity_id=OuterRef("opportunity_id"),
        status=RecordStatus.SYNCED,
        job__salesforce_connection=OuterRef("job__salesforce_connection"),
        job__netsuite_connection=OuterRef("job__netsuite_connection"),
        pk__gt=OuterRef("pk"),
    )
    newest_synced = SyncRecord.objects.filter(job=OuterRef("pk"), status=RecordStatus.SYNCED).filter(
        ~Exists(newer_synced)
    )
    named_jobs, _ = _named_by_open_exceptions()
    return (
        SyncJob.objects.filter(started_at__lt=before)
        .exclude(status=JobStatus.RUNNING)
        .exclude(trigger="backfill")
        .exclude(pk__in=named_jobs)
        .filter(~Exists(newest_synced))
        .order_by("started_at", "id")
    )


def prunable_inbox(*, cutoff: dt.datetime) -> QuerySet[InboxMessage]:
    """Done messages received before ``cutoff``, except each opportunity's first won event."""
    earlier_won = InboxMessage.objects.filter(
        salesforce_connection=OuterRef("salesforce_connection"),
        record_id=OuterRef("record_id"),
        sobject="Opportunity",
        source__in=WON_SOURCES,
        pk__lt=OuterRef("pk"),
    )
    first_won = Q(sobject="Opportunity", source__in=WON_SOURCES) & ~Q(Exists(earlier_won))
    return (
        InboxMessage.objects.filter(status=InboxStatus.DONE, received_at__lt=cutoff)
        .exclude(first_won)
        .order_by("received_at", "id")
    )


def prunable_exceptions(*, cutoff: dt.datetime) -> QuerySet[ExceptionItem]:
    """Resolved or ignored exceptions closed before ``cutoff``."""
    return ExceptionItem.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=cutoff).order_by(
        "closed_at", "id"
    )


def _prune_jobs(cutoff: dt.datetime, batch: int, result: PruneResult) -> None:
    while True:
        with transaction.atomic():
            policy = retention_policy_locked()
            ids = list(
                prunable_jobs(cutoff=cutoff, mark=policy.rolled_up_through).values_list("pk", flat=True)[
                    :batch
                ]
            )
            if not ids:
                return
            with disable_auditlog():
                _, deleted = SyncJob.objects.filter(pk__in=ids).delete()
        result.jobs += deleted.get("sync.SyncJob", 0)
        result.records += deleted.get("sync.SyncRecord", 0)


def _prune_inbox(cutoff: dt.datetime, batch: int, result: PruneResult) -> None:
    while True:
        with transaction.atomic():
            retention_policy_locked()
            rows = list(prunable_inbox(cutoff=cutoff).values_list("pk", "received_at", "status")[:batch])
            if not rows:
                return
            per_day = Counter((received.astimezone(dt.UTC).date(), status) for _, received, status in rows)
            for (day, status), count in per_day.items():
                rollup_add(day=day, kind=CountKind.INBOX, rows=[{"status": status, "count": count}])
            InboxMessage.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        result.inbox += len(rows)


def _prune_exceptions(cutoff: dt.datetime, batch: int, result: PruneResult) -> None:
    while True:
        with transaction.atomic():
            retention_policy_locked()
            rows = list(
                prunable_exceptions(cutoff=cutoff).values_list(
                    "pk", "closed_at", "status", F("category__key"), "severity"
                )[:batch]
            )
            if not rows:
                return
            per_day = Counter(
                (closed.astimezone(dt.UTC).date(), status, category, severity)
                for _, closed, status, category, severity in rows
            )
            for (day, status, category, severity), count in per_day.items():
                rollup_add(
                    day=day,
                    kind=CountKind.EXCEPTION,
                    rows=[{"status": status, "category": category, "severity": severity, "count": count}],
                )
            # One audit entry for the whole prune (below), not one per exception and per history line.
            with disable_auditlog():
                ExceptionItem.objects.filter(pk__in=[row[0] for row in rows]).delete()
        result.exceptions += len(rows)


def _mark_after_rollup(now: dt.datetime) -> dt.date:
    """Where the rollup would move the mark now: today, or the day of the oldest job still running."""
    running = (
        SyncJob.objects.filter(status=JobStatus.RUNNING)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    today = now.astimezone(dt.UTC).date()
    return min(today, running.astimezone(dt.UTC).date()) if running else today


def retention_prune(
    *,
    user: User | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
) -> PruneResult:
    """Count the finished days, then delete what the policy no longer keeps; one audit entry with the
    counts when anything was deleted. ``dry_run`` counts what would go and changes nothing."""
    now = now or timezone.now()
    configured: int = getattr(settings, "RETENTION_BATCH_SIZE", DEFAULT_BATCH_SIZE)
    batch = batch_size or configured
    policy = retention_policy()
    cutoffs = {
        "jobs": _cutoff(now, policy.jobs_days),
        "inbox": _cutoff(now, policy.inbox_days),
        "exceptions": _cutoff(now, policy.exceptions_days),
    }
    result = PruneResult(
        dry_run=dry_run, cutoffs={kind: c.date().isoformat() if c else None for kind, c in cutoffs.items()}
    )
    if dry_run:
        mark = _mark_after_rollup(now)
        if cutoffs["jobs"] is not None:
            jobs = prunable_jobs(cutoff=cutoffs["jobs"], mark=mark)
            result.jobs = jobs.count()
            result.records = SyncRecord.objects.filter(job__in=jobs.values("pk")).count()
        if cutoffs["inbox"] is not None:
            result.inbox = prunable_inbox(cutoff=cutoffs["inbox"]).count()
        if cutoffs["exceptions"] is not None:
            result.exceptions = prunable_exceptions(cutoff=cutoffs["exceptions"]).count()
        return result
    retention_rollup(now=now)
    if cutoffs["jobs"] is not None:
        _prune_jobs(cutoffs["jobs"], batch, result)
    if cutoffs["inbox"] is not None:
        _prune_inbox(cutoffs["inbox"], batch, result)
    if cutoffs["exceptions"] is not None:
        _prune_exceptions(cutoffs["exceptions"], batch, result)
    with transaction.atomic():
        policy = retention_policy_locked()
        policy.last_run_at = now
        policy.last_run_counts = result.as_dict()
        with disable_auditlog():
            policy.save(update_fields=["last_run_at", "last_run_counts"])
        if result.deleted_any:
            audit_record(
                obj=policy,
                actor=user,
                action=AuditAction.ACCESS,
                event="retention_pruned",
                **result.as_dict(),
            )
    return result
