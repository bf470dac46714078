"""Who may run go-live matching: a scan reads both systems and writes nothing, so RevOps or Admin may
start one; confirming writes externalIds to NetSuite, so it is Admin's (``manage_connections``)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import EDIT_MAPPINGS, MANAGE_CONNECTIONS


def can_scan(user: User | AnonymousUser) -> bool:
    """Start a scan (reads both systems, writes nothing): RevOps or Admin."""
    return user.has_perm(EDIT_MAPPINGS) or user.has_perm(MANAGE_CONNECTIONS)


def can_apply(user: User | AnonymousUser) -> bool:
    """Confirm the links (writes externalIds to NetSuite): Admin (manage_connections)."""
    return user.has_perm(MANAGE_CONNECTIONS)
