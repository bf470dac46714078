"""Reads of connections, scoped to the person asking: every role reads them all (no secret leaves)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from core.access import has_role, object_get_for_user
from sync.connections.models import Connection


def connections_visible(*, user: User | AnonymousUser) -> QuerySet[Connection]:
    """The connections ``user`` may see: all of them for anyone with a console role, else none."""
    if not has_role(user):
        return Connection.objects.none()
    return Connection.objects.all()


def connection_get_for_user(*, user: User | AnonymousUser, connection_id: int | str) -> Connection:
    """The connection ``connection_id`` if ``user`` may see it, else 404 (pages and API alike)."""
    return object_get_for_user(connections_visible(user=user), name="connection", pk=connection_id)
