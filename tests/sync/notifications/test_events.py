"""Events: a problem that clears within the delay tells nobody; the sources (connections, failure rates,
reconciliation, escalations) raise each thing once; people are told by their preferences and scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from guardian.shortcuts import assign_perm

from reconciliation.models import ReconciliationRun, RunStatus
from sync.connections.watch import ConnectionAlert
from sync.exceptions.models import Notification
from sync.exceptions.services import exception_auto_resolve
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.notifications.dispatch import events_dispatch_due
from sync.notifications.models import EventKind, EventStatus, NotificationDelivery, NotificationEvent
from sync.notifications.services import policy_set, preference_set
from sync.notifications.sources import (
    ConnectionNotices,
    EscalationNotices,
    failure_rates_check,
    reconciliation_runs_check,
)
from sync.pipeline.models import JobStatus, SyncJob
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def tick(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[float], list[Any]]:
    def run(minutes: float) -> list[Any]:
        with django_capture_on_commit_callbacks(execute=True):
            return events_dispatch_due(now=at(minutes))

    return run


def _alert(integration: Integration, minutes: float, *, recovered: bool) -> ConnectionAlert:
    connection = integration.salesforce_connection
    assert connection is not None
    return ConnectionAlert(
        connection_id=connection.pk,
        connection_name=connection.name,
        state="ok" if recovered else "unreachable",
        state_label="OK" if recovered else "Not answering",
        message="connection refused",
        since=at(minutes),
        recovered=recovered,
    )


def test_a_connection_back_within_the_delay_tells_nobody_and_a_longer_outage_is_told_both_ways(
    admin: User,
    alpha: Integration,
    tick: Callable[[float], list[Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    sink = ConnectionNotices()
    sink.connection_alert(_alert(alpha, 0, recovered=False))
    sink.connection_alert(_alert(alpha, 0, recovered=False))  # the watch's at-least-once: raised once
    assert NotificationEvent.objects.count() == 1
    sink.connection_alert(_alert(alpha, 3, recovered=True))  # a quick retry worked
    assert tick(10) == []
    (event,) = NotificationEvent.objects.all()
    assert event.status == EventStatus.CANCELLED and "before the delay" in event.cancel_reason
    assert (
        Notification.objects.count() == 0 and mail.outbox == [] and not NotificationDelivery.objects.exists()
    )

    # The second day: a longer outage is told after the delay, and its end at once.
    sink.connection_alert(_alert(alpha, 60, recovered=False))
    assert tick(64) == []  # still within the five minutes
    assert [event.kind for event in tick(65)] == [EventKind.CONNECTION_DOWN]
    with django_capture_on_commit_callbacks(execute=True):
        sink.connection_alert(_alert(alpha, 90, recovered=True))
    notes = list(Notification.objects.filter(user=admin).order_by("pk").values_list("message", flat=True))
    assert len(notes) == 2 and "not answering since" in notes[0] and "works again" in notes[1]
    assert len(mail.outbox) == 2


def test_the_delay_is_the_policys(
    admin: User, alpha: Integration, tick: Callable[[float], list[Any]]
) -> None:
    policy_set(user=admin, delay_seconds=0)
    ConnectionNotices().connection_alert(_alert(alpha, 0, recovered=False))
    assert len(tick(0)) == 1


def _jobs(integration: Integration, minutes: float, *, tried: int, failed: int) -> None:
    assert integration.salesforce_connection and integration.netsuite_connection
    job = SyncJob.objects.create(
        salesforce_connection=integration.salesforce_connection,
        netsuite_connection=integration.netsuite_connection,
        status=JobStatus.PARTIAL if failed else JobStatus.SUCCEEDED,
        records_total=tried,
        records_failed=failed,
    )
    SyncJob.objects.filter(pk=job.pk).update(finished_at=at(minutes))


def test_a_failure_rate_over_the_threshold_opens_one_incident_per_integration(
    admin: User, alpha: Integration, beta: Integration, tick: Callable[[float], list[Any]]
) -> None:
    _jobs(alpha, 1, tried=10, failed=3)  # 30% >= 20%
    _jobs(beta, 1, tried=10, failed=1)  # 10%
    _jobs(beta, 2, tried=4, failed=4)  # 5 of 14 = 36%, but...
    policy_set(user=admin, failure_rate_min_records=15)  # ...fewer records than the minimum for beta
    _jobs(alpha, 2, tried=5, failed=0)  # alpha: 3 of 15 = 20%
    (raised,) = failure_rates_check(now=at(5))
    assert raised.integration_ids == [alpha.pk] and "20% of records failed" in raised.title
    assert failure_rates_check(now=at(6)) == []  # the same incident
    assert [e.kind for e in tick(11)] == [EventKind.FAILURE_RATE]

    # Retried and fixed: the rate falls back under the threshold, the incident closes; a new one may open.
    _jobs(alpha, 20, tried=100, failed=0)
    failure_rates_check(now=at(30))
    raised.refresh_from_db()
    assert raised.resolved_at == at(30)


def test_a_failure_rate_that_clears_before_the_delay_tells_nobody(
    admin: User, alpha: Integration, tick: Callable[[float], list[Any]]
) -> None:
    _jobs(alpha, 1, tried=10, failed=5)
    (raised,) = failure_rates_check(now=at(2))
    _jobs(alpha, 3, tried=100, failed=0)
    failure_rates_check(now=at(4))
    assert tick(10) == []
    raised.refresh_from_db()
    assert raised.status == EventStatus.CANCELLED


def _run(integration: Integration, minutes: float, mismatches: int) -> ReconciliationRun:
    run = ReconciliationRun.objects.create(
        check_name="orders",
        integration=integration,
        status=RunStatus.SUCCEEDED,
        counts={"counts": {"missing_in_netsuite": mismatches, "field_differs": 0}},
        finished_at=at(minutes),
    )
    return run


def test_reconciliation_mismatches_are_told_once_unless_a_clean_rerun_comes_first(
    finance: User, alpha: Integration, tick: Callable[[float], list[Any]]
) -> None:
    assign_perm(ACCESS_INTEGRATION, finance, alpha)  # finance sees alpha: told about it
    first = _run(alpha, 0, mismatches=3)
    (raised,) = reconciliation_runs_check(now=at(1))
    assert raised.payload == {"run_id": first.pk, "mismatches": 3}
    assert reconciliation_runs_check(now=at(2)) == []  # once per run
    _run(alpha, 2, mismatches=0)  # re-run after a fix, within the delay
    assert tick(10) == []
    raised.refresh_from_db()
    assert raised.cancel_reason == "A later run of the same check found no mismatches"

    _run(alpha, 30, mismatches=2)  # the second day: mismatches again, not fixed this time
    reconciliation_runs_check(now=at(31))
    assert [e.kind for e in tick(40)] == [EventKind.RECONCILIATION_MISMATCHES]
    assert [m.to for m in mail.outbox] == [[finance.email]]  # approvers of exceptions by default


def test_an_escalation_closed_before_the_dispatch_is_not_told(revops: User, alpha: Integration) -> None:
    item = raise_sample(now=T0)
    EscalationNotices().escalated(item=item, users=[revops], level=1, owner="RevOps", now=T0)
    exception_auto_resolve(dedup_key=item.dedup_key, now=T0)
    assert events_dispatch_due(now=at(1)) == []
    assert NotificationEvent.objects.get().cancel_reason == "The exception was closed before anyone was told"


def test_preferences_silence_add_and_narrow_to_one_integration(
    admin: User,
    revops: User,
    finance: User,
    alpha: Integration,
    beta: Integration,
    tick: Callable[[float], list[Any]],
) -> None:
    policy_set(user=admin, delay_seconds=0)
    preference_set(user=admin, event=EventKind.CONNECTION_DOWN, console=True, email=False)  # no mail
    preference_set(user=revops, event=EventKind.CONNECTION_DOWN, console=True, email=True)  # opts in
    preference_set(user=revops, event=EventKind.CONNECTION_DOWN, integration=beta, console=False, email=False)
    assign_perm(ACCESS_INTEGRATION, finance, beta)  # finance, limited to beta, opts in
    preference_set(user=finance, event=EventKind.CONNECTION_DOWN, console=True, email=True)

    ConnectionNotices().connection_alert(_alert(alpha, 0, recovered=False))
    ConnectionNotices().connection_alert(_alert(beta, 0, recovered=False))
    tick(0)
    told = sorted(Notification.objects.values_list("user__username", "message"))
    assert [(who, "alpha-sf" in text) for who, text in told] == [
        ("admin", True),
        ("admin", False),
        ("finance", False),  # beta's only: alpha is outside finance's scope
        ("revops", True),  # opted in for all, out for beta
    ]
    assert sorted(address for m in mail.outbox for address in m.to) == [finance.email, revops.email]


def test_a_deactivated_user_is_not_told(
    admin: User, alpha: Integration, tick: Callable[[float], list[Any]]
) -> None:
    User.objects.filter(pk=admin.pk).update(is_active=False)
    ConnectionNotices().connection_alert(_alert(alpha, 0, recovered=False))
    tick(10)
    assert Notification.objects.count() == 0 and mail.outbox == []
