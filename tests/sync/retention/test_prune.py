"""The prune: what goes, what stays whatever its age, totals unchanged, re-runs and dry runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from console import selectors as figures
from console.metrics import metrics_registry
from governance.models import AuditEntry
from sync.exceptions.models import ExceptionItem
from sync.pipeline.models import InboxMessage, JobStatus, SyncJob, SyncRecord
from sync.retention.models import DailyCount, RetentionPolicy
from sync.retention.policy import retention_policy
from sync.retention.prune import retention_prune
from sync.retention.rollup import retention_rollup
from tests.sync.retention.conftest import DAY, NOW, History, job, record

pytestmark = pytest.mark.django_db


def scrape(registry: CollectorRegistry | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics' totals (the gauges of the present moment left out)."""
    from prometheus_client.exposition import generate_latest

    text = generate_latest(registry or metrics_registry(now=NOW)).decode()
    totals = (
        "concord_sync_jobs",
        "concord_netsuite_writes",
        "concord_sync_records",
        "concord_sync_record_duration_seconds",
        "concord_exceptions",
        "concord_inbox_messages",
    )
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        if family.name in totals
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def dashboard(user: Any) -> tuple[Any, ...]:
    return (
        figures.sync_volume(now=NOW),
        figures.exception_rate(user=user, now=NOW),
        figures.open_exceptions_by_age(user=user, now=NOW),
    )


def exists(obj: Any) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


def test_it_prunes_only_what_nothing_live_reads(history: History) -> None:
    result = retention_prune()
    assert not exists(history.old_plain_job)
    assert not SyncRecord.objects.filter(job_id=history.old_plain_job.pk).exists()
    assert not exists(history.old_done_message)
    assert not exists(history.old_resolved)
    # Kept whatever their age: the newest synced record of an opportunity, a job an open exception names,
    # a backfill, a job still running, a deal's first won event, a message not done, an open exception.
    for kept in (
        history.newest_synced_job,
        history.named_job,
        history.backfill_job,
        history.running_job,
        history.recent_job,
        history.first_won_message,
        history.old_pending_message,
        history.old_open,
        history.recent_resolved,
    ):
        assert exists(kept), kept
    assert (result.jobs, result.records, result.inbox, result.exceptions) == (1, 2, 1, 1)


def test_totals_on_metrics_and_the_dashboard_are_the_same_after_pruning(
    history: History, admin: User
) -> None:
    before, board = scrape(), dashboard(admin)
    assert (
        before[("concord_sync_jobs_total", (("flow", "opportunity_to_netsuite"), ("status", "succeeded")))]
        == 3
    )
    retention_prune()
    assert DailyCount.objects.exists()
    assert scrape() == before
    assert dashboard(admin) == board
    # A second day: more history, another prune; the totals still add up.
    SyncJob.objects.filter(pk=history.running_job.pk).update(status=JobStatus.INTERRUPTED)
    before = scrape()
    retention_prune()
    assert not exists(history.running_job)  # interrupted now, counted, nothing reads it
    assert scrape() == before


def test_it_writes_one_audit_entry_with_the_counts_and_a_rerun_prunes_nothing(
    history: History, admin: User
) -> None:
    # Entries of earlier tests may stand (the trail is append-only, on PostgreSQL even to the test's flush).
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    retention_prune(user=admin)
    entries = AuditEntry.objects.filter(pk__gt=mark, additional_data__event="retention_pruned")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor == admin
    assert (
        entry.additional_data["jobs"],
        entry.additional_data["inbox"],
        entry.additional_data["exceptions"],
    ) == (
        1,
        1,
        1,
    )
    # Deleting wrote no entry per row (the one above says it all).
    assert not AuditEntry.objects.filter(pk__gt=mark, action=AuditEntry.Action.DELETE).exists()
    again = retention_prune(user=admin)
    assert not again.deleted_any
    assert entries.count() == 1
    assert retention_policy().last_run_counts["jobs"] == 0


def test_a_dry_run_counts_what_would_go_and_changes_nothing(history: History) -> None:
    counts = (SyncJob.objects.count(), InboxMessage.objects.count(), ExceptionItem.objects.count())
    mark = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    dry = retention_prune(dry_run=True)
    assert (dry.jobs, dry.records, dry.inbox, dry.exceptions) == (1, 2, 1, 1)
    assert (SyncJob.objects.count(), InboxMessage.objects.count(), ExceptionItem.objects.count()) == counts
    assert not DailyCount.objects.exists()
    assert not AuditEntry.objects.filter(pk__gt=mark, additional_data__event="retention_pruned").exists()


def test_it_deletes_in_bounded_batches(history: History) -> None:
    SyncJob.objects.filter(pk=history.running_job.pk).update(status=JobStatus.INTERRUPTED)
    for n in range(6):
        old = job(history.salesforce, history.netsuite, at=NOW - (250 + n) * DAY)
        record(old, f"0060000000001{n:02d}AAA", "failed")
    with CaptureQueriesContext(connection) as queries:
        result = retention_prune(batch_size=2)
    assert (result.jobs, result.records) == (8, 8)
    job_deletes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "sync_syncjob"')
    ]
    assert len(job_deletes) == 4  # 8 jobs, 2 a transaction


def test_it_keeps_everything_a_policy_keeps_for_ever(history: History) -> None:
    policy = retention_policy()
    policy.jobs_days = policy.inbox_days = policy.exceptions_days = None
    policy.save()
    result = retention_prune()
    assert not result.deleted_any
    assert exists(history.old_plain_job) and exists(history.old_done_message) and exists(history.old_resolved)


def test_the_rollup_waits_for_a_day_whose_job_still_runs(history: History) -> None:
    retention_rollup(now=NOW)
    assert retention_policy().rolled_up_through == history.running_job.started_at.date()
    SyncJob.objects.filter(pk=history.running_job.pk).update(status=JobStatus.INTERRUPTED)
    days = retention_rollup(now=NOW)
    assert retention_policy().rolled_up_through == NOW.date()  # today is not over: not counted yet
    assert days and days[-1] == NOW.date() - DAY
    assert retention_rollup(now=NOW) == []  # again: nothing new to count


def test_metrics_read_the_counts_and_a_bounded_window(
    history: History, django_assert_max_num_queries: Any
) -> None:
    SyncJob.objects.filter(pk=history.running_job.pk).update(status=JobStatus.INTERRUPTED)
    retention_rollup(now=NOW)
    first = scrape()
    # Another year of history, counted by the rollup: a scrape costs the same queries and reads no
    # job or record before the mark.
    for n in range(30):
        older = job(history.salesforce, history.netsuite, at=NOW - (330 + n) * DAY)
        record(older, f"0060000000002{n:02d}AAA", "synced", 50)
    policy = retention_policy()
    policy.rolled_up_through = None
    policy.save()
    DailyCount.objects.all().delete()
    retention_rollup(now=NOW)
    with CaptureQueriesContext(connection) as queries:
        scrape()
    with django_assert_max_num_queries(len(queries.captured_queries)):
        after = scrape()
    history_reads = [
        q["sql"]
        for q in queries.captured_queries
        if "sync_syncjob" in q["sql"] and "sync_dailycount" not in q["sql"]
    ]
    assert history_reads and all("started_at" in sql for sql in history_reads), history_reads
    key = ("concord_sync_jobs_total", (("flow", "opportunity_to_netsuite"), ("status", "succeeded")))
    assert after[key] == first[key] + 30


@pytest.mark.django_db
def test_a_stored_policy_reaching_past_the_calendar_keeps_everything() -> None:
    """A policy stored before the maximum was enforced (or written to the table by hand) prunes nothing
    of that kind instead of failing: the cutoff would fall before the year 1."""
    RetentionPolicy.objects.update_or_create(pk=retention_policy().pk, defaults={"jobs_days": 10**9})
    result = retention_prune(dry_run=True)
    assert result.cutoffs["jobs"] is None and result.jobs == 0
    assert retention_prune().jobs == 0
