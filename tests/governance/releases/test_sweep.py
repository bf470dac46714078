"""Interrupted release test runs: a run whose heartbeat stopped is marked interrupted by the sweep (not
started again by itself) and retried by a person from the console, the API or the command, audited."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from governance.models import AuditEntry
from governance.releases import testing
from governance.releases.models import Release, ReleaseStatus, ReleaseTestRun, ReleaseTestStatus
from governance.releases.tasks import release_test_run_task, release_test_sweep_task
from governance.releases.testing import release_test_run_retry, release_test_run_start, release_test_sweep
from sync.connections.models import Connection
from sync.pipeline.heartbeat import job_lease
from tests.api_support import token_client
from tests.governance.releases.conftest import OPPORTUNITY
from tests.sync.pipeline.conftest import THREADED_DB

Pair = tuple[Connection, Connection]
JSON = "application/json"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(testing, "async_task", lambda *args, **kwargs: calls.append(args))
    return calls


def left_running(release: Release, user: User, pair: Pair) -> ReleaseTestRun:
    """A test run claimed by a worker that then stopped: running, its heartbeat older than the lease."""
    run = release_test_run_start(
        release=release, user=user, salesforce=pair[0], netsuite=pair[1], opportunity_ids=[OPPORTUNITY]
    )
    old = timezone.now() - job_lease() - dt.timedelta(seconds=5)
    ReleaseTestRun.objects.filter(pk=run.pk).update(
        status=ReleaseTestStatus.RUNNING, started_at=old, heartbeat_at=old, created_at=old
    )
    return run


@pytest.mark.django_db
def test_the_sweep_marks_a_stale_run_interrupted_and_leaves_the_retry_to_a_person(
    release: Release, revops: User, sandbox_pair: Pair, sent: list[tuple[Any, ...]]
) -> None:
    lost = left_running(release, revops, sandbox_pair)
    sent.clear()
    assert release_test_sweep() == ([lost.pk], [])
    lost.refresh_from_db()
    assert lost.status == ReleaseTestStatus.INTERRUPTED and not lost.passed and lost.finished_at
    assert "Interrupted" in lost.error and sent == []  # not started again by itself
    assert release_test_sweep() == ([], [])
    assert release_test_run_task(lost.pk) == "already claimed"  # a late delivery does nothing


@pytest.mark.django_db
def test_a_queued_run_whose_task_was_lost_is_sent_again_once_per_lease(
    release: Release, revops: User, sandbox_pair: Pair, sent: list[tuple[Any, ...]]
) -> None:
    run = release_test_run_start(
        release=release,
        user=revops,
        salesforce=sandbox_pair[0],
        netsuite=sandbox_pair[1],
        opportunity_ids=[OPPORTUNITY],
    )
    ReleaseTestRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    assert release_test_sweep() == ([], [run.pk])
    assert release_test_sweep() == ([], [])
    assert sent == [(testing.TASK, run.pk)]


@pytest.mark.django_db
def test_retry_from_the_console_starts_the_same_test_again_and_is_audited(
    release: Release,
    revops: User,
    sandbox_pair: Pair,
    sent: list[tuple[Any, ...]],
    fake_run: dict[str, Any],
    revops_client: Client,
    auditor_client: Client,
) -> None:
    lost = left_running(release, revops, sandbox_pair)
    release_test_sweep()
    page = revops_client.get(f"/governance/releases/{release.pk}/")
    assert b"interrupted" in page.content and f"Retry test run #{lost.pk}".encode() in page.content
    url = f"/governance/releases/{release.pk}/test-runs/{lost.pk}/retry/"
    assert auditor_client.post(url).status_code == 403
    response = revops_client.post(url, {"reason": "worker redeployed"})
    assert response.status_code == 302
    new = release.test_runs.get(status=ReleaseTestStatus.QUEUED)
    assert (new.opportunity_ids, new.salesforce_connection, new.netsuite_connection) == (
        lost.opportunity_ids,
        lost.salesforce_connection,
        lost.netsuite_connection,
    )
    entry = AuditEntry.objects.get(additional_data__event="release_test_retry")
    assert entry.object_id == lost.pk and entry.actor == revops
    assert (
        entry.additional_data["new_run"] == new.pk and entry.additional_data["reason"] == "worker redeployed"
    )
    # The retried run passes and the release is tested.
    executed = testing.release_test_run_execute(run_id=new.pk)
    assert executed is not None and executed.passed
    release.refresh_from_db()
    assert release.status == ReleaseStatus.TESTED
    with pytest.raises(ValidationError, match="interrupted or failed"):
        release_test_run_retry(run=executed, user=revops)


@pytest.mark.django_db
def test_retry_through_the_api(
    release: Release, revops: User, auditor: User, sandbox_pair: Pair, sent: list[tuple[Any, ...]]
) -> None:
    lost = left_running(release, revops, sandbox_pair)
    release_test_sweep()
    listed = token_client(auditor).get("/api/v1/release-test-runs/")
    assert listed.status_code == 200
    assert [(row["id"], row["status"]) for row in listed.json()["results"]] == [(lost.pk, "interrupted")]
    url = f"/api/v1/release-test-runs/{lost.pk}/retry/"
    assert token_client(auditor).post(url, content_type=JSON).status_code == 403
    response = token_client(revops).post(url, {"reason": "after the deploy"}, content_type=JSON)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["id"] != lost.pk and body["opportunity_ids"] == [OPPORTUNITY]
    entry = AuditEntry.objects.get(additional_data__event="release_test_retry")
    assert entry.object_id == lost.pk and entry.additional_data["reason"] == "after the deploy"
    again = token_client(revops).post(f"/api/v1/release-test-runs/{body['id']}/retry/", content_type=JSON)
    assert again.status_code == 400  # a queued run is not retried


@pytest.mark.django_db
def test_the_command_sweeps_retries_and_ensures_its_schedule(
    release: Release, revops: User, sandbox_pair: Pair, sent: list[tuple[Any, ...]]
) -> None:
    lost = left_running(release, revops, sandbox_pair)
    out = StringIO()
    call_command("release_test_sweep", stdout=out)
    assert f"interrupted [{lost.pk}]" in out.getvalue()
    with pytest.raises(CommandError, match="--user"):
        call_command("release_test_sweep", "--retry", str(lost.pk), stdout=out)
    call_command(
        "release_test_sweep", "--retry", str(lost.pk), "--user", "revops", "--reason", "by hand", stdout=out
    )
    new = release.test_runs.get(status=ReleaseTestStatus.QUEUED)
    assert f"test run #{new.pk} queued" in out.getvalue()
    assert AuditEntry.objects.get(additional_data__event="release_test_retry").actor == revops
    call_command("release_test_sweep", "--ensure-schedule", stdout=out)
    call_command("release_test_sweep", "--ensure-schedule", stdout=out)
    schedule = Schedule.objects.get(name=testing.SWEEP_SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (testing.SWEEP_TASK, "I", 1)
    assert release_test_sweep_task() == 0


@THREADED_DB  # the heartbeat thread writes through its own connection
def test_a_running_test_run_renews_its_heartbeat_and_the_sweep_leaves_it_alone(
    release: Release,
    revops: User,
    sandbox_pair: Pair,
    sent: list[tuple[Any, ...]],
    fake_run: dict[str, Any],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.JOB_LEASE_SECONDS = 0.6  # renewed every 0.2 s
    run = release_test_run_start(
        release=release,
        user=revops,
        salesforce=sandbox_pair[0],
        netsuite=sandbox_pair[1],
        opportunity_ids=[OPPORTUNITY],
    )
    fake_try = testing._try
    seen: dict[str, Any] = {}

    def slow_try(current: ReleaseTestRun) -> dict[str, Any]:
        seen["first"] = ReleaseTestRun.objects.get(pk=current.pk).heartbeat_at
        threading.Event().wait(1.2)  # twice the lease: only renewal keeps it fresh
        seen["renewed"] = ReleaseTestRun.objects.get(pk=current.pk).heartbeat_at
        seen["sweep"] = release_test_sweep()
        return fake_try(current)

    monkeypatch.setattr(testing, "_try", slow_try)
    executed = testing.release_test_run_execute(run_id=run.pk)
    assert executed is not None and executed.status == ReleaseTestStatus.PASSED
    assert seen["renewed"] > seen["first"] and seen["sweep"] == ([], [])
