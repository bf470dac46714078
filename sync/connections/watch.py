"""The connection watch: every few minutes, sign in to each active connection and read one small thing.

A connection that stops answering, whose credentials are refused (expired, revoked, a changed password) or
that answers as the wrong kind of org or account is shown failing on the dashboard from the first failed
check, and the admins are told once per incident (in the console and by e-mail), and once again when it
recovers; as Celigo and Boomi flag a connection "offline" and notify its subscribers rather than filing a
record error for it. The check is :func:`sync.connections.checks.connection_test` (sign-in, the environment
check, one light call), so the watch and the "Test connection" button always agree.

Connections sit low in the layers: who is told and how (the console's notifications, e-mail) belongs to
the exception queue's notifications above. The watch says what happened (:class:`ConnectionAlert`) through
the port :func:`connection_alerts_connect`, which the composition root (``SyncConfig.ready``) fills.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.utils import timezone

from core.schedules import ScheduleSpec
from sync.connections.checks import ConnectionTestResult, connection_test
from sync.connections.models import Connection, ConnectionHealth, HealthState

logger = logging.getLogger(__name__)

CONNECTION_WATCH_SPEC = ScheduleSpec(
    key="connection-watch",
    name="sync: connection watch",
    func="sync.tasks.connection_watch",
    label="Connection watch",
    description="Signs in to every active connection and reads one small thing; tells the admins when "
    "one stops answering, is refused or answers as the wrong environment, and when it recovers.",
    default_minutes=5,
)

# connection_test's diagnosis -> the watch's state. Anything unlisted (a 5xx, an unexpected answer) is
# counted as not answering.
_STATE_OF_DIAGNOSIS = {
    "OK": HealthState.OK,
    "BAD_CREDENTIALS": HealthState.CREDENTIALS_REJECTED,
    "CLOCK_SKEW": HealthState.CREDENTIALS_REJECTED,
    "FORBIDDEN": HealthState.CREDENTIALS_REJECTED,
    "MISCONFIGURED": HealthState.CREDENTIALS_REJECTED,
    "WRONG_ENVIRONMENT": HealthState.WRONG_ENVIRONMENT,
}


def state_of(diagnosis: str) -> HealthState:
    return _STATE_OF_DIAGNOSIS.get(diagnosis, HealthState.UNREACHABLE)


@dataclass(frozen=True)
class ConnectionAlert:
    """A connection began failing (``recovered`` False) or is back (True)."""

    connection_id: int
    connection_name: str
    state: str
    state_label: str
    message: str
    since: dt.datetime
    recovered: bool

    @property
    def text(self) -> str:
        when = self.since.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        if self.recovered:
            return f"Connection {self.connection_name} works again (since {when})."
        return f"Connection {self.connection_name}: {self.state_label.lower()} since {when}. {self.message}"


class ConnectionAlerts(Protocol):
    def connection_alert(self, alert: ConnectionAlert) -> None:
        """Tell the people who look after connections (called inside the watch's transaction)."""
        ...


_alerts: list[ConnectionAlerts] = []


def connection_alerts_connect(sink: ConnectionAlerts) -> None:
    """Where alerts go (once per kind of sink: connecting the same kind again replaces it)."""
    _alerts[:] = [known for known in _alerts if type(known) is not type(sink)]
    _alerts.append(sink)


def connection_watch(
    *,
    now: dt.datetime | None = None,
    test: Callable[..., ConnectionTestResult] = connection_test,
) -> list[ConnectionHealth]:
    """Check every active connection once and record what was found; safe to run twice at once."""
    found = []
    for connection in Connection.objects.filter(is_active=True).order_by("name"):
        result = test(connection=connection)
        found.append(
            connection_health_record(
                connection=connection,
                state=state_of(result.diagnosis),
                diagnosis=result.diagnosis,
                message=result.message,
                now=now or timezone.now(),
            )
        )
    return found


def connection_health_record(
    *, connection: Connection, state: str, diagnosis: str, message: str, now: dt.datetime
) -> ConnectionHealth:
    """Store one check's outcome; alert on a move between OK and failing (once each way)."""
    with transaction.atomic():
        health = ConnectionHealth.objects.select_for_update().filter(connection=connection).first()
        if health is None:
            health = ConnectionHealth(connection=connection, state=state, since=now)
        if health.state != state:
            health.state, health.since = state, now
        health.checked_at, health.diagnosis, health.message = now, diagnosis, message
        health.failures = health.failures + 1 if health.failing else 0
        alert = _alert_due(health, connection)
        health.alerted_state = HealthState.OK if not health.failing else health.alerted_state
        if alert is not None and not alert.recovered:
            health.alerted_state = state
        health.save()
        if alert is not None:
            logger.warning("connection watch: %s", alert.text)
            for sink in _alerts:
                sink.connection_alert(alert)
    return health


def _alert_due(health: ConnectionHealth, connection: Connection) -> ConnectionAlert | None:
    told_failing = health.alerted_state not in ("", HealthState.OK)
    if health.failing == told_failing:
        return None  # nothing new: still failing (already told) or still fine
    if not health.failing and health.alerted_state == "":
        return None  # the first check of a connection that works: nothing to recover from
    return ConnectionAlert(
        connection_id=connection.pk,
        connection_name=connection.name,
        state=health.state,
        state_label=HealthState(health.state).label,
        message=health.message,
        since=health.since,
        recovered=not health.failing,
    )
