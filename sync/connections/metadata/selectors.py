"""Reading cached metadata back (the cache itself and its refresh are in ``services``).

Contract for the consumers (mapping validation, query derivation, editor pickers):

- :func:`connection_metadata` is what one connection's system describes, from the cache only: it never
  calls Salesforce or NetSuite. A connection never refreshed has no objects (``fetched_at`` empty).
- What a mapping draft is checked against while it is edited (its integration's sandbox pair, or its
  production pair) is chosen by :func:`sync.integrations.sandboxes.editing_metadata`, above this layer.

Both are called per batch and per keystroke of validation, so the normalised :class:`SystemMetadata` is
kept in-process per connection and per ``fetched_at``: a call costs one small query (the cache row's
``fetched_at``) until a refresh changes it, then the stored answers are normalised once again.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from django.contrib.auth.models import AnonymousUser, User

from sync.connections.metadata.normalise import MetadataShapeError, netsuite_object, salesforce_object
from sync.connections.metadata.types import ObjectInfo, SystemMetadata
from sync.connections.models import Connection, ConnectionKind, ConnectionMetadata, MetadataObject
from sync.connections.selectors import connection_get_for_user

logger = logging.getLogger(__name__)

# connection id -> (fetched_at as ISO 8601, the normalised metadata read at that time)
_PARSED: dict[int, tuple[str, SystemMetadata]] = {}
_PARSED_LOCK = threading.Lock()


def connection_metadata(connection: Connection) -> SystemMetadata:
    """The cached metadata of ``connection`` (empty until its first refresh)."""
    row = (
        ConnectionMetadata.objects.filter(connection_id=connection.pk, fetched_at__isnull=False)
        .values_list("pk", "fetched_at", "multi_currency", "corporate_currency")
        .first()
    )
    if row is None:
        return SystemMetadata(system=connection.kind, objects={})
    cache_id, fetched_at, multi_currency, corporate_currency = row
    # The currency shape is written with the objects, in the same refresh: fetched_at covers both.
    stamp = fetched_at.isoformat() if fetched_at is not None else ""
    with _PARSED_LOCK:
        parsed = _PARSED.get(connection.pk)
    if parsed is not None and parsed[0] == stamp:
        return parsed[1]
    objects: dict[str, ObjectInfo] = {}
    for name, text in MetadataObject.objects.filter(cache_id=cache_id).values_list("name", "raw"):
        try:
            raw = json.loads(text)
            if connection.kind == ConnectionKind.SALESFORCE:
                objects[name] = salesforce_object(raw)
            else:
                objects[name] = netsuite_object(name, raw)
        except (
            MetadataShapeError,
            ValueError,
        ):  # checked when stored; only a newer normaliser could refuse it
            logger.warning("cached metadata of %s for %s unreadable; refresh it", name, connection.name)
    metadata = SystemMetadata(
        system=connection.kind,
        objects=MappingProxyType(objects),
        fetched_at=stamp,
        multi_currency=multi_currency,
        corporate_currency=corporate_currency or "",
    )
    with _PARSED_LOCK:
        _PARSED[connection.pk] = (stamp, metadata)
    return metadata


def org_supplied_currency(connection_id: int) -> str:
    """The one currency of the connection's org when it is a single-currency Salesforce org (per its cached
    metadata), which Concord supplies where ``CurrencyIsoCode`` is read and leaves out of what it writes;
    empty for a multi-currency org, a NetSuite connection, or metadata never read."""
    row = (
        ConnectionMetadata.objects.filter(connection_id=connection_id, multi_currency=False)
        .values_list("corporate_currency", flat=True)
        .first()
    )
    return str(row or "")


def connection_listed_names(connection: Connection) -> frozenset[str] | None:
    """Every object / record type ``connection``'s system listed at its last refresh, lower-cased (Salesforce
    describeGlobal, NetSuite's catalog): whether the org has CPQ, say. None if never read successfully."""
    row = (
        ConnectionMetadata.objects.filter(connection_id=connection.pk, fetched_at__isnull=False)
        .values_list("available", flat=True)
        .first()
    )
    if row is None:
        return None
    return frozenset(str(name).lower() for name in row or ())


@dataclass(frozen=True)
class MetadataObjectRow:
    """One cached object as the console and the API list it (no fields: those come per object)."""

    name: str
    label: str
    field_count: int


@dataclass(frozen=True)
class MetadataSummary:
    """A connection's cache at a glance: when it was read, what failed last, which objects it holds."""

    connection: Connection
    fetched_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    available_count: int
    objects: list[MetadataObjectRow]
    # Salesforce: "multi-currency (corporate USD)", "single-currency (EUR)"; empty when not known.
    currency_shape: str = ""


def metadata_summary(*, user: User | AnonymousUser, connection_id: int | str) -> MetadataSummary:
    """The cache of the connection ``connection_id`` if ``user`` may see it (else 404), without fields."""
    connection = connection_get_for_user(user=user, connection_id=connection_id)
    cache = ConnectionMetadata.objects.filter(connection=connection).first()
    if cache is None:
        return MetadataSummary(connection, None, None, "", 0, [])
    rows = [
        MetadataObjectRow(name, label, count)
        for name, label, count in cache.cached_objects.values_list("name", "label", "field_count")
    ]
    return MetadataSummary(
        connection,
        cache.fetched_at,
        cache.last_attempt_at,
        cache.last_error,
        len(cache.available),
        rows,
        cache.currency_shape,
    )


def metadata_object_for_user(
    *, user: User | AnonymousUser, connection_id: int | str, name: str
) -> tuple[Connection, ObjectInfo | None]:
    """The connection (404 if ``user`` may not see it) and its cached object ``name`` (None if not cached)."""
    connection = connection_get_for_user(user=user, connection_id=connection_id)
    return connection, connection_metadata(connection).object(name)
