"""Running SuiteQL: parse (cached), compile, page with LIMIT/OFFSET, count, and format like NetSuite.

Result values are strings, as the REST SuiteQL endpoint sends them: numbers without a trailing ``.0``,
booleans ``T``/``F``, dates and date-times in the account's date format (``11/23/2026``; use
``TO_CHAR(col, 'YYYY-MM-DD"T"HH24:MI:SS')`` for a full UTC timestamp). NULL columns are left out of a
row, as NetSuite does. Column names are lower case; unnamed expressions are ``expr1``, ``expr2`` ...

``SELECT ... UNION ALL SELECT ...`` (SQL-92; "SuiteQL supports the syntax for both SQL-92 and Oracle SQL",
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_156257790831.html): the rows of
every part in order, named (and formatted) by the first part's columns; every part must select as many
columns. LIMIT/OFFSET paging and the total apply to the whole result. A part may limit itself with
``ROWNUM``; ORDER BY / FETCH FIRST on a union are not simulated (refused).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from typing import Any

from simulators.netsuite.store import NetSuiteStore, now_text
from simulators.netsuite.suiteql import ast
from simulators.netsuite.suiteql.compiler import Compiled, Compiler
from simulators.netsuite.suiteql.lexer import SuiteQLError
from simulators.netsuite.suiteql.parser import parse
from simulators.netsuite.suiteql.tables import TableRegistry
from simulators.netsuite.values import account_date

ROW_CAP = 100_000
MAX_PAGE = 1000
QUERY_SECONDS = 60.0


def format_number(value: Any) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    return str(value)


def format_value(value: Any, kind: str) -> str:
    if kind in ("date", "datetime") and isinstance(value, str) and len(value) >= 10 and value[4] == "-":
        return account_date(value)
    if isinstance(value, str):
        return value
    return format_number(value)


class _LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def fetch(self, key: Any) -> Any:
        with self.lock:
            value = self.get(key)
            if value is not None:
                self.move_to_end(key)
            return value

    def keep(self, key: Any, value: Any) -> None:
        with self.lock:
            self[key] = value
            self.move_to_end(key)
            while len(self) > self.size:
                self.popitem(last=False)


class SuiteQLEngine:
    def __init__(self, store: NetSuiteStore, registry: TableRegistry) -> None:
        self.store = store
        self.registry = registry
        self._parsed = _LRU(512)
        self._totals = _LRU(512)

    def parse(self, text: str) -> ast.Select | ast.UnionAll:
        cached = self._parsed.fetch(text)
        if cached is None:
            cached = parse(text)
            self._parsed.keep(text, cached)
        return cached

    def run(self, text: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page of rows (formatted) and the total number of rows of the query."""
        if not isinstance(text, str) or not text.strip():
            raise SuiteQLError("The query is empty.")
        compiled = _compile(self.registry, self.parse(text))
        inner = compiled.sql
        if compiled.limit is not None:
            inner = f"SELECT * FROM ({inner}) LIMIT {int(compiled.limit)}"
        connection = self.store.read()
        key = (inner, compiled.params, self.store.generation)
        total = self._totals.fetch(key)
        rows = self._execute(
            connection,
            f"SELECT * FROM ({inner}) LIMIT ? OFFSET ?"
            if compiled.limit is not None
            else f"{inner} LIMIT ? OFFSET ?",
            (*compiled.params, limit, offset),
        )
        if total is None:
            if offset == 0 and len(rows) < limit:
                total = len(rows)
            else:
                total = int(
                    self._execute(connection, f"SELECT COUNT(*) FROM ({inner})", compiled.params)[0][0]
                )
            self._totals.keep(key, total)
        names, types = compiled.names, compiled.types
        items = []
        for row in rows:
            item: dict[str, Any] = {"links": []}
            for name, kind, value in zip(names, types, row, strict=True):
                if value is not None and name not in item:
                    item[name] = format_value(value, kind)
            items.append(item)
        return items, total

    def _execute(self, connection: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
        deadline = time.monotonic() + QUERY_SECONDS
        connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 100_000)
        try:
            return connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "interrupt" in str(exc):
                raise SuiteQLError(
                    f"The query ran longer than {QUERY_SECONDS:.0f} seconds and was stopped."
                ) from None
            raise SuiteQLError(f"Search error occurred: {exc}.") from None
        except (sqlite3.Error, OverflowError) as exc:
            raise SuiteQLError(f"Search error occurred: {exc}.") from None
        finally:
            connection.set_progress_handler(None, 0)


def _compile(registry: TableRegistry, query: ast.Select | ast.UnionAll) -> Compiled:
    """One SQLite SELECT for a query; a UNION ALL's parts each limited by their own ROWNUM, if any."""
    compiler = Compiler(registry, now_text)  # one compiler: the parts' table aliases stay distinct
    if isinstance(query, ast.Select):
        return compiler.compile(query)
    parts = [compiler.compile(part) for part in query.parts]
    first = parts[0]
    for number, part in enumerate(parts[1:], start=2):
        if len(part.names) != len(first.names):
            raise SuiteQLError(
                f"The queries of a UNION ALL must select as many columns: the first selects "
                f"{len(first.names)}, query {number} selects {len(part.names)}."
            )
    sql = " UNION ALL ".join(
        f"SELECT * FROM ({part.sql}{'' if part.limit is None else f' LIMIT {int(part.limit)}'})"
        for part in parts
    )
    # A column's values are formatted by the first part's type, unless it is NULL or untyped there.
    types = [
        next((part.types[index] for part in parts if part.types[index] not in ("any", "null")), kind)
        for index, kind in enumerate(first.types)
    ]
    params = tuple(param for part in parts for param in part.params)
    return Compiled(sql, params, list(first.names), types, None)
