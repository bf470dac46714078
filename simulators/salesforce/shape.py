"""The org's shape, kept in the data directory: currencies, CPQ, the corporate currency, the custom fields.

A flag given at start (or to the seed) applies and is remembered in the file's ``_meta``; without one the
last shape stays; a new org is multi-currency with CPQ, in USD, with Concord's custom fields. The file
always holds every column and table of every shape (:func:`objects.storage_schema`), and the shape
decides what the API shows (:func:`objects.build_schema`).

:data:`ACME_SHAPE` is a second company's org, differently shaped (see ``simulators/salesforce/README.md``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from simulators.salesforce.fields import CURRENCY_CODES
from simulators.salesforce.fieldsets import DEFAULT_FIELD_SET, FIELD_SETS
from simulators.salesforce.objects import CURRENCY_SHAPES, build_schema
from simulators.salesforce.org import CORPORATE_CURRENCY
from simulators.salesforce.schema import Schema
from simulators.salesforce.store import get_meta, set_meta

SHAPE_CURRENCIES = "shape.currencies"
SHAPE_CPQ = "shape.cpq"
SHAPE_CORPORATE_CURRENCY = "shape.corporate_currency"
SHAPE_FIELD_SET = "shape.field_set"

# An acquired company's org: single-currency in EUR, with CPQ, its own custom fields and its own names
# for the sync status fields. Pass as keyword arguments to ``start_in_thread`` and ``seed``.
ACME_SHAPE: dict[str, Any] = {
    "currencies": "single",
    "corporate_currency": "EUR",
    "field_set": "acme",
}


@dataclass(frozen=True)
class OrgShape:
    currencies: str = "multi"
    cpq: bool = True
    corporate_currency: str = CORPORATE_CURRENCY
    field_set: str = DEFAULT_FIELD_SET

    def schema(self) -> Schema:
        return build_schema(
            currencies=self.currencies,
            cpq=self.cpq,
            corporate_currency=self.corporate_currency,
            field_set=self.field_set,
        )


def _choice(value: str | None, stored: str | None, default: str, allowed: tuple[str, ...], what: str) -> str:
    chosen = value if value is not None else (stored or default)
    if chosen not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {chosen!r}")
    return chosen


def resolve_shape(
    connection: sqlite3.Connection,
    currencies: str | None,
    cpq: bool | None,
    *,
    corporate_currency: str | None = None,
    field_set: str | None = None,
) -> OrgShape:
    """The shape the flags ask for, else the one the file was last run or seeded as; written back."""
    shape = OrgShape(
        currencies=_choice(
            currencies, get_meta(connection, SHAPE_CURRENCIES), "multi", CURRENCY_SHAPES, "currencies"
        ),
        cpq=bool(cpq) if cpq is not None else get_meta(connection, SHAPE_CPQ) != "false",
        corporate_currency=_choice(
            corporate_currency,
            get_meta(connection, SHAPE_CORPORATE_CURRENCY),
            CORPORATE_CURRENCY,
            CURRENCY_CODES,
            "the corporate currency",
        ),
        field_set=_choice(
            field_set, get_meta(connection, SHAPE_FIELD_SET), DEFAULT_FIELD_SET, FIELD_SETS, "the field set"
        ),
    )
    set_meta(connection, SHAPE_CURRENCIES, shape.currencies)
    set_meta(connection, SHAPE_CPQ, "true" if shape.cpq else "false")
    set_meta(connection, SHAPE_CORPORATE_CURRENCY, shape.corporate_currency)
    set_meta(connection, SHAPE_FIELD_SET, shape.field_set)
    return shape
