"""Storing the cross-references an opportunity's sync wrote: one upsert statement per outcome.

``bulk_create(update_conflicts=True)`` wrote the same statement, but compiled it anew for every
outcome, and on PostgreSQL sent the values as one array per column (``UNNEST``), each array quoted
element by element in Python: more than half of the worker's CPU for storing an outcome. Here the
statement's text is built once per row count, from the model's metadata, and the values are bound as
they are: ``INSERT ... ON CONFLICT (connection, integration, type, external id) DO UPDATE``, on PostgreSQL
and SQLite alike. As before, the last write of a key wins and a row's ``error_shown`` is left as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.db.models import Field

from core.fields import field_fit
from sync.pipeline.models import CrossReference

if TYPE_CHECKING:
    from sync.pipeline.writer import Written

UNIQUE = ("netsuite_connection", "integration", "netsuite_type", "external_id")
UPDATED = ("netsuite_id", "salesforce_id", "object_key", "payload_hash", "shared", "synced_at")
# Rows per statement: far under SQLite's oldest limit of 999 bound values (11 a row).
BATCH = 80


def xrefs_upsert(
    *,
    netsuite_connection_id: int,
    integration_id: int | None,
    written: Iterable[Written],
    at: dt.datetime,
) -> int:
    """Insert or update the cross-reference of every record in ``written`` (the last of a key wins),
    synced ``at``; returns the rows written."""
    latest = {(w.netsuite_type, w.external_id): w for w in written}
    if not latest:
        return 0
    connection = connections[router.db_for_write(CrossReference)]
    synced_at = CrossReference._meta.get_field("synced_at").get_db_prep_save(at, connection)
    rows = [latest[key] for key in sorted(latest)]  # one order for every writer: no deadlock between two
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        params: list[Any] = []
        for w in batch:
            params += [
                netsuite_connection_id,
                integration_id,
                _text(w.netsuite_type),
                _text(w.external_id),
                "",  # error_shown: a new row's default; an update leaves it
                _text(w.netsuite_id),
                field_fit(CrossReference, "salesforce_id", w.salesforce_id),
                _text(w.object_key),
                _text(w.payload_hash),
                bool(w.shared),
                synced_at,
            ]
        with connection.cursor() as cursor:
            cursor.execute(_upsert_text(connection.alias, len(batch)), params)
    return len(rows)


def _text(value: Any) -> Any:
    """What a CharField binds for ``value`` (``CharField.to_python``)."""
    return value if value is None or isinstance(value, str) else str(value)


def _column(name: str) -> str:
    field = CrossReference._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"CrossReference.{name} is not a column")
    return field.column


@cache
def _columns() -> tuple[list[str], list[str], list[str]]:
    """The inserted columns (in the order :func:`xrefs_upsert` binds them), the updated and the unique."""
    return (
        [_column(name) for name in (*UNIQUE, "error_shown", *UPDATED)],
        [_column(name) for name in UPDATED],
        [_column(name) for name in UNIQUE],
    )


@lru_cache(maxsize=32)
def _upsert_text(alias: str, count: int) -> str:
    quote = connections[alias].ops.quote_name
    inserted, updated, unique = _columns()
    placeholders = "(" + ", ".join(["%s"] * len(inserted)) + ")"
    # Identifiers come from the model's metadata, quoted; every value is a bound parameter.
    return (
        f"INSERT INTO {quote(CrossReference._meta.db_table)} ({', '.join(quote(c) for c in inserted)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * count)} "
        f"ON CONFLICT ({', '.join(quote(c) for c in unique)}) "
        f"DO UPDATE SET {', '.join(f'{quote(c)} = excluded.{quote(c)}' for c in updated)}"
    )
