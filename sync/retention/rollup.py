"""Counting history into :class:`DailyCount`, and the totals that add the counts to the live rows.

A day of jobs is counted once it is over (UTC) and none of its jobs still runs: from then on its jobs and
records never change, so their counts are final. The policy's ``rolled_up_through`` marks the first day
not yet counted; each day is counted and the mark moved in one transaction, under the policy row's lock,
so two rollups at once never count a day twice. ``/metrics`` adds the counts to the live rows from the
mark on (a day or two), so a scrape reads a bounded window however long the history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from sync.pipeline.models import JobStatus, SyncJob, SyncRecord
from sync.retention.models import CountKind, DailyCount, RetentionPolicy
from sync.retention.policy import retention_policy_locked

# Upper bounds (seconds) of the record duration histogram's buckets (the metric's, kept per day here).
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _first_day(now: dt.datetime) -> dt.date:
    first = SyncJob.objects.order_by("started_at", "id").values_list("started_at", flat=True).first()
    today = now.astimezone(dt.UTC).date()
    return min(first.astimezone(dt.UTC).date(), today) if first else today


def _count_day(day: dt.date) -> list[DailyCount]:
    start, end = day_start(day), day_start(day + dt.timedelta(days=1))
    jobs = SyncJob.objects.filter(started_at__gte=start, started_at__lt=end)
    rows = [
        DailyCount(
            day=day,
            kind=CountKind.JOB,
            flow=row["flow"],
            status=row["status"],
            count=row["n"],
            netsuite_writes=row["w"] or 0,
            netsuite_writes_skipped=row["s"] or 0,
        )
        for row in jobs.values("flow", "status")
        .annotate(n=Count("id"), w=Sum("netsuite_writes"), s=Sum("netsuite_writes_skipped"))
        .order_by()
    ]
    buckets = {
        f"le_{index}": Count("id", filter=Q(duration_ms__lte=bound * 1000))
        for index, bound in enumerate(DURATION_BUCKETS)
    }
    records = SyncRecord.objects.filter(job__started_at__gte=start, job__started_at__lt=end)
    for row in (
        records.values("job__flow", "status")
        .annotate(
            n=Count("id"),
            timed=Count("duration_ms"),
            total_ms=Sum("duration_ms"),
            **buckets,
        )
        .order_by()
    ):
        rows.append(
            DailyCount(
                day=day,
                kind=CountKind.RECORD,
                flow=row["job__flow"],
                status=row["status"],
                count=row["n"],
                duration_count=row["timed"],
                duration_ms_total=row["total_ms"] or 0,
                duration_buckets=[row[f"le_{index}"] for index in range(len(DURATION_BUCKETS))],
            )
        )
    return rows


def retention_rollup(*, now: dt.datetime | None = None) -> list[dt.date]:
    """Count every finished day of jobs not counted yet; returns the days counted. Safe to run twice at
    once and to re-run: a day is counted in the same transaction that moves the mark past it."""
    now = now or timezone.now()
    last = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)  # the latest day that is over
    counted: list[dt.date] = []
    while True:
        with transaction.atomic():
            policy = retention_policy_locked()
            day = policy.rolled_up_through or _first_day(now)
            if day > last:
                if policy.rolled_up_through is None:
                    policy.rolled_up_through = day
                    policy.save(update_fields=["rolled_up_through"])
                return counted
            # A job of that day (or before) still running could still change its status: wait for it.
            if SyncJob.objects.filter(
                status=JobStatus.RUNNING, started_at__lt=day_start(day + dt.timedelta(1))
            ).exists():
                return counted
            DailyCount.objects.bulk_create(_count_day(day))
            policy.rolled_up_through = day + dt.timedelta(days=1)
            policy.save(update_fields=["rolled_up_through"])
        counted.append(day)


def rollup_add(*, day: dt.date, kind: str, rows: Iterable[dict[str, object]]) -> None:
    """Add pruned rows' counts (``{"status", "flow", "category", "severity", "count"}``) to ``day``."""
    for row in rows:
        found, _ = DailyCount.objects.select_for_update().get_or_create(
            day=day,
            kind=kind,
            flow=str(row.get("flow") or ""),
            status=str(row.get("status") or ""),
            category=str(row.get("category") or ""),
            severity=str(row.get("severity") or ""),
        )
        found.count += int(str(row["count"]))
        found.save(update_fields=["count"])


# -- reading: counts + live rows --------------------------------------------------------------------------


@dataclass
class RecordTotals:
    count: int = 0
    timed: int = 0
    total_ms: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS))


@dataclass(frozen=True)
class HistoryTotals:
    """Every job, record, inbox message and exception ever, by their labels: counts plus live rows."""

    jobs: dict[tuple[str, str], int]  # (flow, status)
    writes: dict[str, tuple[int, int]]  # flow -> (written, skipped)
    records: dict[tuple[str, str], RecordTotals]  # (flow, status)
    inbox_pruned: dict[str, int]  # status -> count (the live rows are counted by the caller)
    exceptions_pruned: dict[tuple[str, str, str], int]  # (status, category, severity)


def history_totals() -> HistoryTotals:
    """What ``/metrics`` reports as totals, in a bounded number of queries whatever the history: the
    daily counts (one row per day, kind, flow and status) and the live jobs and records since the mark."""
    policy = RetentionPolicy.objects.order_by("pk").first()
    mark = policy.rolled_up_through if policy is not None else None
    jobs: dict[tuple[str, str], int] = defaultdict(int)
    writes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    records: dict[tuple[str, str], RecordTotals] = defaultdict(RecordTotals)
    inbox: dict[str, int] = defaultdict(int)
    exceptions: dict[tuple[str, str, str], int] = defaultdict(int)
    counted = (
        DailyCount.objects.values("kind", "flow", "status", "category", "severity")
        .annotate(
            n=Sum("count"),
            w=Sum("netsuite_writes"),
            s=Sum("netsuite_writes_skipped"),
            timed=Sum("duration_count"),
            total_ms=Sum("duration_ms_total"),
        )
        .order_by()
    )
    bucket_rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(DURATION_BUCKETS))
    for flow, status, day_buckets in DailyCount.objects.filter(kind=CountKind.RECORD).values_list(
        "flow", "status", "duration_buckets"
    ):
        for index, value in enumerate(day_buckets or []):
            bucket_rows[(flow, status)][index] += int(value)
    for row in counted:
        kind, flow, status = row["kind"], row["flow"], row["status"]
        if kind == CountKind.JOB:
            jobs[(flow, status)] += row["n"] or 0
            writes[flow][0] += row["w"] or 0
            writes[flow][1] += row["s"] or 0
        elif kind == CountKind.RECORD:
            totals = records[(flow, status)]
            totals.count += row["n"] or 0
            totals.timed += row["timed"] or 0
            totals.total_ms += row["total_ms"] or 0
            totals.buckets = [a + b for a, b in zip(totals.buckets, bucket_rows[(flow, status)], strict=True)]
        elif kind == CountKind.INBOX:
            inbox[status] += row["n"] or 0
        elif kind == CountKind.EXCEPTION:
            exceptions[(status, row["category"], row["severity"])] += row["n"] or 0
    live_jobs = (
        SyncJob.objects.all() if mark is None else SyncJob.objects.filter(started_at__gte=day_start(mark))
    )
    for row in (
        live_jobs.values("flow", "status")
        .annotate(n=Count("id"), w=Sum("netsuite_writes"), s=Sum("netsuite_writes_skipped"))
        .order_by()
    ):
        jobs[(row["flow"], row["status"])] += row["n"]
        writes[row["flow"]][0] += row["w"] or 0
        writes[row["flow"]][1] += row["s"] or 0
    live_records = SyncRecord.objects.filter(job__in=live_jobs.values("pk"))
    buckets = {
        f"le_{index}": Count("id", filter=Q(duration_ms__lte=bound * 1000))
        for index, bound in enumerate(DURATION_BUCKETS)
    }
    for row in (
        live_records.values("job__flow", "status")
        .annotate(n=Count("id"), timed=Count("duration_ms"), total_ms=Sum("duration_ms"), **buckets)
        .order_by()
    ):
        totals = records[(row["job__flow"], row["status"])]
        totals.count += row["n"]
        totals.timed += row["timed"]
        totals.total_ms += row["total_ms"] or 0
        totals.buckets = [t + row[f"le_{i}"] for i, t in enumerate(totals.buckets)]
    return HistoryTotals(
        jobs=dict(jobs),
        writes={flow: (w, s) for flow, (w, s) in writes.items()},
        records=dict(records),
        inbox_pruned=dict(inbox),
        exceptions_pruned=dict(exceptions),
    )
