"""Running SOQL: pages of at most 2,000 records and query locators for the rest.

A query that fits in one batch is answered from a single statement. A bigger one also reads the
ordered row keys of its whole result inside the same read transaction; that list is the query locator
(a snapshot, like Salesforce's server-side cursor), and each ``query/01g...-2000`` request reads the
next slice of rows by key. Locators live in memory for 15 minutes of inactivity, so a restart
invalidates them (clients get INVALID_QUERY_LOCATOR and re-run the query, as after a real expiry).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from array import array
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from simulators.core.store import SqliteStore
from simulators.salesforce import ids
from simulators.salesforce.errors import ApiError
from simulators.salesforce.schema import Schema
from simulators.salesforce.soql.compiler import Compiler, Plan
from simulators.salesforce.soql.parser import parse

DEFAULT_BATCH = 2000
MIN_BATCH = 200
CURSOR_IDLE_SECONDS = 15 * 60
MAX_CURSORS = 200
_PLAN_CACHE_SIZE = 512


@dataclass
class _Cursor:
    plan: Plan
    rowids: array[int]
    batch: int
    include_deleted: bool
    touched: float


class QueryEngine:
    """Compiles (with a small plan cache), runs and pages SOQL queries against the store."""

    def __init__(self, store: SqliteStore, schema: Schema) -> None:
        self.store = store
        self.schema = schema
        self._plans: OrderedDict[tuple[str, bool, dt.date], Plan] = OrderedDict()
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def plan(self, soql: str, *, include_deleted: bool) -> Plan:
        today = dt.datetime.now(dt.UTC).date()
        key = (soql, include_deleted, today)
        with self._lock:
            cached = self._plans.get(key)
            if cached is not None:
                self._plans.move_to_end(key)
                return cached
        plan = Compiler(self.schema, parse(soql), include_deleted=include_deleted, today=today).compile()
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > _PLAN_CACHE_SIZE:
                self._plans.popitem(last=False)
        return plan

    def forget_plans(self) -> None:
        """Drop compiled queries (the schema gained a field: ``FIELDS(ALL)`` must list it)."""
        with self._lock:
            self._plans.clear()

    def run(
        self, soql: str, *, include_deleted: bool, version: str, batch: int = DEFAULT_BATCH
    ) -> dict[str, Any]:
        """The first page of ``soql`` as the REST API answers ``query/?q=``."""
        plan = self.plan(soql, include_deleted=include_deleted)
        connection = self.store.read()
        limit = -1 if plan.limit is None else plan.limit
        if plan.mode == "count":
            total = connection.execute(plan.count_sql(), [*plan.params, limit, plan.offset]).fetchone()[0]
            return {"totalSize": total, "done": True, "records": []}
        if plan.mode == "aggregate":
            row = connection.execute(plan.aggregate_sql(), plan.params).fetchone()
            record: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
            record.update(zip(plan.aggregate_keys, row, strict=False))
            return {"totalSize": 1, "done": True, "records": [record]}
        first = batch + 1 if plan.limit is None else min(plan.limit, batch + 1)
        rowids: array[int] | None = None
        own_transaction = not connection.in_transaction
        if own_transaction:
            connection.execute("BEGIN")
        try:
            rows = connection.execute(plan.rows_sql(), [*plan.params, first, plan.offset]).fetchall()
            if len(rows) > batch:
                keys = connection.execute(plan.rowids_sql(), [*plan.params, limit, plan.offset])
                rowids = array("q", (key[0] for key in keys))
        finally:
            if own_transaction:
                connection.execute("COMMIT")
        records = self._shape(plan, rows[:batch], version)
        if rowids is None:
            return {"totalSize": len(records), "done": True, "records": records}
        locator = self._remember(_Cursor(plan, rowids, batch, include_deleted, time.monotonic()))
        return {
            "totalSize": len(rowids),
            "done": False,
            "nextRecordsUrl": self._next_url(version, include_deleted, locator, batch),
            "records": records,
        }

    def more(self, identifier: str, *, version: str) -> dict[str, Any]:
        """The page a ``nextRecordsUrl`` (``01g...-4000``) points at."""
        locator, _, position_text = identifier.rpartition("-")
        with self._lock:
            self._expire()
            cursor = self._cursors.get(locator)
            if cursor is not None:
                cursor.touched = time.monotonic()
                self._cursors.move_to_end(locator)
        if cursor is None or not position_text.isdigit() or int(position_text) >= len(cursor.rowids):
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        position = int(position_text)
        chunk = cursor.rowids[position : position + cursor.batch]
        plan = cursor.plan
        rows = self.store.read().execute(plan.page_sql(), [json.dumps(chunk.tolist())]).fetchall()
        order = {rowid: index for index, rowid in enumerate(chunk)}
        rows.sort(key=lambda row: order[row[plan.rid_index]])
        records = self._shape(plan, rows, version)
        after = position + len(chunk)
        if after >= len(cursor.rowids):
            return {"totalSize": len(cursor.rowids), "done": True, "records": records}
        return {
            "totalSize": len(cursor.rowids),
            "done": False,
            "nextRecordsUrl": self._next_url(version, cursor.include_deleted, locator, after),
            "records": records,
        }

    def _shape(self, plan: Plan, rows: list[Any], version: str) -> list[dict[str, Any]]:
        prefix = f"/services/data/v{version}/sobjects/"
        build = plan.node.build
        records = [build(row, prefix) for row in rows]
        if not plan.children or not rows:
            return records
        parent_ids = [row[plan.node.id_index] for row in rows]
        connection = self.store.read()
        for child in plan.children:
            groups: defaultdict[str, list[Any]] = defaultdict(list)
            for row in connection.execute(child.sql, [json.dumps(parent_ids), *child.params]):
                groups[row[child.parent_index]].append(row)
            for record, parent_id in zip(records, parent_ids, strict=True):
                found = groups.get(parent_id)
                if found and (child.offset or child.limit is not None):
                    stop = None if child.limit is None else child.offset + child.limit
                    found = found[child.offset : stop]
                record[child.key] = (
                    {
                        "totalSize": len(found),
                        "done": True,
                        "records": [child.node.build(row, prefix) for row in found],
                    }
                    if found
                    else None
                )
        return records

    def _remember(self, cursor: _Cursor) -> str:
        locator = ids.make_id("01g", secrets.randbelow(62**9))
        with self._lock:
            self._expire()
            self._cursors[locator] = cursor
            while len(self._cursors) > MAX_CURSORS:
                self._cursors.popitem(last=False)
        return locator

    def _expire(self) -> None:
        deadline = time.monotonic() - CURSOR_IDLE_SECONDS
        while self._cursors:
            locator, cursor = next(iter(self._cursors.items()))
            if cursor.touched >= deadline:
                break
            del self._cursors[locator]

    @staticmethod
    def _next_url(version: str, include_deleted: bool, locator: str, position: int) -> str:
        resource = "queryAll" if include_deleted else "query"
        return f"/services/data/v{version}/{resource}/{locator}-{position}"

    def open_cursors(self) -> int:
        with self._lock:
            return len(self._cursors)
