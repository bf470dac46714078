"""The org's shape: multi- or single-currency, with or without Salesforce CPQ, kept in the data directory.

A flag given at start (or to the seed) applies and is remembered in the file's ``_meta``; without one the
last shape stays; a new org is multi-currency with CPQ. The file always holds every column and table of
the fullest shape, and the shape decides what the API shows (:func:`objects.build_schema`).
"""

from __future__ import annotations

import sqlite3

from simulators.salesforce.objects import CURRENCY_SHAPES
from simulators.salesforce.store import get_meta, set_meta

SHAPE_CURRENCIES = "shape.currencies"
SHAPE_CPQ = "shape.cpq"


def resolve_shape(
    connection: sqlite3.Connection, currencies: str | None, cpq: bool | None
) -> tuple[str, bool]:
    """The shape the flags ask for, else the one the file was last run or seeded as; written back."""
    if currencies is None:
        currencies = get_meta(connection, SHAPE_CURRENCIES) or "multi"
    if currencies not in CURRENCY_SHAPES:
        raise ValueError(f"currencies must be one of {', '.join(CURRENCY_SHAPES)}, not {currencies!r}")
    if cpq is None:
        cpq = get_meta(connection, SHAPE_CPQ) != "false"
    set_meta(connection, SHAPE_CURRENCIES, currencies)
    set_meta(connection, SHAPE_CPQ, "true" if cpq else "false")
    return currencies, bool(cpq)
