"""Derived fields of the contract life cycle, computed on every write as the platform and CPQ do.

- ``Contract.ContractNumber``: an auto-number (``00000001``); ``Contract.EndDate`` = ``StartDate`` +
  ``ContractTerm`` months - 1 day (read-only, as in Salesforce).
- ``SBQQ__QuoteLine__c.SBQQ__EffectiveQuantity__c``: ``Quantity - PriorQuantity`` on an Amendment quote,
  else ``Quantity`` (a formula in CPQ); ``SBQQ__EffectiveStartDate__c``: the line's start date, else its
  quote's. A quote whose type or start date changes recomputes its lines (formulas have no modstamp).
"""
# ruff: noqa: S608 - table and column names are fixed here, values are always bound.

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING, Any

from simulators.salesforce.store import next_number

if TYPE_CHECKING:
    from simulators.salesforce.rules import WriteContext

AMENDMENT = "Amendment"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(start: str | None, months: Any) -> str | None:
    """The last day of a term of ``months`` starting on ``start`` (ISO dates), or None."""
    if not start or months is None:
        return None
    return (add_months(dt.date.fromisoformat(start), int(months)) - dt.timedelta(days=1)).isoformat()


def contract_before(context: WriteContext) -> None:
    values = context.values
    if context.existing is None:
        values["ContractNumber"] = f"{next_number(context.connection, 'autonumber:Contract'):08d}"
    if context.existing is None or {"StartDate", "ContractTerm"} & values.keys():
        values["EndDate"] = term_end(context.merged("StartDate"), context.merged("ContractTerm"))


def effective_quantity(quantity: Any, prior: Any, quote_type: Any) -> float | None:
    if quantity is None:
        return None
    if quote_type == AMENDMENT:
        return float(quantity) - float(prior or 0)
    return float(quantity)


def quote_line_before(context: WriteContext) -> None:
    watched = {"SBQQ__Quantity__c", "SBQQ__PriorQuantity__c", "SBQQ__StartDate__c", "SBQQ__Quote__c"}
    if context.existing is not None and not watched & context.values.keys():
        return
    quote = context.row(
        "SBQQ__Quote__c", context.merged("SBQQ__Quote__c"), '"SBQQ__Type__c", "SBQQ__StartDate__c"'
    )
    quote_type = quote["SBQQ__Type__c"] if quote is not None else None
    context.values["SBQQ__EffectiveQuantity__c"] = effective_quantity(
        context.merged("SBQQ__Quantity__c"), context.merged("SBQQ__PriorQuantity__c"), quote_type
    )
    context.values["SBQQ__EffectiveStartDate__c"] = context.merged("SBQQ__StartDate__c") or (
        quote["SBQQ__StartDate__c"] if quote is not None else None
    )


def quote_after(context: WriteContext, record_id: str) -> None:
    """Recompute the lines' formulas when the quote's type or start date changed."""
    if context.existing is None or not (
        context.changed("SBQQ__Type__c") or context.changed("SBQQ__StartDate__c")
    ):
        return
    context.connection.execute(
        'UPDATE "SBQQ__QuoteLine__c" SET '
        '"SBQQ__EffectiveStartDate__c" = COALESCE("SBQQ__StartDate__c", ?), '
        '"SBQQ__EffectiveQuantity__c" = CASE WHEN ? THEN "SBQQ__Quantity__c" - '
        'COALESCE("SBQQ__PriorQuantity__c", 0) ELSE "SBQQ__Quantity__c" END '
        'WHERE "SBQQ__Quote__c" = ?',
        (
            context.merged("SBQQ__StartDate__c"),
            int(context.merged("SBQQ__Type__c") == AMENDMENT),
            record_id,
        ),
    )
