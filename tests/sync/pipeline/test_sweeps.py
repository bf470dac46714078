"""Nothing stays "running" for ever (issue 18, point 7): heartbeats, the interrupted-work sweep, resuming
a backfill from its cursor and queuing an interrupted job's unfinished opportunities again.

The kill -9 and time-out cases with real qcluster processes are in tests/reliability/test_interrupted.py;
these drive the same services in-process against the simulators.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.models import AuditEntry
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.pipeline.backfills import backfill_step, backfills_sweep
from sync.pipeline.heartbeat import Heartbeat
from sync.pipeline.models import (
    Backfill,
    BackfillStatus,
    InboxMessage,
    JobStatus,
    RecordStatus,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.sweeps import interrupted_sweep
from sync.tasks import backfill_run
from tests.api_support import token_client
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB

LONG_AGO = dt.timedelta(hours=1)


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """The tasks enqueued, instead of a broker: (name, *args)."""
    tasks: list[tuple[object, ...]] = []

    def enqueue(name: str, *args: object, **options: object) -> None:
        tasks.append((name, *args))

    monkeypatch.setattr("sync.pipeline.backfills.async_task", enqueue)
    monkeypatch.setattr("sync.golive.sweep.async_task", enqueue)
    return tasks


def _dead_job(salesforce: Connection, netsuite: Connection, *, beat: dt.datetime | None) -> SyncJob:
    job = SyncJob.objects.create(
        trigger="outbound_message",
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        records_total=2,
    )
    SyncJob.objects.filter(pk=job.pk).update(heartbeat_at=beat, started_at=timezone.now() - LONG_AGO)
    SyncRecord.objects.create(
        job=job, opportunity_id="006000000000001AAA", status=RecordStatus.SYNCED, writes=2
    )
    SyncRecord.objects.create(job=job, opportunity_id="006000000000002AAA")  # never finished
    return job


def test_it_marks_a_job_whose_heartbeat_stopped_interrupted_and_leaves_a_live_one(
    seeded_connections: tuple[Connection, Connection],
) -> None:
    salesforce, netsuite = seeded_connections
    dead = _dead_job(salesforce, netsuite, beat=timezone.now() - LONG_AGO)
    never_beat = _dead_job(salesforce, netsuite, beat=None)  # a job from before heartbeats
    live = _dead_job(salesforce, netsuite, beat=timezone.now())
    result = interrupted_sweep()
    assert sorted(result.jobs_interrupted) == sorted([dead.pk, never_beat.pk])
    dead.refresh_from_db()
    assert dead.status == JobStatus.INTERRUPTED and dead.finished_at is not None
    assert (dead.records_synced, dead.netsuite_writes) == (1, 2)
    assert "1 of 2 opportunities unfinished" in dead.message and "inbox" in dead.message
    live.refresh_from_db()
    assert live.status == JobStatus.RUNNING
    assert interrupted_sweep().jobs_interrupted == []  # a second sweep finds nothing new


def test_a_heartbeat_is_renewed_while_the_work_runs_and_not_after(
    seeded_connections: tuple[Connection, Connection],
) -> None:
    salesforce, netsuite = seeded_connections
    job = _dead_job(salesforce, netsuite, beat=timezone.now() - LONG_AGO)
    with Heartbeat(SyncJob, status=JobStatus.RUNNING, every=0.05) as heartbeat:
        heartbeat.watch(job.pk)
        time.sleep(0.3)
    job.refresh_from_db()
    assert job.heartbeat_at is not None and timezone.now() - job.heartbeat_at < dt.timedelta(seconds=5)
    assert interrupted_sweep().jobs_interrupted == []


def test_run_batch_keeps_its_job_beating(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector
) -> None:
    from sync.pipeline.runner import run_batch

    salesforce, netsuite = seeded_connections
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=won_ids(sf)[:2])
    assert job.heartbeat_at is not None and job.status == JobStatus.SUCCEEDED


def _kill_mid_batch(backfill: Backfill) -> None:
    """What a worker killed inside a batch leaves: the backfill running under its claim, no heartbeat
    since, and the batch's job running."""
    Backfill.objects.filter(pk=backfill.pk).update(
        status=BackfillStatus.RUNNING, claim_token="dead", heartbeat_at=timezone.now() - LONG_AGO
    )


def test_a_backfill_killed_mid_batch_is_marked_interrupted_and_resumes_from_its_cursor(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
    revops: User,
    queued: list[tuple[object, ...]],
) -> None:
    salesforce, netsuite = seeded_connections
    ids = won_ids(sf)
    backfill = Backfill.objects.create(
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        since=dt.date(2026, 1, 1),
        batch_size=4,
    )
    backfill = backfill_step(backfill_id=backfill.pk, step=0, chain=False)
    assert (backfill.status, backfill.batches, backfill.done, backfill.cursor) == ("queued", 1, 4, ids[3])
    _kill_mid_batch(backfill)
    interrupted, resumed = backfills_sweep()
    assert interrupted == resumed == [backfill.pk]
    backfill.refresh_from_db()
    assert backfill.status == BackfillStatus.QUEUED and backfill.interruptions == 1
    assert backfill.batch_size == 2  # halved: a batch too long for the time-out shrinks until it fits
    assert backfill.interrupted_at is not None and "resumed automatically" in backfill.error
    assert queued == [("sync.tasks.backfill_run", backfill.pk, 1)]  # the same batch again
    while queued:
        _, pk, step = queued.pop(0)
        backfill_run(pk, step)  # type: ignore[arg-type]
    backfill.refresh_from_db()
    assert backfill.status == BackfillStatus.SUCCEEDED and backfill.done == len(ids) == backfill.total
    assert sorted(SyncRecord.objects.values_list("opportunity_id", flat=True)) == ids  # none twice
    assert all(netsuite_count("transaction", i) == 1 for i in ids)


def test_a_queued_batch_whose_task_was_lost_is_queued_again_without_counting_an_interruption(
    seeded_connections: tuple[Connection, Connection], queued: list[tuple[object, ...]]
) -> None:
    salesforce, netsuite = seeded_connections
    backfill = Backfill.objects.create(
        salesforce_connection=salesforce, netsuite_connection=netsuite, since=dt.date(2026, 1, 1)
    )
    Backfill.objects.filter(pk=backfill.pk).update(batches=2, heartbeat_at=timezone.now() - LONG_AGO)
    assert backfills_sweep() == ([], [backfill.pk])
    assert queued == [("sync.tasks.backfill_run", backfill.pk, 2)]
    backfill.refresh_from_db()
    assert (backfill.status, backfill.interruptions, backfill.batch_size) == ("queued", 0, 200)
    assert backfills_sweep() == ([], [])  # not again before the new task had its chance


def test_a_backfill_out_of_automatic_resumes_waits_for_a_person(
    seeded_connections: tuple[Connection, Connection],
    revops_client: Client,
    finance_client: Client,
    revops: User,
    queued: list[tuple[object, ...]],
) -> None:
    salesforce, netsuite = seeded_connections
    backfill = Backfill.objects.create(
        salesforce_connection=salesforce, netsuite_connection=netsuite, since=dt.date(2026, 1, 1)
    )
    Backfill.objects.filter(pk=backfill.pk).update(interruptions=3, batches=2, cursor="006000000000009AAA")
    _kill_mid_batch(backfill)
    assert backfills_sweep() == ([backfill.pk], [])
    backfill.refresh_from_db()
    assert backfill.status == BackfillStatus.INTERRUPTED and not queued
    page = revops_client.get(reverse("sync:backfill", args=[backfill.pk])).content.decode()
    assert "Interrupted" in page and "Resume from batch 3" in page and "hx-trigger" not in page
    resume = reverse("sync:backfill-resume", args=[backfill.pk])
    assert finance_client.post(resume, {"reason": "x"}).status_code == 403
    answer = revops_client.post(resume, {"reason": "the NetSuite outage is over"})
    assert answer.status_code == 302
    backfill.refresh_from_db()
    assert backfill.status == BackfillStatus.QUEUED and backfill.cursor == "006000000000009AAA"
    assert queued == [("sync.tasks.backfill_run", backfill.pk, 2)]
    entry = AuditEntry.objects.get(additional_data__event="backfill_resume")
    assert entry.actor is not None and entry.actor.username == "revops"
    assert entry.additional_data["reason"] == "the NetSuite outage is over"
    # Resuming what is not interrupted is refused.
    assert "only an interrupted or failed" in revops_client.post(resume, follow=True).content.decode()


def test_the_api_and_the_command_resume_a_backfill(
    seeded_connections: tuple[Connection, Connection],
    revops: User,
    auditor: User,
    queued: list[tuple[object, ...]],
) -> None:
    salesforce, netsuite = seeded_connections
    backfill = Backfill.objects.create(
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        since=dt.date(2026, 1, 1),
        status=BackfillStatus.INTERRUPTED,
    )
    url = f"/api/v1/backfills/{backfill.pk}/resume/"
    assert token_client(auditor).post(url, {}, content_type="application/json").status_code == 403
    answer = token_client(revops).post(url, {"reason": "api"}, content_type="application/json")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    listed = token_client(auditor).get("/api/v1/backfills/").json()
    assert [row["id"] for row in listed["results"]] == [backfill.pk]
    Backfill.objects.filter(pk=backfill.pk).update(status=BackfillStatus.FAILED)
    out = io.StringIO()
    call_command("sync_sweep", "--resume-backfill", str(backfill.pk), "--reason", "cli", stdout=out)
    assert f"Backfill #{backfill.pk} resumed from batch 1." in out.getvalue()
    reasons = AuditEntry.objects.filter(additional_data__event="backfill_resume")
    assert sorted(entry.additional_data["reason"] for entry in reasons) == ["api", "cli"]
    assert len(queued) == 2


def test_an_interrupted_jobs_unfinished_opportunities_can_be_queued_again(
    seeded_connections: tuple[Connection, Connection],
    revops_client: Client,
    revops: User,
    auditor: User,
) -> None:
    salesforce, netsuite = seeded_connections
    job = _dead_job(salesforce, netsuite, beat=timezone.now() - LONG_AGO)
    requeue = reverse("sync:job-requeue", args=[job.pk])
    # Still running (as far as anyone knows): refused.
    assert "only an interrupted job" in revops_client.post(requeue, follow=True).content.decode()
    call_command("sync_sweep", stdout=io.StringIO())
    page = revops_client.get(reverse("sync:job", args=[job.pk])).content.decode()
    assert "Interrupted" in page and "Queue unfinished opportunities again" in page
    assert revops_client.post(requeue, {"reason": "now"}).status_code == 302
    queued = InboxMessage.objects.filter(record_id="006000000000002AAA")
    assert queued.count() == 1 and not InboxMessage.objects.filter(record_id="006000000000001AAA").exists()
    url = f"/api/v1/jobs/{job.pk}/requeue/"
    assert token_client(auditor).post(url, {}, content_type="application/json").status_code == 403
    answer = token_client(revops).post(url, {}, content_type="application/json")
    assert answer.status_code == 202 and len(answer.json()["inbox_messages"]) == 1
    out = io.StringIO()
    call_command("sync_sweep", "--requeue-job", str(job.pk), stdout=out)
    assert "1 unfinished opportunities queued again" in out.getvalue()
    assert AuditEntry.objects.filter(additional_data__event="sync_job_requeue").count() == 3


def test_the_sweep_queues_a_stale_golive_apply_or_scan_again(
    seeded_connections: tuple[Connection, Connection], queued: list[tuple[object, ...]]
) -> None:
    salesforce, netsuite = seeded_connections
    applying = GoLiveRun.objects.create(
        salesforce_connection=salesforce, netsuite_connection=netsuite, status=GoLiveStatus.APPLYING
    )
    scanning = GoLiveRun.objects.create(
        salesforce_connection=salesforce, netsuite_connection=netsuite, status=GoLiveStatus.SCANNING
    )
    fresh = GoLiveRun.objects.create(
        salesforce_connection=salesforce, netsuite_connection=netsuite, status=GoLiveStatus.APPLYING
    )
    GoLiveRun.objects.exclude(pk=fresh.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    GoLiveRun.objects.filter(pk=fresh.pk).update(heartbeat_at=timezone.now())
    assert sorted(interrupted_sweep().requeued["golive"]) == sorted([applying.pk, scanning.pk])
    assert sorted(queued) == sorted(
        [("sync.tasks.golive_apply_run", applying.pk), ("sync.tasks.golive_scan_run", scanning.pk)]
    )
    scanning.refresh_from_db()
    assert scanning.status == GoLiveStatus.QUEUED  # claimable again by the scan task
    assert interrupted_sweep().requeued["golive"] == []  # not again before its task had its chance
