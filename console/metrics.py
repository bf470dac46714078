"""Prometheus metrics, read from the database at scrape time.

Counters kept in process memory would split across the web and worker processes (and reset with each);
the database already holds every job, record, exception and inbox row, so one custom collector reads the
totals when Prometheus asks. Totals of history come from the retention's daily counts plus the live rows
since its mark (sync/retention/rollup.py), so a scrape reads a day or two of rows, not all of history, and
pruning changes no total. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from console import selectors as figures
from reconciliation.models import ReconciliationRun, RunStatus
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.pipeline.models import InboxMessage, InboxStatus
from sync.pipeline.selectors import background_task_summary
from sync.retention.rollup import DURATION_BUCKETS, HistoryTotals, RecordTotals, history_totals

__all__ = ["DURATION_BUCKETS", "ConcordCollector", "metrics_registry"]


class ConcordCollector(Collector):
    """Sync counters and latencies, exception counts, queue depth and vendor limits."""

    def __init__(self, *, now: dt.datetime | None = None) -> None:
        self._now = now

    def collect(self) -> Iterator[Metric]:
        now = self._now or timezone.now()
        # Totals of all history: the daily counts plus the live rows since the rollup's mark (bounded).
        history = history_totals()
        yield from self._jobs(history)
        yield from self._records(history)
        yield from self._exceptions(now, history)
        yield from self._queue(now, history)
        yield from self._limits()
        yield from self._reconciliation()

    def _jobs(self, history: HistoryTotals) -> Iterator[Metric]:
        jobs = CounterMetricFamily(
            "concord_sync_jobs", "Sync jobs run, by flow and status", labels=["flow", "status"]
        )
        for (flow, status), count in sorted(history.jobs.items()):
            jobs.add_metric([flow, status], count)
        yield jobs
        writes = CounterMetricFamily(
            "concord_netsuite_writes",
            "NetSuite records written (or skipped as unchanged)",
            labels=["flow", "outcome"],
        )
        for flow, (written, skipped) in sorted(history.writes.items()):
            writes.add_metric([flow, "written"], written)
            writes.add_metric([flow, "skipped"], skipped)
        yield writes

    def _records(self, history: HistoryTotals) -> Iterator[Metric]:
        records = CounterMetricFamily(
            "concord_sync_records", "Opportunities processed, by flow and outcome", labels=["flow", "status"]
        )
        for (flow, status), totals in sorted(history.records.items()):
            records.add_metric([flow, status], totals.count)
        yield records
        histogram = HistogramMetricFamily(
            "concord_sync_record_duration_seconds",
            "Time to sync one opportunity to NetSuite",
            labels=["flow"],
        )
        per_flow: dict[str, RecordTotals] = {}
        for (flow, _), totals in history.records.items():
            into = per_flow.setdefault(flow, RecordTotals())
            into.timed += totals.timed
            into.total_ms += totals.total_ms
            into.buckets = [a + b for a, b in zip(into.buckets, totals.buckets, strict=True)]
        for flow, totals in sorted(per_flow.items()):
            if not totals.timed:
                continue
            buckets = [(str(bound), totals.buckets[index]) for index, bound in enumerate(DURATION_BUCKETS)]
            buckets.append(("+Inf", totals.timed))
            histogram.add_metric([flow], buckets, sum_value=totals.total_ms / 1000)
        yield histogram

    def _exceptions(self, now: dt.datetime, history: HistoryTotals) -> Iterator[Metric]:
        by_status = GaugeMetricFamily(
            "concord_exceptions",
            "Exceptions by status, category and severity",
            labels=["status", "category", "severity"],
        )
        counts: dict[tuple[str, str, str], int] = dict(history.exceptions_pruned)
        rows = ExceptionItem.objects.values("status", "category__key", "severity").annotate(n=Count("id"))
        for row in rows.order_by():
            key = (row["status"], row["category__key"], row["severity"])
            counts[key] = counts.get(key, 0) + row["n"]
        for (status, category, severity), count in sorted(counts.items()):
            by_status.add_metric([status, category, severity], count)
        yield by_status
        overdue = ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES, due_at__lt=now).count()
        yield GaugeMetricFamily("concord_exceptions_overdue", "Open exceptions past their SLA", value=overdue)

    def _queue(self, now: dt.datetime, history: HistoryTotals) -> Iterator[Metric]:
        inbox = GaugeMetricFamily("concord_inbox_messages", "Inbox messages by status", labels=["status"])
        counts = dict(
            InboxMessage.objects.values("status").annotate(n=Count("id")).values_list("status", "n")
        )
        for status in InboxStatus.values:
            inbox.add_metric([status], counts.get(status, 0) + history.inbox_pruned.get(status, 0))
        yield inbox
        oldest = InboxMessage.objects.filter(status__in=[InboxStatus.PENDING, InboxStatus.CLAIMED]).aggregate(
            oldest=Min("received_at")
        )["oldest"]
        yield GaugeMetricFamily(
            "concord_inbox_lag_seconds",
            "Age of the oldest inbox message not yet done (0 when none waits)",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        queued = background_task_summary().queued
        if queued is not None:
            yield GaugeMetricFamily(
                "concord_task_queue_depth", "Background tasks waiting in the broker", value=queued
            )

    def _limits(self) -> Iterator[Metric]:
        in_use = GaugeMetricFamily(
            "concord_netsuite_concurrency_in_use", "NetSuite request slots held now", labels=["connection"]
        )
        limit = GaugeMetricFamily(
            "concord_netsuite_concurrency_limit", "NetSuite request slots allowed", labels=["connection"]
        )
        for use in figures.netsuite_concurrency():
            if use.in_use is not None:
                in_use.add_metric([use.connection.name], use.in_use)
            limit.add_metric([use.connection.name], use.limit)
        yield in_use
        yield limit
        used = GaugeMetricFamily(
            "concord_salesforce_api_requests_used",
            "Salesforce API requests used (Sforce-Limit-Info)",
            labels=["connection"],
        )
        allowed = GaugeMetricFamily(
            "concord_salesforce_api_requests_limit",
            "Salesforce API requests allowed per 24 h",
            labels=["connection"],
        )
        for usage in figures.salesforce_api_usage():
            used.add_metric([usage.connection.name], usage.used)
            allowed.add_metric([usage.connection.name], usage.limit)
        yield used
        yield allowed

    def _reconciliation(self) -> Iterator[Metric]:
        mismatches = GaugeMetricFamily(
            "concord_reconciliation_last_mismatches",
            "Mismatches found by the last successful run",
            labels=["check"],
        )
        finished = GaugeMetricFamily(
            "concord_reconciliation_last_success_timestamp_seconds",
            "When the last successful run of each check finished",
            labels=["check"],
        )
        for last in figures.last_reconciliations():
            run = last.run
            if run is not None and run.status != RunStatus.SUCCEEDED:
                run = ReconciliationRun.objects.filter(
                    check_name=last.check, status=RunStatus.SUCCEEDED
                ).first()
            if run is None:
                continue
            mismatches.add_metric([last.check], run.mismatch_total)
            if run.finished_at is not None:
                finished.add_metric([last.check], run.finished_at.timestamp())
        yield mismatches
        yield finished


def metrics_registry(*, now: dt.datetime | None = None) -> CollectorRegistry:
    """A registry with only Concord's collector (process metrics would describe one web worker only)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ConcordCollector(now=now))
    return registry
