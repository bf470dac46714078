"""Runs: mismatches stored in batches, progress while running, exceptions opened once and resolved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from auditlog.context import set_actor
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.models import AuditEntry
from reconciliation import services
from reconciliation.checks import OPPORTUNITIES
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus, Tolerance
from reconciliation.services import (
    check_fields,
    reconciliation_enqueue,
    reconciliation_run,
    reconciliation_run_queued,
    tolerance_set,
)
from reconciliation.tasks import reconciliation_run_task
from sync.connections.connectors.errors import ConnectorError
from tests.reconciliation.fakes import ExceptionQueueDouble, Sides, install_check, no_sources

pytestmark = pytest.mark.django_db


def run_fake(**options: Any) -> ReconciliationRun:
    return reconciliation_run(check="fake", sources=no_sources(), **options)


def test_it_opens_one_exception_per_key_and_field_and_resolves_what_disappears(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue = ExceptionQueueDouble().install(monkeypatch)
    sides = Sides(
        salesforce=[("a", ("Acme", 10.0)), ("b", ("Bolt", 5.0))],
        netsuite=[("a", ("ACME", 10.0)), ("c", ("Core", 1.0))],
    )
    install_check(monkeypatch, sides)

    first = run_fake()
    assert first.status == RunStatus.SUCCEEDED
    keys = sorted(call["dedup_key"] for call in queue.opened)
    assert keys == ["recon:fake:a:name", "recon:fake:b:", "recon:fake:c:"]
    row = Mismatch.objects.get(run=first, key="a")
    assert (row.salesforce_value, row.netsuite_value, row.exception_ref) == (
        "Acme",
        "ACME",
        "EXC-recon:fake:a:name",
    )
    assert queue.resolved == []

    # The name is fixed and c is gone; b is still missing: the same dedup key is opened again (the
    # queue updates that one exception), a and c are resolved with a note naming the run.
    sides.netsuite = [("a", ("Acme", 10.004))]
    queue.opened.clear()
    second = run_fake()
    assert [call["dedup_key"] for call in queue.opened] == ["recon:fake:b:"]
    assert sorted(call["dedup_key"] for call in queue.resolved) == ["recon:fake:a:name", "recon:fake:c:"]
    assert all(f"run #{second.pk} of fake" in call["note"] for call in queue.resolved)

    # A run that finds the same thing again resolves nothing.
    queue.resolved.clear()
    run_fake()
    assert queue.resolved == []


def test_it_resolves_against_the_previous_successful_run_only(monkeypatch: pytest.MonkeyPatch) -> None:
    queue = ExceptionQueueDouble().install(monkeypatch)
    sides = Sides(salesforce=[("a", ("Acme", 1.0))], netsuite=[])
    install_check(monkeypatch, sides)
    run_fake()
    sides.fail = ConnectorError("netsuite", True, "Concurrent request limit exceeded", code="429")
    failed = run_fake()
    assert failed.status == RunStatus.FAILED
    assert "Concurrent request limit exceeded" in failed.error and failed.finished_at is not None
    assert queue.resolved == []  # a failed run proves nothing about what disappeared
    sides.fail = None
    sides.salesforce = []
    run_fake()
    assert [call["dedup_key"] for call in queue.resolved] == ["recon:fake:a:"]


def test_it_stores_in_batches_and_writes_progress_while_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    monkeypatch.setattr(services, "BATCH", 4)
    monkeypatch.setattr(services, "PROGRESS_EVERY", 3)
    seen: list[dict[str, Any]] = []
    sides = Sides(
        salesforce=[(f"k{n:02d}", ("x", float(n))) for n in range(10)],
        netsuite=[(f"k{n:02d}", ("x", float(n) + 1)) for n in range(9)],
        during=lambda: seen.append(ReconciliationRun.objects.get().progress),
    )
    install_check(monkeypatch, sides)
    batches: list[int] = []
    bulk_create = Mismatch.objects.bulk_create

    def spy(rows: list[Mismatch], **kwargs: Any) -> list[Mismatch]:
        batches.append(len(rows))
        return bulk_create(rows, **kwargs)

    monkeypatch.setattr(Mismatch.objects, "bulk_create", spy)
    run = run_fake()

    assert batches == [4, 4, 2]  # 9 amounts differ, 1 missing in NetSuite
    assert run.counts["counts"]["field_differs"] == 9 and run.counts["counts"]["missing_in_netsuite"] == 1
    assert run.counts["field_counts"] == {"amount": 9}
    # The row was updated every 3 records while NetSuite was being read, Salesforce already counted.
    assert {"phase": "reading_netsuite", "salesforce": 10, "netsuite": 3} in seen
    assert {"phase": "reading_netsuite", "salesforce": 10, "netsuite": 6} in seen
    assert run.progress == {"phase": "done", "salesforce": 10, "netsuite": 9}


def test_it_applies_the_tolerances_revops_set(monkeypatch: pytest.MonkeyPatch, revops: User) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    assert [f.tolerance for f in check_fields(OPPORTUNITIES)] == [0.01, 0.0, 0.0, 0.01]
    with set_actor(revops):  # as the middleware does for a request
        tolerance_set(check="opportunities", field="amount", tolerance=Decimal("2.5"), actor=revops)
    assert Tolerance.objects.get().updated_by == revops
    assert check_fields(OPPORTUNITIES)[0].tolerance == 2.5
    entry = AuditEntry.objects.get(content_type__model="tolerance")
    assert entry.actor == revops and entry.changes_dict["tolerance"][1] == "2.5"

    with pytest.raises(ValueError, match="not a numeric field"):
        tolerance_set(check="opportunities", field="currency", tolerance=Decimal("1"), actor=revops)
    with pytest.raises(ValidationError):
        tolerance_set(check="opportunities", field="amount", tolerance=Decimal("-1"), actor=revops)
    assert Tolerance.objects.get().tolerance == Decimal("2.5")

    sides = Sides(salesforce=[("a", ("A", 10.0))], netsuite=[("a", ("A", 10.02))])
    install_check(monkeypatch, sides)
    assert Mismatch.objects.filter(run=run_fake()).count() == 1  # the default 0.01 applies to "fake"
    tolerance_set(check="fake", field="amount", tolerance=Decimal("0.05"), actor=revops)
    assert Mismatch.objects.filter(run=run_fake()).count() == 0


def test_it_queues_one_run_per_check_and_a_task_runs_it_once(
    monkeypatch: pytest.MonkeyPatch, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    install_check(monkeypatch, Sides(salesforce=[("a", ("A", 1.0))]))
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        run = reconciliation_enqueue(check="fake", actor=finance)
        again = reconciliation_enqueue(check="fake", actor=finance)
    assert again.pk == run.pk and run.status == RunStatus.QUEUED and run.triggered_by == finance
    assert queued == [(services.RUN_TASK, run.pk)]

    done = reconciliation_run_queued(run_id=run.pk, sources=no_sources())
    assert done is not None and done.status == RunStatus.SUCCEEDED and done.started_at is not None
    assert reconciliation_run_queued(run_id=run.pk, sources=no_sources()) is None  # a second delivery
    assert Mismatch.objects.filter(run=run).count() == 1


def test_it_refuses_an_unknown_check() -> None:
    with pytest.raises(
        KeyError, match="known checks: accounts, opportunities, invoices, period_totals, subscriptions"
    ):
        reconciliation_run(check="nonsense")


def test_a_run_without_connections_fails_with_the_reason() -> None:
    run = reconciliation_run(check="accounts")
    assert run.status == RunStatus.FAILED and run.progress["phase"] == "failed"
    assert "no active salesforce connection" in run.error


def test_a_run_lost_with_its_worker_does_not_block_the_next(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: queued.append(kwargs))
    lost = ReconciliationRun.objects.create(check_name="invoices", status=RunStatus.RUNNING)
    stale = timezone.now() - services.job_lease() - dt.timedelta(seconds=1)
    ReconciliationRun.objects.filter(pk=lost.pk).update(heartbeat_at=stale)
    with django_capture_on_commit_callbacks(execute=True):
        run = reconciliation_enqueue(check="invoices", actor=None)
    lost.refresh_from_db()
    assert run.pk != lost.pk and lost.status == RunStatus.INTERRUPTED and "Interrupted" in lost.error
    assert queued[0]["timeout"] == 4 * 3600  # longer than the cluster's default for ordinary tasks


def test_the_task_runs_a_queued_run_and_ignores_a_second_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    install_check(monkeypatch, Sides(netsuite=[("a", ("A", 1.0))]))
    monkeypatch.setattr(services, "reconciliation_sources", no_sources)
    run = ReconciliationRun.objects.create(check_name="fake")
    assert reconciliation_run_task(run.pk) == "fake: succeeded"
    assert reconciliation_run_task(run.pk) == "already claimed"


def test_a_scoped_release_test_run_compares_only_its_keys_and_leaves_the_exceptions_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciliation.models import RunTrigger
    from reconciliation.selectors import check_overviews

    queue = ExceptionQueueDouble().install(monkeypatch)
    sides = Sides(
        salesforce=[("a", ("Acme", 1.0)), ("b", ("Bolt", 2.0)), ("x", ("Xeno", 3.0))],
        netsuite=[("a", ("Acme", 1.0)), ("b", ("BOLT", 2.0))],
    )
    install_check(monkeypatch, sides)
    production = run_fake()
    assert sorted(call["dedup_key"] for call in queue.opened) == ["recon:fake:b:name", "recon:fake:x:"]
    queue.opened.clear()

    scoped = run_fake(scope=["b", "a"], trigger=RunTrigger.RELEASE_TEST)
    assert scoped.status == RunStatus.SUCCEEDED and scoped.scope == ["a", "b"]
    assert (scoped.counts["salesforce_records"], scoped.counts["matched"], scoped.mismatch_total) == (2, 1, 1)
    assert list(Mismatch.objects.filter(run=scoped).values_list("key", "exception_ref")) == [("b", "")]
    assert queue.opened == [] and queue.resolved == []  # x is out of scope: its exception stays open

    # The next whole run resolves against the last whole run, not the scoped one; the overview skips it.
    sides.salesforce = [("a", ("Acme", 1.0)), ("b", ("Bolt", 2.0))]
    third = run_fake()
    assert [call["dedup_key"] for call in queue.resolved] == ["recon:fake:x:"]
    overview = next(o for o in check_overviews() if o.check.name == "fake")
    assert [run.pk for run in overview.recent_runs] == [third.pk, production.pk]
