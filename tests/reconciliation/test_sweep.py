"""Interrupted reconciliation runs: a run whose heartbeat stopped is marked interrupted by the sweep and
its check queued again (a bounded number of times), then run again by a person from the console, the API
and the command, each audited."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from governance.models import AuditEntry
from reconciliation import services
from reconciliation.models import ReconciliationRun, RunStatus, RunTrigger
from reconciliation.schedules import SWEEP_SCHEDULE_FUNC, SWEEP_SCHEDULE_NAME
from reconciliation.services import reconciliation_sweep
from reconciliation.tasks import reconciliation_run_task, reconciliation_sweep_task
from tests.api_support import token_client
from tests.reconciliation.fakes import ExceptionQueueDouble, Sides, install_check, no_sources
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: calls.append(args))
    return calls


def stale_running(check: str = "accounts", **fields: Any) -> ReconciliationRun:
    """A run left running by a worker that stopped: its heartbeat is older than the lease."""
    run = ReconciliationRun.objects.create(check_name=check, status=RunStatus.RUNNING, **fields)
    old = timezone.now() - services.job_lease() - dt.timedelta(seconds=5)
    ReconciliationRun.objects.filter(pk=run.pk).update(started_at=old, heartbeat_at=old, created_at=old)
    return run


def test_the_sweep_marks_a_stale_run_interrupted_and_queues_its_check_again(
    sent: list[tuple[Any, ...]], django_capture_on_commit_callbacks: Any
) -> None:
    lost = stale_running(trigger=RunTrigger.SCHEDULE)
    alive = ReconciliationRun.objects.create(
        check_name="invoices", status=RunStatus.RUNNING, heartbeat_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = reconciliation_sweep()
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert result.interrupted == [lost.pk]
    assert lost.status == RunStatus.INTERRUPTED and "Interrupted" in lost.error and lost.finished_at
    assert alive.status == RunStatus.RUNNING  # its heartbeat is fresh
    (rerun,) = result.rerun
    new = ReconciliationRun.objects.get(pk=rerun)
    assert (new.check_name, new.status, new.trigger) == ("accounts", RunStatus.QUEUED, RunTrigger.SCHEDULE)
    assert sent == [(services.RUN_TASK, new.pk)]
    # A second sweep finds nothing more to do (the new run is queued and its task just sent).
    again = reconciliation_sweep()
    assert (again.interrupted, again.rerun, again.redelivered) == ([], [], [])


def test_a_run_killed_every_time_waits_for_a_person_after_the_automatic_reruns(
    sent: list[tuple[Any, ...]],
) -> None:
    for attempt in range(services.AUTO_RERUNS + 1):
        stale_running()
        result = reconciliation_sweep()
        assert len(result.interrupted) == 1
        expected_rerun = attempt < services.AUTO_RERUNS
        assert bool(result.rerun) == expected_rerun
        ReconciliationRun.objects.filter(status=RunStatus.QUEUED).delete()
    assert ReconciliationRun.objects.filter(status=RunStatus.INTERRUPTED).count() == services.AUTO_RERUNS + 1


def test_a_scoped_release_test_run_is_marked_but_not_queued_again(sent: list[tuple[Any, ...]]) -> None:
    scoped = stale_running(scope=["006A"], trigger=RunTrigger.RELEASE_TEST)
    result = reconciliation_sweep()
    scoped.refresh_from_db()
    assert scoped.status == RunStatus.INTERRUPTED and result.rerun == [] and sent == []


def test_a_queued_run_whose_task_was_lost_is_sent_again_once_per_lease(sent: list[tuple[Any, ...]]) -> None:
    run = ReconciliationRun.objects.create(check_name="accounts")
    ReconciliationRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - services.job_lease() - dt.timedelta(seconds=5)
    )
    assert reconciliation_sweep().redelivered == [run.pk]
    assert reconciliation_sweep().redelivered == []  # its fresh mark gives the task its chance
    assert sent == [(services.RUN_TASK, run.pk)]
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED


@THREADED_DB  # the heartbeat thread writes through its own connection
def test_a_running_run_renews_its_heartbeat_and_the_sweep_leaves_it_alone(
    monkeypatch: pytest.MonkeyPatch, settings: Any, sent: list[tuple[Any, ...]]
) -> None:
    """While the run reads (here: a read that takes longer than the lease), its heartbeat is renewed, so
    the sweep running meanwhile does not take it for interrupted."""
    settings.JOB_LEASE_SECONDS = 0.6  # renewed every 0.2 s
    ExceptionQueueDouble().install(monkeypatch)
    seen: dict[str, Any] = {}
    run = ReconciliationRun.objects.create(check_name="fake")

    def during() -> None:
        if seen:
            return
        first = ReconciliationRun.objects.get(pk=run.pk).heartbeat_at
        threading.Event().wait(1.2)  # twice the lease: only renewal keeps it fresh
        seen["first"] = first
        seen["renewed"] = ReconciliationRun.objects.get(pk=run.pk).heartbeat_at
        seen["sweep"] = reconciliation_sweep().interrupted

    install_check(
        monkeypatch, Sides(salesforce=[("a", ("A", 1.0))], netsuite=[("a", ("A", 1.0))], during=during)
    )
    monkeypatch.setattr(services, "reconciliation_sources", no_sources)
    assert reconciliation_run_task(run.pk) == "fake: succeeded"
    assert seen["first"] is not None and seen["renewed"] > seen["first"]
    assert seen["sweep"] == []


def test_run_again_from_the_console_is_audited_and_refused_to_auditors(
    sent: list[tuple[Any, ...]], revops_client: Client, auditor_client: Client
) -> None:
    lost = stale_running()
    reconciliation_sweep()
    ReconciliationRun.objects.filter(status=RunStatus.QUEUED).delete()  # the automatic re-run was lost too
    page = revops_client.get(f"/reconciliation/runs/{lost.pk}/")
    assert b"Interrupted" in page.content and b"Run again" in page.content
    assert auditor_client.post(f"/reconciliation/runs/{lost.pk}/rerun/").status_code == 403
    response = revops_client.post(f"/reconciliation/runs/{lost.pk}/rerun/", {"reason": "worker restarted"})
    new = ReconciliationRun.objects.get(status=RunStatus.QUEUED)
    assert response.status_code == 302 and response["Location"] == f"/reconciliation/runs/{new.pk}/"
    assert new.triggered_by is not None
    assert (new.check_name, new.trigger, new.triggered_by.username) == ("accounts", "console", "revops")
    entry = AuditEntry.objects.get(additional_data__event="reconciliation_rerun")
    assert entry.object_id == lost.pk and entry.actor is not None and entry.actor.username == "revops"
    assert entry.additional_data["new_run"] == new.pk
    assert entry.additional_data["reason"] == "worker restarted"


def test_run_again_through_the_api(sent: list[tuple[Any, ...]], finance: User, auditor: User) -> None:
    lost = stale_running()
    ReconciliationRun.objects.filter(pk=lost.pk).update(status=RunStatus.INTERRUPTED)
    refused = token_client(auditor).post(f"/api/v1/reconciliation/runs/{lost.pk}/rerun/", content_type=JSON)
    assert refused.status_code == 403
    response = token_client(finance).post(
        f"/api/v1/reconciliation/runs/{lost.pk}/rerun/", {"reason": "after the outage"}, content_type=JSON
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["id"] != lost.pk
    assert AuditEntry.objects.filter(
        additional_data__event="reconciliation_rerun", object_id=lost.pk
    ).exists()
    succeeded = ReconciliationRun.objects.create(check_name="invoices", status=RunStatus.SUCCEEDED)
    again = token_client(finance).post(
        f"/api/v1/reconciliation/runs/{succeeded.pk}/rerun/", content_type=JSON
    )
    assert again.status_code == 400


def test_the_command_sweeps_and_runs_again(sent: list[tuple[Any, ...]]) -> None:
    lost = stale_running()
    out = StringIO()
    call_command("reconcile", "--sweep", stdout=out)
    lost.refresh_from_db()
    assert lost.status == RunStatus.INTERRUPTED and f"interrupted [{lost.pk}]" in out.getvalue()
    ReconciliationRun.objects.filter(status=RunStatus.QUEUED).delete()
    call_command("reconcile", "--rerun", str(lost.pk), "--reason", "by hand", stdout=out)
    new = ReconciliationRun.objects.get(status=RunStatus.QUEUED)
    assert new.trigger == RunTrigger.COMMAND and f"run #{new.pk} queued" in out.getvalue()
    entry = AuditEntry.objects.get(additional_data__event="reconciliation_rerun")
    assert entry.actor is None and entry.additional_data["reason"] == "by hand"


def test_the_sweep_runs_every_minute_from_its_schedule(sent: list[tuple[Any, ...]]) -> None:
    call_command("reconciliation_schedules_ensure", stdout=StringIO())
    call_command("reconciliation_schedules_ensure", stdout=StringIO())
    schedule = Schedule.objects.get(name=SWEEP_SCHEDULE_NAME)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (SWEEP_SCHEDULE_FUNC, "I", 1)
    stale_running()
    assert reconciliation_sweep_task() == 1
