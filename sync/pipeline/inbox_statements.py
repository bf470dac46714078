"""The inbox's own SQL: the insert that skips stored notification ids, the drain flag's read, and, on
PostgreSQL, the intake as ONE prepared statement (:func:`inbox_store_statement`).

Why raw SQL: a listener request stores one row and reads the flag; the ORM would spend several times
the CPU of the statements compiling them (bench/ingest.py). Identifiers come from the models' metadata,
quoted; every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import weakref
from functools import cache, lru_cache
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

from sync.pipeline.milestones import deal_milestones_won_sql
from sync.pipeline.models import InboxDrainFlag, InboxMessage

DRAIN_FLAG = 1  # the primary key of the one InboxDrainFlag row
# The one-statement insert takes at most this many rows (a listener's envelope carries at most 100).
INSERT_BATCH = 500

# What the intake statement's insert returns: what the won milestones are written from.
_STORE_RETURNING = ", ".join(
    f'"{column}"'
    for column in (
        "notification_id",
        "salesforce_connection_id",
        "sobject",
        "source",
        "record_id",
        "received_at",
    )
)


def inbox_drain_hold_seconds() -> float:
    """How long a set drain flag stands for a drain to come (``INBOX_DRAIN_HOLD_SECONDS``): a store that
    finds it set for longer requests a drain anyway (:func:`sync.pipeline.inbox.inbox_drain_flag_hold`)."""
    return float(getattr(settings, "INBOX_DRAIN_HOLD_SECONDS", 2))


def flag_fresh_since(connection: Any) -> Any:
    """The oldest ``requested_at`` a set flag may have to still count, as a parameter for ``connection``."""
    cutoff = timezone.now() - dt.timedelta(seconds=inbox_drain_hold_seconds())
    return connection.ops.adapt_datetimefield_value(cutoff)


def flag_read_text(connection: Any, *, lock: bool = False) -> str:
    """Whether the flag is set and fresh (parameters: :func:`flag_fresh_since`, :data:`DRAIN_FLAG`); with
    ``lock``, the row is read ``FOR SHARE`` (see :func:`inbox_store_statement`)."""
    quote = connection.ops.quote_name
    table = quote(InboxDrainFlag._meta.db_table)
    return (
        f"SELECT {quote('requested')} AND {quote('requested_at')} >= %s AS fresh "  # noqa: S608
        f"FROM {table} WHERE {quote('id')} = %s" + (" FOR SHARE" if lock else "")
    )


def insert_sql(connection: Any, rows: list[InboxMessage], returning: str) -> tuple[str, list[Any]]:
    """``INSERT ... ON CONFLICT (notification_id) DO NOTHING RETURNING <returning>`` for ``rows``, values
    prepared by each field as the ORM would (``auto_now_add``, JSON...)."""
    fields = _insert_fields()
    params: list[Any] = []
    for row in rows:
        params.extend(field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields)
    return _insert_text(connection.alias, connection.vendor, len(rows), returning), params


@cache
def _insert_fields() -> list[Any]:
    return [field for field in InboxMessage._meta.concrete_fields if not field.primary_key]


@lru_cache(maxsize=256)
def _insert_text(alias: str, vendor: str, count: int, returning: str) -> str:
    """The statement's text for ``count`` rows (built once per shape: a listener request sends one)."""
    quote = connections[alias].ops.quote_name
    fields = _insert_fields()
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = quote(InboxMessage._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    return (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * count)} "
        f"ON CONFLICT ({quote('notification_id')}) DO NOTHING RETURNING {returning}"
    )


# -- PostgreSQL: the intake as one prepared statement -------------------------------------------------


def inbox_store_statement_possible(connection: Any, rows: int) -> bool:
    """Whether :func:`inbox_store_statement` can store ``rows`` rows on ``connection``: PostgreSQL, in
    autocommit with no caller's transaction open (the statement commits on its own), in one statement."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and rows <= INSERT_BATCH
        and connection.get_autocommit()
    )


def inbox_store_statement(
    connection: Any, rows: list[InboxMessage], integration_of: dict[int, int]
) -> tuple[int, bool]:
    """Insert ``rows`` (PostgreSQL, autocommit), note the won deals of the new ones (``integration_of``:
    {Salesforce connection id: integration id}; empty: none to note) and read the drain flag: ONE
    statement, prepared, in one round trip. Returns (rows inserted, whether a drain must be requested).

    ``WITH new AS (INSERT ... ON CONFLICT DO NOTHING RETURNING ...), won AS (upsert of the new rows'
    milestones), flag AS (SELECT requested ... FOR SHARE) SELECT count(new), flag``: in autocommit the
    statement is its own transaction, so the answer (and the Ack after it) comes only after the commit.

    Why the flag's read may sit inside the storing transaction here: it takes a share lock on the flag row,
    held until our commit. A drain clears the flag (an UPDATE of that row) *before* it claims
    (:func:`sync.pipeline.inbox.inbox_request_drain`). Either our lock comes first, and the drain's clear
    waits for our commit, so its claim (after the clear) sees our rows; or the clear comes first, and our
    read waits for it to commit and reads the row as it left it (PostgreSQL re-reads a locked row's
    latest version), clear, so we request a drain ourselves. Share locks do not wait for one another:
    concurrent notifications never queue behind each other on the flag.

    Prepared: the server parses and plans the statement once per connection and shape (half of its CPU
    per notification otherwise, bench/ingest.py); a first use is sent in psycopg's pipeline mode, so
    its Parse travels with its Execute: one round trip too. (A connection pooler in transaction mode
    must keep prepared statements per client: PgBouncer >= 1.21 with ``max_prepared_statements``; or
    set ``DB_PREPARED_STATEMENTS=0``.)

    This statement is also the request's connection health check (``CONN_HEALTH_CHECKS``: Django would
    send ``SELECT 1`` first, a round trip of its own): a kept connection that died while idle fails it,
    and it is sent once more on a new connection. That is safe: the insert skips ids already stored, the
    milestones keep the earliest moment; since the first attempt may have committed before its answer
    was lost, a drain is then requested whenever the flag is clear, new rows or not.
    """
    insert, params = insert_sql(connection, rows, _STORE_RETURNING)
    won_params: list[Any] = []
    if integration_of:
        _, won_params = deal_milestones_won_sql(inserted="new", integration_of=integration_of)
    sql = _store_text(connection.alias, insert, len(integration_of))
    params += won_params
    params += [flag_fresh_since(connection), DRAIN_FLAG]
    reused = connection.connection is not None
    unchecked = connection.health_check_enabled and not connection.health_check_done
    connection.health_check_done = True  # this statement is the check (see above)
    try:
        created, flag_set = _execute_prepared(connection, sql, params)
        return created, bool(created) and not flag_set
    except DatabaseError:
        raw = connection.connection
        if not (reused and unchecked and (raw is None or raw.closed)):
            raise
    # A kept connection that had died: what the health check would have caught. Once more, on a new one.
    connection.close()
    created, flag_set = _execute_prepared(connection, sql, params)
    return created, not flag_set


@lru_cache(maxsize=256)
def _store_text(alias: str, insert: str, pairs: int) -> str:
    """The intake statement around ``insert``; ``pairs``: the won milestones' integrations (0: none)."""
    connection = connections[alias]
    statement = f"WITH new AS ({insert})"
    if pairs:
        won, _ = deal_milestones_won_sql(inserted="new", integration_of=dict.fromkeys(range(pairs), 0))
        statement += f", won AS ({won})"
    flag = flag_read_text(connection, lock=True)
    return f"{statement}, flag AS ({flag}) SELECT (SELECT count(*) FROM new), (SELECT fresh FROM flag)"  # noqa: S608


class _PreparedCursor(psycopg.Cursor[Any]):
    """A server-binding psycopg cursor whose statements are prepared (Django's own cursors bind on the
    client and prepare nothing)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(
            query, params, prepare=prepare_intake() if prepare is None else prepare, binary=binary
        )


def prepare_intake() -> bool:
    """Whether the intake statement is prepared (``DB_PREPARED_STATEMENTS``; off behind a pooler that does
    not keep a client's prepared statements)."""
    return bool(getattr(settings, "DB_PREPARED_STATEMENTS", True))


# The statements this process prepared on each psycopg connection: a first use is sent in pipeline mode,
# the later ones without (entering and leaving it costs CPU every time). Should psycopg forget one (it
# does after a DEALLOCATE ALL), the next use prepares it again in one more round trip: only slower.
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()

# Django opens psycopg connections with automatic preparation off (prepare_threshold None), which also
# turns off the explicit ``prepare=True``. A threshold never reached keeps the automatic one off.
_NEVER_AUTOMATIC = 2**31 - 1


def _execute_prepared(connection: Any, sql: str, params: list[Any]) -> tuple[int, bool]:
    """Run the intake statement; returns (rows inserted, whether the flag was set and fresh). Through
    Django's cursor wrapper (execute wrappers, the query log)."""
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _NEVER_AUTOMATIC
    cursor = _PreparedCursor(raw)
    wrapped = (
        connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
    )
    first_use = sql not in _prepared_on.setdefault(raw, set())
    try:
        with connection.wrap_database_errors:
            if first_use:
                with raw.pipeline():  # the Parse goes with the Execute: one round trip
                    wrapped.execute(sql, params)
            else:
                wrapped.execute(sql, params)
            row = cursor.fetchone()
    except DatabaseError as exc:
        if raw.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF:
            raise
        # An error at the commit (a deferred foreign key) leaves a result psycopg did not read, and the
        # connection stuck in pipeline mode: of no further use. Raise the server's error, not psycopg's.
        connection.close()
        server_error = _server_error(exc)
        if server_error is None:
            raise
        with connection.wrap_database_errors:
            raise server_error from None
    finally:
        cursor.close()
    _prepared_on[raw].add(sql)
    created, fresh = row if row is not None else (0, None)
    return int(created), bool(fresh)


def _server_error(exc: BaseException) -> psycopg.Error | None:
    """The error the server sent, among the causes of ``exc`` (psycopg's own comes on top of it)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg.Error) and seen.sqlstate:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
