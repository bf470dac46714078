"""``manage.py reconcile`` and ``manage.py reconciliation_schedules_ensure``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import Schedule

from reconciliation import services
from reconciliation.models import ReconciliationRun, RunTrigger
from reconciliation.schedules import SCHEDULE_FUNC, SCHEDULE_NAME
from reconciliation.tasks import reconciliation_scheduled
from sync.connections.connectors.errors import ConnectorError
from tests.reconciliation.fakes import ExceptionQueueDouble, Sides, install_check, no_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    monkeypatch.setattr(services, "reconciliation_sources", no_sources)


def test_it_prints_a_summary_per_check(monkeypatch: pytest.MonkeyPatch, fake_sources: None) -> None:
    install_check(
        monkeypatch, Sides(salesforce=[("a", ("A", 1.0)), ("b", ("B", 2.0))], netsuite=[("b", ("B", 3))])
    )
    out = StringIO()
    call_command("reconcile", "fake", stdout=out)
    run = ReconciliationRun.objects.get()
    assert out.getvalue().strip() == (
        f"fake: succeeded (run #{run.pk}) salesforce 2, netsuite 1, matched 0; "
        "missing_in_netsuite 1, missing_in_salesforce 0, field_differs 1, duplicate 0"
    )
    assert run.trigger == RunTrigger.COMMAND


def test_it_fails_when_a_run_fails(monkeypatch: pytest.MonkeyPatch, fake_sources: None) -> None:
    install_check(
        monkeypatch, Sides(fail=ConnectorError("netsuite", False, "Invalid login", code="INVALID_LOGIN"))
    )
    err = StringIO()
    with pytest.raises(CommandError, match="reconciliation failed: fake"):
        call_command("reconcile", "fake", stdout=StringIO(), stderr=err)
    assert "Invalid login" in err.getvalue()


def test_it_refuses_unknown_checks() -> None:
    with pytest.raises(CommandError, match="unknown check bogus"):
        call_command("reconcile", "bogus")


def test_it_ensures_one_daily_schedule_idempotently() -> None:
    out = StringIO()
    call_command("reconciliation_schedules_ensure", stdout=out)
    first = Schedule.objects.get(name=SCHEDULE_NAME)
    call_command("reconciliation_schedules_ensure", stdout=out)
    assert Schedule.objects.filter(name=SCHEDULE_NAME).count() == 1
    again = Schedule.objects.get(name=SCHEDULE_NAME)
    assert (again.func, again.schedule_type, again.next_run) == (
        SCHEDULE_FUNC,
        Schedule.DAILY,
        first.next_run,
    )
    assert "created" in out.getvalue() and "already present" in out.getvalue()
    assert first.next_run is not None and first.next_run.hour == 2


def test_the_schedule_queues_every_check_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "async_task", lambda *args, **kwargs: None)
    first = reconciliation_scheduled()
    assert reconciliation_scheduled() == first  # runs still queued are not doubled
    runs = ReconciliationRun.objects.order_by("id")
    assert [run.check_name for run in runs] == [
        "accounts",
        "opportunities",
        "invoices",
        "period_totals",
        "subscriptions",
    ]
    assert {run.trigger for run in runs} == {RunTrigger.SCHEDULE}
