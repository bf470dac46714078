"""The functions a rule may call, with their arity and argument kinds for the checker.

Aggregates (``sum``, ``count``, ``any``, ``all``, ``min``, ``max``) take a list and an expression read
for each item; they are compiled in :mod:`sync.rules.engine.aggregates`. The rest are plain functions of their
arguments' values, defined here. None of them raises: a value they do not apply to gives None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sync.mappings.engine.coerce import is_empty
from sync.mappings.engine.paths import as_items
from sync.rules.engine import values
from sync.rules.engine.values import as_date, number

# Kinds the checker knows: number, text, bool, date, list, any (unknown until the record is read).


@dataclass(frozen=True)
class Signature:
    params: tuple[str, ...]  # kind of each parameter; a trailing "*" kind repeats
    optional: int  # how many trailing parameters may be left out
    result: str
    summary: str


AGGREGATES: dict[str, Signature] = {
    "sum": Signature(("list", "number"), 0, "number", "sum(LIST, EXPR): the total of EXPR over the items"),
    "count": Signature(("list", "bool"), 1, "number", "count(LIST) or count(LIST, COND): how many items"),
    "any": Signature(("list", "bool"), 0, "bool", "any(LIST, COND): true when COND holds for some item"),
    "all": Signature(("list", "bool"), 0, "bool", "all(LIST, COND): true when COND holds for every item"),
    "min": Signature(("list", "any"), 0, "any", "min(LIST, EXPR): the smallest EXPR (numbers, dates, texts)"),
    "max": Signature(("list", "any"), 0, "any", "max(LIST, EXPR): the largest EXPR (numbers, dates, texts)"),
}


def _len(value: Any) -> Any:
    if value.__class__ is str:
        return Decimal(len(value))
    items = as_items(value) if value is not None else None
    return Decimal(len(items)) if items is not None else None


def _text(change: Callable[[str], str]) -> Callable[[Any], Any]:
    return lambda value: change(value) if value.__class__ is str else None


def _abs(value: Any) -> Any:
    amount = number(value)
    return abs(amount) if amount is not None else None


def _round(value: Any, places: Any = Decimal(0)) -> Any:
    amount, digits = number(value), number(places)
    if amount is None or digits is None or digits != digits.to_integral_value() or not 0 <= digits <= 10:
        return None
    try:
        return amount.quantize(_PLACES[int(digits)], rounding=ROUND_HALF_UP)
    except ArithmeticError:  # more digits than the context's precision
        return None


_PLACES = [Decimal(1).scaleb(-places) for places in range(11)]


def _days_between(first: Any, second: Any) -> Any:
    start, end = as_date(first), as_date(second)
    return Decimal((end - start).days) if start is not None and end is not None else None


def _add_days(day: Any, days: Any) -> Any:
    start = as_date(day)
    return values.add(start, days) if start is not None else None


def _part(name: str) -> Callable[[Any], Any]:
    def part(value: Any) -> Any:
        day = as_date(value)
        return Decimal(getattr(day, name)) if day is not None else None

    return part


def _coalesce(*options: Any) -> Any:
    for option in options:
        if option is not None:
            return option
    return None


def _starts_with(text: Any, prefix: Any) -> Any:
    return text.startswith(prefix) if text.__class__ is str and prefix.__class__ is str else False


def _contains(haystack: Any, needle: Any) -> bool:
    return values.member(needle, haystack)


# name -> (implementation, signature). ``today`` and ``lookup`` read the evaluation's context and are
# compiled specially; they are listed for the checker.
FUNCTIONS: dict[str, tuple[Callable[..., Any] | None, Signature]] = {
    "empty": (
        is_empty,
        Signature(("any",), 0, "bool", "empty(X): X is null, '', [] or a record without fields"),
    ),
    "present": (
        lambda value: not is_empty(value),
        Signature(("any",), 0, "bool", "present(X): the opposite of empty(X)"),
    ),
    "len": (_len, Signature(("any",), 0, "number", "len(X): characters of a text or items of a list")),
    "lower": (_text(str.lower), Signature(("text",), 0, "text", "lower(TEXT)")),
    "upper": (_text(str.upper), Signature(("text",), 0, "text", "upper(TEXT)")),
    "trim": (_text(str.strip), Signature(("text",), 0, "text", "trim(TEXT): without surrounding spaces")),
    "abs": (_abs, Signature(("number",), 0, "number", "abs(N)")),
    "round": (_round, Signature(("number", "number"), 1, "number", "round(N) or round(N, PLACES), half up")),
    "date": (as_date, Signature(("any",), 0, "date", "date(X): a date from ISO text such as '2026-01-31'")),
    "today": (None, Signature((), 0, "date", "today(): the evaluation's date")),
    "add_days": (_add_days, Signature(("date", "number"), 0, "date", "add_days(DATE, N)")),
    "add_months": (
        values.add_months,
        Signature(("date", "number"), 0, "date", "add_months(DATE, N): clamped to the month's end"),
    ),
    "days_between": (
        _days_between,
        Signature(("date", "date"), 0, "number", "days_between(A, B): days from A to B"),
    ),
    "year": (_part("year"), Signature(("date",), 0, "number", "year(DATE)")),
    "month": (_part("month"), Signature(("date",), 0, "number", "month(DATE)")),
    "coalesce": (
        _coalesce,
        Signature(("any", "*"), 0, "any", "coalesce(A, B, ...): the first value that is not null"),
    ),
    "starts_with": (_starts_with, Signature(("text", "text"), 0, "bool", "starts_with(TEXT, PREFIX)")),
    "contains": (_contains, Signature(("any", "any"), 0, "bool", "contains(LIST_OR_TEXT, X)")),
    "lookup": (
        None,
        Signature(("text", "any"), 0, "any", "lookup('TABLE', KEY): the value of KEY in a reference table"),
    ),
}

ALL_NAMES: tuple[str, ...] = tuple(sorted((*AGGREGATES, *FUNCTIONS)))
