"""The connection watch against the simulators: a connection that stops answering or whose credentials are
refused is shown failing at once; the admins are told once when it still fails after the notifications'
delay, and again once when it recovers; an outage shorter than the delay tells nobody."""

from __future__ import annotations

import datetime as dt
import io
import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_q.models import Schedule

from simulators.core.runner import RunningSimulator
from simulators.netsuite.spec import DEMO_INTEGRATION
from sync import tasks
from sync.connections.models import Connection, ConnectionHealth, HealthState
from sync.connections.selectors import connection_health_summary
from sync.connections.services import connection_secrets_store
from sync.connections.watch import connection_watch
from sync.exceptions.models import Notification
from sync.notifications.dispatch import events_dispatch_due
from tests.simulators.conftest import https_session

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def watch(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[[int], dict[str, ConnectionHealth]]:
    """watch(minute): one run of the watch at T0 + minute, its e-mails sent; the rows by connection name."""

    def run(minute: int) -> dict[str, ConnectionHealth]:
        with django_capture_on_commit_callbacks(execute=True):
            found = connection_watch(now=T0 + dt.timedelta(minutes=minute))
        return {health.connection.name: health for health in found}

    return run


@pytest.fixture
def tell(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[[int], None]:
    """tell(minute): the notifications' schedule ticks at T0 + minute (its deliveries sent)."""

    def run(minute: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            events_dispatch_due(now=T0 + dt.timedelta(minutes=minute))

    return run


def _notes(user: User) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("message", flat=True))


def test_revoked_netsuite_credentials_alert_the_admins_once_and_again_on_recovery(
    admin: User,
    revops: User,
    salesforce_connection: Connection,
    netsuite_connection: Connection,
    netsuite_sim: RunningSimulator,
    watch: Callable[[int], dict[str, ConnectionHealth]],
    tell: Callable[[int], None],
) -> None:
    first = watch(0)
    assert {health.state for health in first.values()} == {HealthState.OK}
    assert _notes(admin) == [] and mail.outbox == []  # a working connection's first check says nothing

    control = https_session(netsuite_sim.ca_file)
    control.delete(
        f"{netsuite_sim.url}/_control/netsuite/tokens/{DEMO_INTEGRATION.token_id}"
    ).raise_for_status()
    failing = watch(5)["ns-sandbox"]
    assert (failing.state, failing.diagnosis, failing.since) == (
        HealthState.CREDENTIALS_REJECTED,
        "BAD_CREDENTIALS",
        T0 + dt.timedelta(minutes=5),
    )
    tell(9)
    assert _notes(admin) == [] and mail.outbox == []  # within the delay (5 minutes): nobody yet
    tell(10)
    (note,) = _notes(admin)
    assert (
        "ns-sandbox: credentials rejected since 2026-12-06 12:05 UTC" in note and "NetSuite refused" in note
    )
    assert _notes(revops) == []  # admins only
    (sent,) = mail.outbox
    assert sent.to == [admin.email] and "ns-sandbox" in sent.subject

    again = watch(10)["ns-sandbox"]  # still failing: no second alert, the incident keeps its start
    assert (again.since, again.failures, len(_notes(admin)), len(mail.outbox)) == (failing.since, 2, 1, 1)
    summary = connection_health_summary()
    assert (summary.ok, summary.failing, summary.unchecked) == (1, 1, 0)

    control.post(
        f"{netsuite_sim.url}/_control/netsuite/tokens",
        json={
            "consumer_key": DEMO_INTEGRATION.consumer_key,
            "consumer_secret": DEMO_INTEGRATION.consumer_secret,
            "token_id": DEMO_INTEGRATION.token_id,
            "token_secret": DEMO_INTEGRATION.token_secret,
        },
    ).raise_for_status()
    recovered = watch(15)["ns-sandbox"]
    assert (recovered.state, recovered.since) == (HealthState.OK, T0 + dt.timedelta(minutes=15))
    notes = _notes(admin)
    assert len(notes) == 2 and notes[1] == "Connection ns-sandbox works again (since 2026-12-06 12:15 UTC)."
    assert len(mail.outbox) == 2
    watch(20)
    assert len(_notes(admin)) == 2  # fine and already told


def test_a_connection_that_stops_answering_or_whose_password_changed_is_shown_on_the_dashboard(
    admin: User,
    admin_client: Client,
    salesforce_connection: Connection,
    salesforce_sim: RunningSimulator,
    watch: Callable[[int], dict[str, ConnectionHealth]],
    tell: Callable[[int], None],
) -> None:
    watch(0)
    good_url = salesforce_connection.base_url
    Connection.objects.filter(pk=salesforce_connection.pk).update(
        base_url=f"https://127.0.0.1:{_free_port()}"
    )
    down = watch(1)["sf-sandbox"]
    assert down.state == HealthState.UNREACHABLE and "connection refused" in down.message
    page = admin_client.get(reverse("dashboard-panel", kwargs={"name": "connections"})).content.decode()
    assert "sf-sandbox" in page and "Not answering" in page and "2026-12-06 12:01" in page
    assert 'data-figure="connections-failing">1 failing' in page

    # Back on the right host, but the password was changed in Salesforce: still failing, a new kind.
    Connection.objects.filter(pk=salesforce_connection.pk).update(base_url=good_url)
    salesforce_connection.refresh_from_db()
    connection_secrets_store(salesforce_connection, {"password": "changed-in-salesforce"})
    salesforce_connection.save()
    refused = watch(2)["sf-sandbox"]
    assert refused.state == HealthState.CREDENTIALS_REJECTED and "refused the sign-in" in refused.message
    tell(2)
    assert _notes(admin) == []  # the same incident, still within the notifications' delay

    connection_secrets_store(salesforce_connection, {"password": "concord-demo"})
    salesforce_connection.save()
    assert watch(3)["sf-sandbox"].state == HealthState.OK
    tell(10)
    assert _notes(admin) == [] and mail.outbox == []  # a two-minute outage told nobody
    page = admin_client.get(reverse("dashboard-panel", kwargs={"name": "connections"})).content.decode()
    assert 'data-figure="connections-failing">0 failing' in page
    health = admin_client.get(reverse("api:connection-detail", args=[salesforce_connection.pk])).json()[
        "health"
    ]
    assert (health["state"], health["since"]) == ("ok", "2026-12-06T12:03:00Z")


def test_the_scheduled_task_reports_counts_and_skips_inactive_connections(
    salesforce_connection: Connection, netsuite_connection: Connection
) -> None:
    Connection.objects.filter(pk=netsuite_connection.pk).update(is_active=False)
    assert tasks.connection_watch() == {"ok": 1, "failing": 0}
    assert not ConnectionHealth.objects.filter(connection=netsuite_connection).exists()


def test_sync_schedules_ensure_installs_the_watch(db: None) -> None:
    call_command("sync_schedules_ensure", stdout=io.StringIO())
    assert Schedule.objects.get(name="sync: connection watch").func == "sync.tasks.connection_watch"
