"""Reads of connections, scoped to the person asking: every role reads them all (no secret leaves), but a
person limited to some integrations reads only theirs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from core.access import has_role, object_get_for_user
from sync.connections.models import Connection, ConnectionHealth

# Which connections a person may see, by the integrations they are limited to: the integrations sit above
# connections in the layers, so the composition root (``SyncConfig.ready``) connects the narrowing here.
ConnectionNarrowing = Callable[[User | AnonymousUser, QuerySet[Connection]], QuerySet[Connection]]
_narrowing: ConnectionNarrowing | None = None


def connections_scope_connect(narrowing: ConnectionNarrowing) -> None:
    """Connect how a person's connections are narrowed (called once, by the composition root)."""
    global _narrowing
    _narrowing = narrowing


def connections_visible(*, user: User | AnonymousUser) -> QuerySet[Connection]:
    """The connections ``user`` may see: every one for a console role, their integrations' when they are
    limited to some (:mod:`sync.integrations.access`); none without a role."""
    if not has_role(user):
        return Connection.objects.none()
    found = Connection.objects.select_related("health")
    return _narrowing(user, found) if _narrowing is not None else found


def connection_ids_visible(*, user: User | AnonymousUser) -> QuerySet[Connection, int]:
    """The ids of the connections ``user`` may see, for filtering other rows by their connection."""
    return connections_visible(user=user).values_list("pk", flat=True)


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


def connection_health_summary(*, connections: QuerySet[Connection] | None = None) -> ConnectionHealthSummary:
    """Health of the active ``connections`` (every connection when None)."""
    active = (Connection.objects.all() if connections is None else connections).filter(is_active=True)
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
