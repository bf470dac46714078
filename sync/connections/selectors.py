"""Reads of connections, scoped to the person asking: every role reads them all (no secret leaves)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from core.access import has_role, object_get_for_user
from sync.connections.models import Connection, ConnectionHealth


def connections_visible(*, user: User | AnonymousUser) -> QuerySet[Connection]:
    """The connections ``user`` may see: all of them for anyone with a console role, else none."""
    if not has_role(user):
        return Connection.objects.none()
    return Connection.objects.select_related("health")


def connection_get_for_user(*, user: User | AnonymousUser, connection_id: int | str) -> Connection:
    """The connection ``connection_id`` if ``user`` may see it, else 404 (pages and API alike)."""
    return object_get_for_user(connections_visible(user=user), name="connection", pk=connection_id)


@dataclass(frozen=True)
class ConnectionHealthSummary:
    """The dashboard's connections panel: how many active connections work, and which do not since when."""

    ok: int
    failing: int
    unchecked: int
    failing_rows: list[ConnectionHealth]
    last_checked: dt.datetime | None


def connection_health_summary() -> ConnectionHealthSummary:
    active = Connection.objects.filter(is_active=True)
    rows = list(
        ConnectionHealth.objects.filter(connection__in=active).select_related("connection").order_by("since")
    )
    failing = [row for row in rows if row.failing]
    return ConnectionHealthSummary(
        ok=len(rows) - len(failing),
        failing=len(failing),
        unchecked=active.count() - len(rows),
        failing_rows=failing,
        last_checked=max((row.checked_at for row in rows), default=None),
    )
