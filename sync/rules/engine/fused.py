"""Closures for the shapes rules take most often, fused so that one call does what several would.

Two kinds live here, both used only when nothing is traced (tracing records every read, so it keeps
the general closures of :mod:`sync.rules.engine.compiler`):

- *item closures* take the record itself, not a frame: an aggregate whose expression reads only fields
  of its item (``all(lines, SBQQ__Quantity__c > 0)``, ``sum(lines, SBQQ__Quantity__c * SBQQ__NetPrice__c)``)
  calls one per item without building a frame for it;
- arithmetic and ``abs``/``round`` that take numbers already converted (a cached float, a finite
  Decimal) straight to the Decimal operation, and hand anything else to the general function in
  :mod:`sync.rules.engine.values`, so every result is the one the general path gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sync.mappings.engine.coerce import is_empty, to_decimal
from sync.mappings.engine.paths import SourcePath
from sync.rules.engine import values
from sync.rules.engine.parser import Node

ItemFn = Callable[[dict[str, Any]], Any]
Reader = Callable[[Any], Any]  # a frame closure, or an item closure: both take one argument

_CACHE = values.CACHED_DECIMALS
number = values.number
_NUMBERS: dict[str, Callable[[Decimal, Decimal], Decimal | None]] = {
    "+": values.add_numbers,
    "-": values.subtract_numbers,
    "*": values.multiply_numbers,
    "/": values.divide_numbers,
    "%": values.remainder_numbers,
}
_GENERAL: dict[str, Callable[[Any, Any], Any]] = {
    "+": values.add,
    "-": values.subtract,
    "*": values.multiply,
    "/": values.divide,
    "%": values.remainder,
}
_SIGN: dict[str, Callable[[int], bool]] = {
    "<": lambda sign: sign < 0,
    "<=": lambda sign: sign <= 0,
    ">": lambda sign: sign > 0,
    ">=": lambda sign: sign >= 0,
}


def arithmetic(op: str, left: Reader, right: Reader, days: Any = None) -> Reader:
    """``left op right``: Decimal arithmetic at once when both sides are numbers number() has seen.

    ``days``: the right side's literal (``today() + 30``): a date on the left moves by that many days
    at once, when it is a whole number the general ``date + n`` accepts."""
    numeric, general = _NUMBERS[op], _GENERAL[op]
    delta = _days(days, op)

    def arith(f: Any) -> Any:
        x, y = left(f), right(f)
        cls = x.__class__
        if cls is float:
            a = _CACHE.get(x)
            if a is None:
                a = number(x)
        else:
            if cls is dt.date and delta is not None:
                try:
                    return x + delta
                except OverflowError:
                    return None
            a = x if cls is Decimal and x.is_finite() else None
        if a is not None:
            cls = y.__class__
            if cls is float:
                b = _CACHE.get(y)
                if b is None:
                    b = number(y)
            else:
                b = y if cls is Decimal and y.is_finite() else None
            if b is not None:
                return numeric(a, b)
        return general(x, y)

    return arith


def _days(literal: Any, op: str) -> dt.timedelta | None:
    """The shift ``date + literal`` / ``date - literal`` makes (as values.add/subtract do), or None."""
    if op not in ("+", "-") or literal.__class__ is not Decimal or not literal.is_finite():
        return None
    if literal != literal.to_integral_value() or abs(literal) > 1_000_000:
        return None
    return dt.timedelta(days=int(literal) if op == "+" else -int(literal))


def arithmetic_fields(op: str, first: str, second: str) -> Reader:
    """``a op b`` for two fields of the current record: the same as :func:`arithmetic`, reads inlined."""
    numeric, general = _NUMBERS[op], _GENERAL[op]

    def arith(item: Any) -> Any:
        x, y = item.get(first), item.get(second)
        if x.__class__ is float and y.__class__ is float:
            a, b = _CACHE.get(x), _CACHE.get(y)
            if a is None:
                a = number(x)
            if b is None:
                b = number(y)
            if a is not None and b is not None:
                return numeric(a, b)
        return general(x, y)

    return arith


def absolute(inner: Reader) -> Reader:
    def abs_(f: Any) -> Any:
        value = inner(f)
        if value.__class__ is Decimal and value.is_finite():
            return abs(value)
        amount = values.number(value)
        return abs(amount) if amount is not None else None

    return abs_


def rounding(inner: Reader, places: int) -> Reader:
    """``round(x, n)`` for a literal whole ``n`` in 0..10 (the only ``n`` round() accepts)."""
    quantum = Decimal(1).scaleb(-places)

    def round_(f: Any) -> Any:
        value = inner(f)
        amount = value if value.__class__ is Decimal and value.is_finite() else values.number(value)
        if amount is None:
            return None
        try:
            return amount.quantize(quantum, rounding=ROUND_HALF_UP)
        except ArithmeticError:
            return None

    return round_


def literal_places(node: Node) -> int | None:
    """``n`` when ``node`` is a literal whole number 0..10 (as round()'s places)."""
    if node.kind != "literal" or node.value.__class__ is not Decimal:
        return None
    places: Decimal = node.value
    if not places.is_finite() or places != places.to_integral_value() or not 0 <= places <= 10:
        return None
    return int(places)


def plain_field(node: Node) -> tuple[str, ...] | None:
    """The field names of a path reading ``a`` or ``a.b`` from the current record, no indexes."""
    if node.kind != "path":
        return None
    path: SourcePath = node.value
    if path.anchor != "current" or not 1 <= len(path.segments) <= 2:
        return None
    if any(index is not None for _, index in path.segments):
        return None
    return tuple(name for name, _ in path.segments)


def item_closure(node: Node) -> ItemFn | None:
    """A closure of the item for the shapes an aggregate's expression most often takes, or None."""
    kind = node.kind
    if kind == "compare" or kind in ("in", "not_in"):
        left, right = node.args
        default = _coalesced_field(left)
        if default is not None and kind == "compare" and node.value not in ("==", "!="):
            # coalesce(field, literal) < number: the field read inline, or the literal when null.
            return _compare_literal(_read(default[:1]), node.value, right, default[0], default[1])
        names = plain_field(left)
        if names is None or right.kind not in ("literal", "list"):
            return None
        read = _read(names)
        if kind == "compare" and len(names) == 2 and node.value in ("==", "!=") and right.kind == "literal":
            return _pair_equal(names, right.value, negate=node.value == "!=")
        if kind == "compare":
            return _compare_literal(read, node.value, right, names[0] if len(names) == 1 else None)
        return _in_texts(read, right, negate=kind == "not_in")
    if kind == "call" and node.value in ("present", "empty"):
        names = plain_field(node.args[0])
        if names is None:
            return None
        read = _read(names)
        present = node.value == "present"
        decide = decider(present)
        if len(names) == 1:
            (name,) = names

            def field_presence(item: dict[str, Any]) -> bool:  # the read, text and null inline
                value = item.get(name)
                if value.__class__ is str:
                    return (value != "") is present
                if value is None:
                    return not present
                return decide(value)

            return field_presence

        def presence(item: dict[str, Any]) -> bool:
            return decide(read(item))

        return presence
    if kind == "arith":
        first, second = plain_field(node.args[0]), plain_field(node.args[1])
        if first is not None and second is not None and len(first) == 1 and len(second) == 1:
            return arithmetic_fields(node.value, first[0], second[0])
    if kind == "path":
        names = plain_field(node)
        return _read(names) if names is not None else None
    return None


_SCALARS = frozenset({float, int, bool, Decimal, dt.date})


def decider(present: bool) -> Callable[[Any], bool]:
    """What ``present(value)`` (or ``empty``) decides, the common answers (null, text, number) inline."""

    def decide(value: Any) -> bool:
        if value is None:
            return not present
        cls = value.__class__
        if cls is str:
            return (value != "") is present
        if cls in _SCALARS:
            return present
        return is_empty(value) is not present

    return decide


def _read(names: tuple[str, ...]) -> ItemFn:
    if len(names) == 1:
        (a,) = names
        return lambda item: item.get(a)
    a, b = names

    def pair(item: dict[str, Any]) -> Any:
        inner: Any = item.get(a)
        return inner.get(b) if inner.__class__ is dict else None

    return pair


def _pair_equal(names: tuple[str, ...], constant: Any, *, negate: bool) -> ItemFn | None:
    """``a.b == 'text'`` (``== true``, ``== null``, ``!=``) on an item, the read inline."""
    identity = constant is None or isinstance(constant, bool)
    if not identity and not isinstance(constant, str):
        return None
    a, b = names

    def pair_equal(item: dict[str, Any]) -> bool:
        inner: Any = item.get(a)
        value = inner.get(b) if inner.__class__ is dict else None
        return (value is constant if identity else value == constant) is not negate

    return pair_equal


def _coalesced_field(node: Node) -> tuple[str, Any] | None:
    """``(field, literal)`` when ``node`` is ``coalesce(field, literal)`` of a field of the item."""
    if node.kind != "call" or node.value != "coalesce" or len(node.args) != 2:
        return None
    names = plain_field(node.args[0])
    if names is None or len(names) != 1 or node.args[1].kind != "literal":
        return None
    return names[0], node.args[1].value


def _compare_literal(
    read: ItemFn, op: str, right: Node, name: str | None = None, default: Any = None
) -> ItemFn | None:
    """``field op literal`` on an item; with ``name`` (a field of the item itself) the read is inline.
    A null field is taken as ``default`` (None, unless it stands for ``coalesce(field, default)``)."""
    constant = right.value
    if right.kind != "literal":
        return None
    if op in ("==", "!="):
        negate = op == "!="
        if constant is None or isinstance(constant, bool):
            if name is not None:
                return lambda item: (item.get(name) is constant) is not negate
            return lambda item: (read(item) is constant) is not negate
        if isinstance(constant, str):
            if name is not None:
                return lambda item: (item.get(name) == constant) is not negate
            return lambda item: (read(item) == constant) is not negate
        return None
    if not isinstance(constant, Decimal) or to_decimal(float(constant)) != constant:
        return None
    sign_test, as_float = _SIGN[op], float(constant)
    below, strict = op in ("<", "<="), op in ("<", ">")

    def ordered(item: dict[str, Any]) -> bool:
        value = item.get(name) if name is not None else read(item)
        if value is None:
            value = default
        cls = value.__class__
        if cls is float or cls is int:  # the operator picked inline: a branch costs less than a call
            if below:
                return value < as_float if strict else value <= as_float
            return value > as_float if strict else value >= as_float
        sign = values.order(value, constant)
        return sign is not None and sign_test(sign)

    return ordered


def _in_texts(read: ItemFn, right: Node, *, negate: bool) -> ItemFn | None:
    if right.kind != "list" or not all(
        arg.kind == "literal" and isinstance(arg.value, str) for arg in right.args
    ):
        return None
    texts = frozenset(arg.value for arg in right.args)

    def inside(item: dict[str, Any]) -> bool:
        value = read(item)
        return (value.__class__ is str and value in texts) is not negate

    return inside
