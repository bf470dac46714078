"""Value coercions shared by transforms and conditions: numbers as Decimal, text, lookup keys.

Numbers reach the engine as int, float or str (JSON from Salesforce and NetSuite) and leave it as
Decimal: a float is converted through ``str`` so ``0.1`` stays ``Decimal("0.1")``, never
``0.1000000000000000055511151231257827``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER_TYPES = (int, float, Decimal)


def is_number(value: Any) -> bool:
    """int, float or Decimal, but not bool (a bool is an int to Python, not a number to a person)."""
    return isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool)


MAX_MAGNITUDE = 30  # decimal exponent; far beyond any amount, and keeps 1E+999999999 from being written out


_LIMIT = 10.0**MAX_MAGNITUDE
_TINY = 10.0**-MAX_MAGNITUDE
_INT_LIMIT = 10**MAX_MAGNITUDE


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a number or numeric text; None for anything else (bools included) and for
    magnitudes beyond 10**30 (or below 10**-30), which no business amount has."""
    cls = value.__class__
    if cls is float:  # the common case (JSON numbers with a fraction), checked without building text
        if -_LIMIT < value < _LIMIT and (value >= _TINY or value <= -_TINY or value == 0):
            return Decimal(repr(value))
        return None
    if cls is int:
        return Decimal(value) if -(10**MAX_MAGNITUDE) < value < 10**MAX_MAGNITUDE else None
    if cls is Decimal:
        number = value
    elif cls is str:
        # No thousands separators: "1,5" means 1.5 in half the world, so guessing is worse than failing.
        text = value.strip()
        if not text or len(text) > 60:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    elif isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    else:  # a subclass of a number or of str
        return to_decimal(_plain(value))
    if not number.is_finite() or (number and abs(number.adjusted()) > MAX_MAGNITUDE):
        return None
    return number


def _plain(value: Any) -> Any:
    for kind in (Decimal, float, int, str):
        if isinstance(value, kind):
            return kind(value)
    return None  # pragma: no cover - the caller checked the kinds


def number_text(number: Decimal) -> str:
    """Plain notation, never exponent form (``Decimal("1E+2")`` -> ``"100"``)."""
    if not number:
        return "0"
    if number == number.to_integral_value():
        return f"{number.to_integral_value():f}"
    return f"{number:f}"


def to_text(value: Any) -> str | None:
    """Text for a scalar: numbers in plain notation, booleans as true/false; None for records/lists."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        number = to_decimal(value)
        return f"{number:f}" if number is not None else None
    if isinstance(value, int):
        return str(value)
    return None


def key_text(value: Any) -> str | None:
    """The text a value is looked up by: numbers drop a zero fraction, so 12, 12.0 and "12" all
    find the key ``"12"`` (Salesforce sends whole-number fields as 12.0)."""
    if isinstance(value, str):
        return value
    if value.__class__ is int and -_INT_LIMIT < value < _INT_LIMIT:
        return str(value)  # what number_text(to_decimal(value)) writes, without the Decimal
    if is_number(value):
        number = to_decimal(value)
        return number_text(number) if number is not None else None
    return to_text(value)


def is_empty(value: Any) -> bool:
    """None, "", an empty list or record, or a child subquery wrapper without records."""
    if value is None or value == "":
        return True
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        if not value:
            return True
        if "records" in value and "totalSize" in value:
            records = value.get("records")
            return not records
    return False
