"""What a record type's save rules get: the connection, the record being written and helpers."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from simulators.netsuite.schema import RecordType
from simulators.netsuite.store import NetSuiteStore, Row


@dataclass
class WriteContext:
    connection: sqlite3.Connection
    store: NetSuiteStore
    record_type: RecordType
    record_id: int
    body: dict[str, Any]
    before: dict[str, Any] | None
    stamp: str

    def load(self, table: str, record_id: Any) -> Row | None:
        if record_id is None:
            return None
        return self.store.load(table, int(record_id), self.connection)

    @property
    def today(self) -> str:
        return self.stamp[:10]


def round_money(value: float, precision: int) -> float:
    quantum = Decimal(1).scaleb(-precision)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def currency_precision(context: WriteContext, currency_id: Any) -> int:
    currency = context.load("currency", currency_id)
    return int(currency.body.get("currencyPrecision", 2)) if currency else 2


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return dt.date(year, month, min(day.day, last))
