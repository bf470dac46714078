"""SQLite storage shaped like NetSuite's SuiteQL tables, sized for a million customers and orders.

One table per SuiteQL table (``ns_customer``, ``ns_transaction`` ...). Each row holds the record's JSON
body plus real, indexed columns for the fields that queries filter and join on (id, externalid,
lastmodifieddate, entity ...). Transaction lines are also kept as rows of ``ns_transactionline`` so
SuiteQL can join and aggregate them; ``ns_applied`` remembers which payment paid how much of which
invoice. Writers serialise on the core store's lock; a generation number lets readers cache results
(reference names, SuiteQL row counts) until the next write.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulators.core.store import SqliteStore
from simulators.netsuite.catalog import Catalog
from simulators.netsuite.schema import Field, RecordType

DATABASE_FILE = "netsuite.sqlite3"
_SQL_TYPES = {"ref": "INTEGER", "int": "INTEGER", "float": "REAL"}
# Indexes beyond externalid and lastmodifieddate, which every table has.
_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "customer": (("entityid",),),
    "contact": (("company",),),
    "item": (("itemid",),),
    "transaction": (("entity",), ("createdfrom",), ("typecode", "lastmodifieddate"), ("tranid",)),
    "billingaccount": (("customer",),),
    "subscription": (("customer",), ("billingaccount",), ("subscriptionplan",)),
    "subscriptionplan": (("itemid",),),
    "subscriptionline": (("subscription", "linenumber"),),
    "subscriptionchangeorder": (("subscription", "effectivedate"),),
}
_SIDE_TABLES = """
CREATE TABLE IF NOT EXISTS ns_transactionline (
    uniquekey INTEGER PRIMARY KEY, "transaction" INTEGER NOT NULL, id INTEGER NOT NULL,
    linesequencenumber INTEGER NOT NULL, mainline TEXT NOT NULL, item INTEGER, quantity REAL, rate REAL,
    foreignamount REAL, netamount REAL, memo TEXT, taxcode INTEGER, entity INTEGER, subsidiary INTEGER,
    body TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS ns_transactionline_transaction ON ns_transactionline("transaction", id);
CREATE INDEX IF NOT EXISTS ns_transactionline_item ON ns_transactionline(item);
CREATE TABLE IF NOT EXISTS ns_applied (
    payment INTEGER NOT NULL, invoice INTEGER NOT NULL, amount REAL NOT NULL, PRIMARY KEY (payment, invoice));
CREATE INDEX IF NOT EXISTS ns_applied_invoice ON ns_applied(invoice);
CREATE TABLE IF NOT EXISTS ns_integration (
    token_id TEXT PRIMARY KEY, token_secret TEXT NOT NULL, consumer_key TEXT NOT NULL,
    consumer_secret TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ns_certificate (
    certificate_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, public_key_pem TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ns_custom_field (
    record_type TEXT NOT NULL, field_id TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,
    sublist TEXT NOT NULL DEFAULT '', PRIMARY KEY (record_type, sublist, field_id));
CREATE TABLE IF NOT EXISTS ns_sequence (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ns_job (
    id INTEGER PRIMARY KEY, idempotency_key TEXT UNIQUE, created TEXT NOT NULL, status INTEGER NOT NULL,
    location TEXT, body TEXT);
"""


def database_path(data_dir: Path) -> Path:
    return Path(data_dir) / DATABASE_FILE


def physical_table(table: str) -> str:
    return "ns_" + table


def now_text() -> str:
    """The current UTC time as stored: ``YYYY-MM-DD HH:MM:SS`` (NetSuite keeps whole seconds)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def stored_columns(catalog: Catalog, table: str) -> dict[str, Field]:
    """The fields of ``table``'s record types that have their own column, by column name."""
    columns: dict[str, Field] = {}
    for record_type in catalog.in_table(table):
        for field in record_type.fields:
            if field.stored and field.column_name and field.column_name not in ("id", "externalid"):
                columns.setdefault(field.column_name, field)
    return columns


def schema_sql(catalog: Catalog) -> str:
    statements = []
    for table in catalog.tables():
        name = physical_table(table)
        extra = "".join(
            f', "{column}" {_SQL_TYPES.get(field.kind, "TEXT")}'
            for column, field in stored_columns(catalog, table).items()
        )
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {name} (id INTEGER PRIMARY KEY, recordtype TEXT NOT NULL, "
            f"typecode TEXT NOT NULL DEFAULT '', externalid TEXT, refname TEXT NOT NULL DEFAULT '', "
            f"datecreated TEXT NOT NULL, lastmodifieddate TEXT NOT NULL, body TEXT NOT NULL{extra});"
        )
        # externalid first: SuiteQL filters on it alone, the REST layer on it plus the record type.
        statements.append(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_eid ON {name}(externalid, recordtype) "
            "WHERE externalid IS NOT NULL;"
        )
        statements.append(f"CREATE INDEX IF NOT EXISTS {name}_lastmodified ON {name}(lastmodifieddate);")
        for columns in _INDEXES.get(table, ()):
            quoted = ", ".join(f'"{column}"' for column in columns)
            statements.append(f"CREATE INDEX IF NOT EXISTS {name}_{'_'.join(columns)} ON {name}({quoted});")
    return "\n".join(statements) + _SIDE_TABLES


@dataclass
class Row:
    """A stored record: system columns plus the JSON body in stored form."""

    id: int
    recordtype: str
    externalid: str | None
    datecreated: str
    lastmodifieddate: str
    body: dict[str, Any]


class NetSuiteStore:
    """Record storage for the simulator and the seed command (which writes the same file directly)."""

    def __init__(self, path: Path | str, catalog: Catalog) -> None:
        self.catalog = catalog
        self.sqlite = SqliteStore(path, schema_sql(catalog))
        self.generation = 0
        # (table, id) -> (record type name, refName); bounded, dropped per row on write.
        self._names: dict[tuple[str, int], tuple[str, str] | None] = {}
        self._names_lock = threading.Lock()

    # -- transactions ----------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self.sqlite.write() as connection:
            yield connection
        # After the commit: a reader that started before it sees a new generation and caches nothing.
        self.generation += 1

    def read(self) -> sqlite3.Connection:
        return self.sqlite.read()

    # -- rows ------------------------------------------------------------------------------------

    def load(self, table: str, record_id: int, connection: sqlite3.Connection | None = None) -> Row | None:
        found = (
            (connection or self.read())
            .execute(
                "SELECT id, recordtype, externalid, datecreated, lastmodifieddate, body "
                f"FROM {physical_table(table)} "
                "WHERE id = ?",
                (record_id,),
            )
            .fetchone()
        )
        if found is None:
            return None
        return Row(found[0], found[1], found[2], found[3], found[4], json.loads(found[5]))

    def id_for_external_id(
        self,
        table: str,
        record_types: tuple[str, ...],
        external_id: str,
        connection: sqlite3.Connection | None = None,
    ) -> int | None:
        marks = ",".join("?" * len(record_types))
        found = (
            (connection or self.read())
            .execute(
                f"SELECT id FROM {physical_table(table)} WHERE externalid = ? AND recordtype IN ({marks}) "
                "ORDER BY id LIMIT 1",
                (external_id, *record_types),
            )
            .fetchone()
        )
        return None if found is None else int(found[0])

    def name_of(self, table: str, record_id: int) -> tuple[str, str] | None:
        """(record type, refName) of a referenced record, cached until that record is written."""
        key = (table, record_id)
        cached = self._names.get(key, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        generation = self.generation
        found = (
            self.read()
            .execute(f"SELECT recordtype, refname FROM {physical_table(table)} WHERE id = ?", (record_id,))
            .fetchone()
        )
        value = None if found is None else (str(found[0]), str(found[1]))
        with self._names_lock:
            if len(self._names) > 200_000:
                self._names.clear()
            if generation == self.generation:  # no write committed meanwhile: the value is current
                self._names[key] = value
        return value

    def forget(self, table: str, record_id: int) -> None:
        with self._names_lock:
            self._names.pop((table, record_id), None)

    def next_id(self, connection: sqlite3.Connection, table: str) -> int:
        """A new internal id; ids are never reused, even after the newest record is deleted."""
        highest = connection.execute(f"SELECT MAX(id) FROM {physical_table(table)}").fetchone()[0] or 0
        issued = connection.execute("SELECT value FROM ns_sequence WHERE name = ?", (table,)).fetchone()
        new_id = max(int(highest), int(issued[0]) if issued else 0) + 1
        connection.execute("REPLACE INTO ns_sequence (name, value) VALUES (?, ?)", (table, new_id))
        return new_id

    def save(
        self,
        connection: sqlite3.Connection,
        record_type: RecordType,
        record_id: int,
        body: dict[str, Any],
        *,
        external_id: str | None,
        created: str,
        modified: str,
        insert: bool,
    ) -> None:
        """Insert or replace one record's row (and its transaction lines)."""
        table = record_type.table
        columns = stored_columns(self.catalog, table)
        values: list[Any] = [
            record_id,
            record_type.name,
            record_type.type_code,
            external_id,
            record_type.refname(body),
            created,
            modified,
            json.dumps(body, separators=(",", ":")),
        ]
        names = [
            "id",
            "recordtype",
            "typecode",
            "externalid",
            "refname",
            "datecreated",
            "lastmodifieddate",
            "body",
        ]
        own = {field.column_name: field.name for field in record_type.fields if field.stored}
        for column in columns:
            names.append(column)
            values.append(body.get(own[column]) if column in own else None)
        quoted = ", ".join(f'"{name}"' for name in names)
        marks = ", ".join("?" * len(names))
        verb = "INSERT" if insert else "REPLACE"
        connection.execute(f"{verb} INTO {physical_table(table)} ({quoted}) VALUES ({marks})", values)
        if table == "transaction":
            self._save_lines(connection, record_id, body)
        self.forget(table, record_id)

    def _save_lines(self, connection: sqlite3.Connection, record_id: int, body: dict[str, Any]) -> None:
        connection.execute('DELETE FROM ns_transactionline WHERE "transaction" = ?', (record_id,))
        entity = body.get("entity", body.get("customer"))
        subsidiary = body.get("subsidiary")
        total = body.get("total", body.get("payment"))
        rows = [
            (
                record_id,
                0,
                0,
                "T",
                None,
                None,
                None,
                total,
                total,
                body.get("memo"),
                None,
                entity,
                subsidiary,
                "{}",
            )
        ]
        for position, line in enumerate(body.get("item") or [], start=1):
            extras = {key: value for key, value in line.items() if key.startswith("cust")}
            rows.append(
                (
                    record_id,
                    line.get("line"),
                    position,
                    "F",
                    line.get("item"),
                    line.get("quantity"),
                    line.get("rate"),
                    line.get("amount"),
                    line.get("amount"),
                    line.get("description"),
                    line.get("taxCode"),
                    entity,
                    subsidiary,
                    json.dumps(extras, separators=(",", ":")),
                )
            )
        connection.executemany(
            'INSERT INTO ns_transactionline ("transaction", id, linesequencenumber, mainline, item, '
            "quantity, rate, foreignamount, netamount, memo, taxcode, entity, subsidiary, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def remove(self, connection: sqlite3.Connection, table: str, record_id: int) -> None:
        connection.execute(f"DELETE FROM {physical_table(table)} WHERE id = ?", (record_id,))
        if table == "transaction":
            connection.execute('DELETE FROM ns_transactionline WHERE "transaction" = ?', (record_id,))
        self.forget(table, record_id)

    def counts(self) -> dict[str, int]:
        connection = self.read()
        return {
            record_type.name: int(
                connection.execute(
                    f"SELECT COUNT(*) FROM {physical_table(record_type.table)} WHERE recordtype = ?",
                    (record_type.name,),
                ).fetchone()[0]
            )
            for record_type in self.catalog.types()
        }

    def close(self) -> None:
        connection = getattr(self.sqlite._local, "connection", None)
        if connection is not None:
            connection.close()
            self.sqlite._local.connection = None
