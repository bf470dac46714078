"""The suite's transactional tests start from a copy of what ``post_migrate`` wrote, not from a new run of it.

A transactional test whose ``available_apps`` are set (``THREADED_DB`` and the live-server tests) ends with a
flush that empties every table and leaves ``post_migrate`` to the next such test's set-up
(``TransactionTestCase._pre_setup``). Its receivers (content types, permissions, the roles and their audit
entries, django-q2's schedules...) cost about 0.5-1 s a test, the same rows every time.

:func:`emit_post_migrate_replayed` stands in for Django's ``emit_post_migrate_signal`` in the test case's
module. When every table is empty (the database as a flush left it) and this process has seen the
receivers run on such a database before, it writes those rows again, ids and audit seals included, in one
transaction, then clears the caches the other receivers clear (Django's content types, guardian's: a test
without ``available_apps`` may have made the content types again, with other ids, after its flush).
Anything else (a database that still holds rows, the first run in a process) runs the real receivers, and
when they started from empty tables, what they wrote is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from guardian.shortcuts import clear_ct_cache


@dataclass(frozen=True)
class TableRows:
    """One table's rows as ``post_migrate`` left them: SQLite's values, or PostgreSQL's JSON of the rows."""

    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...] = ()
    as_json: str = ""


#: (alias, database name) -> what the receivers wrote into empty tables.
_WRITTEN: dict[tuple[str, str], list[TableRows]] = {}


def _tables(connection: BaseDatabaseWrapper) -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _tables_holding_rows(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    """The tables holding at least one row, in one query."""
    if not tables:
        return []
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608 - introspected, quoted
        for index, table in enumerate(tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [tables[row[0]] for row in cursor.fetchall()]


def _copy(connection: BaseDatabaseWrapper, tables: list[str]) -> list[TableRows]:
    quote = connection.ops.quote_name
    copied = []
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT json_agg(t)::text FROM {quote(table)} AS t")  # noqa: S608
                copied.append(TableRows(table, (), as_json=cursor.fetchone()[0] or "[]"))
                continue
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - introspected, quoted
            columns = tuple(column[0] for column in cursor.description)
            copied.append(TableRows(table, columns, rows=tuple(tuple(row) for row in cursor.fetchall())))
    return copied


def _write(connection: BaseDatabaseWrapper, copied: list[TableRows]) -> None:
    quote = connection.ops.quote_name
    # One transaction: the foreign keys (deferred) are checked once every table is back.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for table in copied:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"INSERT INTO {quote(table.table)} "  # noqa: S608 - introspected, quoted
                    f"SELECT * FROM json_populate_recordset(NULL::{quote(table.table)}, %s::json)",
                    [table.as_json],
                )
                continue
            names = ", ".join(quote(column) for column in table.columns)
            marks = ", ".join(["%s"] * len(table.columns))
            cursor.executemany(
                f"INSERT INTO {quote(table.table)} ({names}) VALUES ({marks})",  # noqa: S608
                list(table.rows),
            )


def emit_post_migrate_replayed(verbosity: int, interactive: bool, db: str, **kwargs: Any) -> None:
    """Django's ``emit_post_migrate_signal``, replayed from a copy where the database is empty (see above)."""
    connection = connections[db]
    key = (db, str(connection.settings_dict["NAME"]))
    tables = _tables(connection)
    empty = not _tables_holding_rows(connection, tables)
    if empty and key in _WRITTEN:
        _write(connection, _WRITTEN[key])
        # What the caching receivers do on post_migrate: the content types may have other ids than the
        # last ones cached (a test without available_apps re-created them after its flush).
        ContentType.objects.clear_cache()
        clear_ct_cache()
        return
    emit_post_migrate_signal(verbosity, interactive, db, **kwargs)
    if empty:
        _WRITTEN[key] = _copy(connection, _tables_holding_rows(connection, tables))
