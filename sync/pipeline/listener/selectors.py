"""Reads of inbound listeners: the list for the console, and the lookup of a listener by its URL token."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import connections, router
from django.db.models import QuerySet

from sync.integrations.access import integration_scope
from sync.pipeline.models import Listener


def listeners_all() -> QuerySet[Listener]:
    """Every listener with its two connections (every role reads them; the token never leaves)."""
    return Listener.objects.select_related("salesforce_connection", "netsuite_connection")


def listeners_visible(*, user: User | AnonymousUser) -> QuerySet[Listener]:
    """The listeners of ``user``'s integrations (every one when they are not limited)."""
    return integration_scope(user).filter(listeners_all(), salesforce="salesforce_connection")


def listener_by_token_hash(*, token_hash: str, kind: str) -> Listener | None:
    """The listener of ``kind`` whose URL token hashes to ``token_hash``, enabled or not, else None (the
    inbound views' 404; a disabled one answers 503; see :func:`sync.pipeline.models.inbound.path_token_hash`).

    Asked on every inbound request, so written as one raw, indexed query: the ORM spends ~0.35 ms of
    CPU compiling the equivalent filter, a large part of a listener request (bench/ingest.py).
    """
    connection = connections[router.db_for_read(Listener)]
    quote = connection.ops.quote_name
    table = quote(Listener._meta.db_table)
    sql = f"SELECT * FROM {table} WHERE {quote('path_token_hash')} = %s AND {quote('kind')} = %s"  # noqa: S608
    return next(iter(Listener.objects.raw(sql, [token_hash, kind])), None)
