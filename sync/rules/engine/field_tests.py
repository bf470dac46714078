"""Closures that read a field of the record (``Amount``, ``a.b``) and test it in the same call.

A rule mostly compares a field with a literal (``Amount > 0``, ``a.b == 'text'``, ``present(x)``): the
general closures would read the field in one call and compare in another. These do both in one, with
the common values (floats, texts, null) decided inline and anything else handed to the general value
semantics of :mod:`sync.rules.engine.values`, so every decision is the one the general closures give. They
are used only when nothing is traced (tracing records every read, so it keeps the general closures).

What it buys: ~0.5 s of bench/rules.py for the comparisons (1.40 s with it, 2.17 s without at a higher
load; issue 19 in bench/RESULTS.md), ~0.4 s for present/empty, coalesce (and the compiler's ``in`` and
lookup of a field) together. Proven equal by tests/sync/rules/engine/test_properties.py,
test_field_tests.py and test_item_closures.py.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.mappings.engine.coerce import to_decimal
from sync.rules.engine import values
from sync.rules.engine.frames import Fn, Frame
from sync.rules.engine.item_closures import decider

SIGN_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda sign: sign < 0,
    "<=": lambda sign: sign <= 0,
    ">": lambda sign: sign > 0,
    ">=": lambda sign: sign >= 0,
}

_NATIVE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def pair_literal(pair: tuple[str, str], op: str, constant: Any) -> Fn | None:
    """``a.b == 'text'`` / ``!=`` / ``== true`` / ``== null`` and ``a.b > 20``: read and test inline."""
    a, b = pair
    if op in ("==", "!="):
        identity = constant is None or isinstance(constant, bool)
        if not identity and not isinstance(constant, str):
            return None
        negate = op == "!="

        def equal_pair(f: Frame) -> bool:
            inner = f[0].get(a)
            value = inner.get(b) if inner.__class__ is dict else None
            same = value is constant if identity else value == constant
            return same is not negate

        return equal_pair
    if not isinstance(constant, Decimal) or to_decimal(float(constant)) != constant:
        return None
    test, limit, as_float = SIGN_TESTS[op], constant, float(constant)
    below, strict = op in ("<", "<="), op in ("<", ">")

    def order_pair(f: Frame) -> bool:
        inner = f[0].get(a)
        value: Any = inner.get(b) if inner.__class__ is dict else None
        cls = value.__class__
        if cls is float or cls is int:
            if below:  # the operator picked inline: a branch costs less than a call
                return value < as_float if strict else value <= as_float
            return value > as_float if strict else value >= as_float
        sign = values.order(value, limit)
        return sign is not None and test(sign)

    return order_pair


def presence_pair(pair: tuple[str, str], present: bool) -> Fn:
    a, b = pair
    decide = decider(present)

    def presence_pair(f: Frame) -> bool:
        inner = f[0].get(a)
        value = inner.get(b) if inner.__class__ is dict else None
        if value.__class__ is str:  # the common cases, without a call
            return (value != "") is present
        if value is None:
            return not present
        return decide(value)

    return presence_pair


def equal_literal(left: Fn, name: str | None, constant: Any, *, negate: bool) -> Fn | None:
    """``x == 'text'``, ``x == true``, ``x == null`` (and ``!=``) as one identity or string test."""
    if constant is None or isinstance(constant, bool):
        if name is not None:
            if negate:
                return lambda f: f[0].get(name) is not constant
            return lambda f: f[0].get(name) is constant
        if negate:
            return lambda f: left(f) is not constant
        return lambda f: left(f) is constant
    if isinstance(constant, str):
        # Only a text equals a text; a date read from a field is text too (dates are made by date()).
        if name is not None:
            if negate:
                return lambda f: f[0].get(name) != constant
            return lambda f: f[0].get(name) == constant
        if negate:
            return lambda f: not values.equal(left(f), constant)
        return lambda f: values.equal(left(f), constant)
    return None


def order_literal(
    left: Fn, name: str | None, op: str, limit: Decimal, as_float: float, *, default: Any = None
) -> Fn:
    """``x > 20`` where 20 is exactly a float: JSON numbers (floats) compare without a Decimal.

    With ``name``, ``x`` is that field read inline, or ``default`` when it is null (``coalesce(field,
    literal)``: a null field never reaches the comparison then, as in the closure it replaces)."""
    native = _NATIVE[op]
    test = SIGN_TESTS[op]
    below, strict = op in ("<", "<="), op in ("<", ">")

    def slow(value: Any) -> bool:
        sign = values.order(value, limit)
        return sign is not None and test(sign)

    if name is not None:

        def field_against_number(f: Frame) -> bool:
            value = f[0].get(name)
            if value is None:
                value = default
            cls = value.__class__
            if cls is float or cls is int:  # the operator picked inline: a branch costs less than a call
                if below:
                    return value < as_float if strict else value <= as_float
                return value > as_float if strict else value >= as_float
            return slow(value)

        return field_against_number

    def against_number(f: Frame) -> bool:
        value = left(f)
        cls = value.__class__
        if cls is float or cls is int:
            return native(value, as_float)
        if cls is Decimal:
            return native(value, limit)
        return slow(value)

    return against_number


def presence(read: Fn, name: str | None, present: bool) -> Fn:
    """``present(x)`` / ``empty(x)`` with the common answers (null, text, number) decided inline."""
    decide = decider(present)
    if name is not None:

        def field_presence(f: Frame) -> bool:
            value = f[0].get(name)
            if value.__class__ is str:  # the common cases, without a call
                return (value != "") is present
            if value is None:
                return not present
            return decide(value)

        return field_presence
    return lambda f: decide(read(f))


def coalesce_field(name: str, constant: Any) -> Fn:
    """``coalesce(field, literal)``: the field unless it is null."""

    def coalesce(f: Frame) -> Any:
        value = f[0].get(name)
        return constant if value is None else value

    return coalesce


def fields_order(name: str, other: str, op: str) -> Fn:
    """``a <= b`` for two fields of the record: two floats (not NaN) compare natively, as order() would."""
    test = SIGN_TESTS[op]
    below, strict = op in ("<", "<="), op in ("<", ">")

    def fields(f: Frame) -> bool:
        item = f[0]
        x, y = item.get(name), item.get(other)
        if x.__class__ is float and y.__class__ is float and x == x and y == y:
            if below:  # the operator picked inline: a branch costs less than a call
                return x < y if strict else x <= y
            return x > y if strict else x >= y
        sign = values.order(x, y)
        return sign is not None and test(sign)

    return fields
