"""The value semantics every operator shares: what equals what, what orders, what adds.

Values are JSON values (None, bool, str, int, float, list, dict) plus Decimal (the result of
arithmetic, and literals) and ``datetime.date``. Nothing here raises for any input: an operation
between values it does not apply to gives None ("unknown"), and an ordering comparison with an
unknown side is false. Numbers compare as numbers whatever their form (12, 12.0, Decimal("12.00")); a
date compares with ISO text (``"2026-01-31"``, or a date-time whose first ten characters are a date).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sync.mappings.engine.coerce import is_number, key_text, to_decimal
from sync.mappings.engine.paths import as_items
from sync.rules.engine.errors import BudgetExceeded

MAX_TEXT = 10_000  # characters a ``+`` of texts may produce
_FAST_NUMBERS = (int, float)


_DATES: dict[str, dt.date] = {}  # ISO text -> its date; close and start dates repeat across records
_DATE_CACHE_SIZE = 10_000  # emptied when full, as the Decimal cache below


def as_date(value: Any) -> dt.date | None:
    """A date from a date or ISO text (``2026-01-31`` or ``2026-01-31T10:00:00.000+0000``)."""
    cls = value.__class__
    if cls is str:
        found = _DATES.get(value)
        if found is not None:
            return found
    elif cls is dt.date:
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            found = dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
        if cls is str:  # not a subclass of str: its hash and equality are str's own
            if len(_DATES) >= _DATE_CACHE_SIZE:
                _DATES.clear()
            _DATES[value] = found
        return found
    return None


def equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    lcls, rcls = left.__class__, right.__class__
    if lcls is rcls and lcls is not float and lcls is not Decimal and lcls is not list and lcls is not dict:
        return bool(left == right)
    if lcls is bool or rcls is bool:
        return left is right
    if is_number(left) and is_number(right):
        if lcls in _FAST_NUMBERS and rcls in _FAST_NUMBERS:
            return bool(left == right)
        # number() of a float is to_decimal()'s value, cached (a float against a Decimal result).
        a = number(left) if lcls is float else to_decimal(left)
        b = number(right) if rcls is float else to_decimal(right)
        return a is not None and a == b
    if lcls is dt.date or rcls is dt.date:
        a_date, b_date = as_date(left), as_date(right)
        return a_date is not None and a_date == b_date
    if lcls is list and rcls is list:
        return len(left) == len(right) and all(equal(a, b) for a, b in zip(left, right, strict=True))
    if lcls is dict and rcls is dict:
        return bool(left == right)
    return False


def order(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 when the two values order (numbers, texts, dates); None when they do not."""
    lcls, rcls = left.__class__, right.__class__
    if (lcls in _FAST_NUMBERS and rcls in _FAST_NUMBERS) or (lcls is Decimal and rcls is Decimal):
        return (left > right) - (left < right)
    if is_number(left) and is_number(right):
        a, b = to_decimal(left), to_decimal(right)
        if a is None or b is None:
            return None
        return (a > b) - (a < b)
    if lcls is dt.date or rcls is dt.date:
        a_date, b_date = as_date(left), as_date(right)
        if a_date is None or b_date is None:
            return None
        return (a_date > b_date) - (a_date < b_date)
    if lcls is str and rcls is str:
        return (left > right) - (left < right)
    return None


def member(needle: Any, haystack: Any) -> bool:
    """``needle in haystack``: an element of a list, or a piece of a text."""
    if haystack.__class__ is str:
        return needle.__class__ is str and needle in haystack
    items = as_items(haystack) if haystack.__class__ is not list else haystack
    if not items:
        return False
    for item in items:
        if equal(needle, item):
            return True
    return False


_LIMIT = 1e30
_CENTS_LIMIT = 1e13
_DECIMALS: dict[float, Decimal] = {}  # float -> its Decimal; prices and quantities repeat across records
_CACHE_SIZE = 10_000  # emptied when full: enough for the prices and quantities a batch repeats


def number(value: Any) -> Decimal | None:
    """A Decimal for a number (never for a bool or numeric text); None beyond 10**30 or not finite.

    A float becomes the Decimal of its shortest text (0.1 -> Decimal("0.1")), as in mappings.
    """
    cls = value.__class__
    if cls is float:
        found = _DECIMALS.get(value)
        if found is not None:
            return found
        cents = round(value * 100) if -_CENTS_LIMIT < value < _CENTS_LIMIT else None
        if cents is not None and cents / 100 == value:
            # ``value`` is the float nearest to a whole number of cents. Below 10**13 two such numbers
            # are further apart than a float's spacing, so that number of cents is exactly what the
            # shortest text (repr) would give: same value, without building and parsing text.
            found = Decimal(cents).scaleb(-2)
        elif -_LIMIT < value < _LIMIT and (value >= 1e-6 or value <= -1e-6 or value == 0):
            found = Decimal(repr(value))
        else:
            found = to_decimal(value)
        if found is not None:
            if len(_DECIMALS) >= _CACHE_SIZE:
                _DECIMALS.clear()
            _DECIMALS[value] = found
        return found
    if cls is Decimal:
        return value if value.is_finite() else None
    return to_decimal(value) if is_number(value) else None


_KEYS: dict[float, str | None] = {}  # float -> its lookup key; terms and ids repeat across records


def lookup_key(value: Any) -> str | None:
    """:func:`~sync.mappings.engine.coerce.key_text` (what a value is looked up by), cached for floats."""
    if value.__class__ is float:
        if value in _KEYS:
            return _KEYS[value]
        if len(_KEYS) >= _CACHE_SIZE:
            _KEYS.clear()
        found = _KEYS[value] = key_text(value)
        return found
    return key_text(value)


_BIG = Decimal(10) ** 30


def bounded(result: Decimal) -> Decimal | None:
    """None for a result beyond the magnitudes any business figure has (see coerce.MAX_MAGNITUDE).

    Tiny results need no bound: the context's 28 digits of precision keep them small to store."""
    return result if -_BIG < result < _BIG else None


# Sums and differences are not bounded: they grow at most linearly with the (bounded) rule, while a
# product can square. Every operation still turns an arithmetic fault (overflow of a huge input) into None.


def add(left: Any, right: Any) -> Any:
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return add_numbers(a, b)
    if left.__class__ is str and right.__class__ is str:
        return left + right if len(left) + len(right) <= MAX_TEXT else None
    return _shift(left, right, 1) or _shift(right, left, 1)


def subtract(left: Any, right: Any) -> Any:
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return subtract_numbers(a, b)
    if left.__class__ is dt.date or right.__class__ is dt.date:
        a_date, b_date = as_date(left), as_date(right)
        if a_date is not None and b_date is not None:
            return Decimal((a_date - b_date).days)
    return _shift(left, right, -1)


def _shift(day: Any, days: Any, sign: int) -> dt.date | None:
    """``date + n`` / ``date - n``: n whole days."""
    if day.__class__ is not dt.date:
        return None
    count = number(days)
    if count is None or count != count.to_integral_value() or abs(count) > 1_000_000:
        return None
    try:
        return day + dt.timedelta(days=sign * int(count))
    except OverflowError:
        return None


def multiply(left: Any, right: Any) -> Any:
    a, b = number(left), number(right)
    return None if a is None or b is None else multiply_numbers(a, b)


def divide(left: Any, right: Any) -> Any:
    a, b = number(left), number(right)
    return None if a is None or b is None else divide_numbers(a, b)


def remainder(left: Any, right: Any) -> Any:
    a, b = number(left), number(right)
    return None if a is None or b is None else remainder_numbers(a, b)


# The same operations on two finite Decimals (what number() gives): compiled arithmetic calls these
# directly when both sides already are such Decimals, skipping the conversions above.


def add_numbers(a: Decimal, b: Decimal) -> Decimal | None:
    try:
        return a + b
    except ArithmeticError:
        return None


def subtract_numbers(a: Decimal, b: Decimal) -> Decimal | None:
    try:
        return a - b
    except ArithmeticError:
        return None


def multiply_numbers(a: Decimal, b: Decimal) -> Decimal | None:
    try:
        return bounded(a * b)
    except ArithmeticError:
        return None


def divide_numbers(a: Decimal, b: Decimal) -> Decimal | None:
    if not b:
        return None
    try:
        return bounded(a / b)
    except ArithmeticError:
        return None


def remainder_numbers(a: Decimal, b: Decimal) -> Decimal | None:
    if not b:
        return None
    try:
        return bounded(a % b)
    except ArithmeticError:
        return None


def add_months(day: Any, months: Any) -> dt.date | None:
    """The same day ``months`` later, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    start, count = as_date(day), number(months)
    if start is None or count is None or count != count.to_integral_value() or abs(count) > 12_000:
        return None
    index = start.month - 1 + int(count)
    year, month = start.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        return None
    following = dt.date(year + (month == 12), month % 12 + 1, 1) if year + (month == 12) <= 9999 else None
    last = (following - dt.timedelta(days=1)).day if following else 31
    return dt.date(year, month, min(start.day, last))


def shown_value(value: Any) -> Any:
    """What a rule read, for people: records and lists are summarised, the rest as :func:`json_value`."""
    items = as_items(value) if isinstance(value, dict | list) and value is not None else None
    if items is not None:
        return f"list of {len(items)}"
    if isinstance(value, dict):
        return f"record of {len(value)} field(s)"
    return json_value(value)


def json_value(value: Any) -> Any:
    """A value as JSON can hold it, for showing and recording what a rule read."""
    if isinstance(value, Decimal):
        return format(value, "f") if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_value(item) for item in value[:20]] + (["..."] if len(value) > 20 else [])
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in list(value.items())[:20]}
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "..."
    return value


def charged_items(listed: Any, f: Any, cost: int) -> list[Any] | None:
    """The items of ``listed`` (None when it is not a list), charged to the run's step budget at ``cost``
    steps each: every aggregate pays for what it reads before it reads it."""
    items = listed if listed.__class__ is list else as_items(listed)
    if items is None:
        return None
    run = f[3]
    run.steps -= len(items) * cost
    if run.steps < 0:
        raise BudgetExceeded("the rule read more than its step budget allows")
    return items
