"""The Salesforce simulator's SQLite file: one table per sObject, plus sessions and outbound messages.

Every sObject table has real columns named after the fields, an integer ``_rid`` (insertion order, the
cursor key of query locators) and indexes on ``Id``, ``SystemModstamp``, lookups and external ids, so
SOQL over a million rows filters, sorts and joins inside SQLite. Values are stored as SOQL compares
them: booleans 0/1, date-times as UTC text ``2026-11-23T07:30:00.000+0000`` (which sorts correctly),
text case-insensitively (``COLLATE NOCASE``) but ids case-sensitively.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from simulators.core.store import SqliteStore
from simulators.salesforce.org import INTEGRATION_USER_ID
from simulators.salesforce.schema import ID_TYPES, TEXT_TYPES, Field, Schema, SObject

DATABASE_FILE = "salesforce.sqlite3"
# Indexed for ORDER BY Name / WHERE Name = ... on the objects people search by name.
_NAME_INDEXED = {"Account", "Contact", "Opportunity", "Product2"}
_USER_COLUMNS = ("CreatedById", "LastModifiedById", "OwnerId")

_SERVICE_TABLES = """
CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS _sequence (prefix TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS _token (
    digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS _outbound_rule (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, object TEXT NOT NULL, field TEXT NOT NULL,
    operator TEXT NOT NULL, value TEXT NOT NULL, endpoint_url TEXT NOT NULL, fields TEXT NOT NULL,
    send_session_id INTEGER NOT NULL DEFAULT 0, ca_file TEXT, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS _outbound_notification (
    id TEXT PRIMARY KEY, rule_id TEXT NOT NULL, object TEXT NOT NULL, record_id TEXT NOT NULL,
    created_at REAL NOT NULL, next_attempt_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending', last_error TEXT, delivered_at REAL
);
CREATE TABLE IF NOT EXISTS _custom_field (
    object TEXT NOT NULL, name TEXT NOT NULL, definition TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (object, name)
);
CREATE INDEX IF NOT EXISTS _outbound_due ON _outbound_notification (status, next_attempt_at);
"""


def database_path(data_dir: Path) -> Path:
    return Path(data_dir) / DATABASE_FILE


def column_type(f: Field) -> str:
    if f.name in _USER_COLUMNS:
        # Rows the seed writes are the integration user's; leaving these out of its INSERTs saves time.
        return f"TEXT DEFAULT '{INTEGRATION_USER_ID}'"
    if f.type in ID_TYPES or f.type in ("date", "datetime"):
        return "TEXT"
    if f.type in TEXT_TYPES:
        return "TEXT COLLATE NOCASE"
    if f.type == "boolean":
        return "INTEGER NOT NULL DEFAULT 0"
    if f.type == "int":
        return "INTEGER"
    return "REAL"


def _table_ddl(sobject: SObject) -> str:
    columns = ["_rid INTEGER PRIMARY KEY"]
    for f in sobject.fields:
        columns.append(f'"{f.name}" {column_type(f)}' + (" NOT NULL UNIQUE" if f.name == "Id" else ""))
    statements = [f'CREATE TABLE IF NOT EXISTS "{sobject.table}" ({", ".join(columns)});']
    statements.extend(_index_ddl(sobject))
    return "\n".join(statements)


def _index_ddl(sobject: SObject) -> list[str]:
    indexed = ["SystemModstamp"]
    indexed += [
        f.name
        for f in sobject.fields
        if f.type == "reference" and f.name not in ("CreatedById", "LastModifiedById", "OwnerId")
    ]
    indexed += [f.name for f in sobject.fields if f.external_id]
    if sobject.name in _NAME_INDEXED:
        indexed.append("Name")
    return [
        f'CREATE INDEX IF NOT EXISTS "{sobject.table}_{name}" ON "{sobject.table}" ("{name}");'
        for name in indexed
    ]


def schema_sql(schema: Schema) -> str:
    return _SERVICE_TABLES + "\n".join(_table_ddl(s) for s in schema.sobjects.values())


def _add_missing_columns(connection: sqlite3.Connection, schema: Schema) -> None:
    """Bring a file written by an older simulator up to date: new fields become new (empty) columns."""
    for sobject in schema.sobjects.values():
        present = {row[1] for row in connection.execute(f'PRAGMA table_info("{sobject.table}")')}
        for f in sobject.fields:
            if f.name not in present:
                connection.execute(f'ALTER TABLE "{sobject.table}" ADD COLUMN "{f.name}" {column_type(f)}')
        for statement in _index_ddl(sobject):
            connection.execute(statement)


def open_store(data_dir: Path, schema: Schema) -> SqliteStore:
    """Open (creating or upgrading) the simulator's database under ``data_dir``."""
    store = SqliteStore(database_path(data_dir), schema_sql(schema))
    with store.write() as connection:
        _add_missing_columns(connection, schema)
    return store


def next_number(connection: sqlite3.Connection, key: str) -> int:
    """The next value of a persistent counter (ids, auto-numbers); call inside a write transaction."""
    row = connection.execute(
        "INSERT INTO _sequence (prefix, value) VALUES (?, 1) "
        "ON CONFLICT (prefix) DO UPDATE SET value = value + 1 RETURNING value",
        (key,),
    ).fetchone()
    return int(row[0])


def get_meta(connection: sqlite3.Connection, key: str) -> str | None:
    row = connection.execute("SELECT value FROM _meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(connection: sqlite3.Connection, key: str, value: str) -> None:
    connection.execute(
        "INSERT INTO _meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
