"""Closures of an aggregate's item, for the shapes an aggregate's expression most often takes.

An aggregate whose expression reads only fields of its item (``all(lines, SBQQ__Quantity__c > 0)``,
``count(lines, empty(SBQQ__RequiredBy__c))``, ``max(lines, SBQQ__AdditionalDiscount__c)``) calls one
of these per item, on the record itself, without building a frame for it. Each decides what the
general closures of :mod:`sync.rules.engine.compiler` decide: the common values (null, text, float)
inline, anything else through the general value semantics of :mod:`sync.rules.engine.values`. Used
only when nothing is traced (tracing records every read, so it keeps the general closures); proven
equal to them by tests/sync/rules/engine/test_item_closures.py and test_properties.py.

What it buys: ~0.1 s of bench/rules.py (1.40 s with it, 1.50 s without; issue 19 in bench/RESULTS.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.mappings.engine.coerce import is_empty, to_decimal
from sync.mappings.engine.paths import SourcePath
from sync.rules.engine import values
from sync.rules.engine.parser import Node

ItemFn = Callable[[dict[str, Any]], Any]

_SIGN: dict[str, Callable[[int], bool]] = {
    "<": lambda sign: sign < 0,
    "<=": lambda sign: sign <= 0,
    ">": lambda sign: sign > 0,
    ">=": lambda sign: sign >= 0,
}


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
    build = _SHAPES.get(node.kind)
    return build(node) if build is not None else None


def _path(node: Node) -> ItemFn | None:
    names = plain_field(node)
    return _read(names) if names is not None else None


def _compare(node: Node) -> ItemFn | None:
    """``field op literal``, ``a.b op literal`` and ``coalesce(field, literal) op number``."""
    left, right = node.args
    if right.kind != "literal":
        return None
    default = _coalesced_field(left)
    if default is not None:
        if node.value in ("==", "!="):
            return None
        # coalesce(field, literal) < number: the field read inline, or the literal when null.
        return _compare_literal(_read(default[:1]), node.value, right.value, default[0], default[1])
    names = plain_field(left)
    if names is None:
        return None
    return _compare_literal(_read(names), node.value, right.value, names[0] if len(names) == 1 else None)


def _membership(node: Node) -> ItemFn | None:
    """``field in ['a', 'b']`` (or ``not in``) of texts: only a text equals a text."""
    left, right = node.args
    names = plain_field(left)
    if names is None or right.kind != "list":
        return None
    if not all(arg.kind == "literal" and isinstance(arg.value, str) for arg in right.args):
        return None
    read, texts, negate = _read(names), frozenset(arg.value for arg in right.args), node.kind == "not_in"

    def inside(item: dict[str, Any]) -> bool:
        value = read(item)
        return (value.__class__ is str and value in texts) is not negate

    return inside


def _call(node: Node) -> ItemFn | None:
    """``present(field)`` / ``empty(field)``, the read, text and null inline."""
    if node.value not in ("present", "empty"):
        return None
    names = plain_field(node.args[0])
    if names is None:
        return None
    read, decide, present = _read(names), decider(node.value == "present"), node.value == "present"
    if len(names) != 1:
        return lambda item: decide(read(item))
    (name,) = names

    def field_presence(item: dict[str, Any]) -> bool:
        value = item.get(name)
        if value.__class__ is str:
            return (value != "") is present
        if value is None:
            return not present
        return decide(value)

    return field_presence


_SHAPES: dict[str, Callable[[Node], ItemFn | None]] = {
    "path": _path,
    "compare": _compare,
    "in": _membership,
    "not_in": _membership,
    "call": _call,
}
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


def _coalesced_field(node: Node) -> tuple[str, Any] | None:
    """``(field, literal)`` when ``node`` is ``coalesce(field, literal)`` of a field of the item."""
    if node.kind != "call" or node.value != "coalesce" or len(node.args) != 2:
        return None
    names = plain_field(node.args[0])
    if names is None or len(names) != 1 or node.args[1].kind != "literal":
        return None
    return names[0], node.args[1].value


def _compare_literal(
    read: ItemFn, op: str, constant: Any, name: str | None = None, default: Any = None
) -> ItemFn | None:
    """``field op literal`` on an item; with ``name`` (a field of the item itself) the read is inline.
    A null field is taken as ``default`` (None, unless it stands for ``coalesce(field, default)``)."""
    if op in ("==", "!="):
        return _equal_literal(read, constant, name, negate=op == "!=")
    if not isinstance(constant, Decimal) or to_decimal(float(constant)) != constant:
        return None
    return _order_literal(read, op, constant, name, default)


def _equal_literal(read: ItemFn, constant: Any, name: str | None, *, negate: bool) -> ItemFn | None:
    """``== true``/``== null`` as an identity test, ``== 'text'`` as a text test (only a text equals one)."""
    if constant is None or isinstance(constant, bool):
        if name is not None:
            return lambda item: (item.get(name) is constant) is not negate
        return lambda item: (read(item) is constant) is not negate
    if isinstance(constant, str):
        if name is not None:
            return lambda item: (item.get(name) == constant) is not negate
        return lambda item: (read(item) == constant) is not negate
    return None


def _order_literal(read: ItemFn, op: str, constant: Decimal, name: str | None, default: Any) -> ItemFn:
    """``field < 20`` where 20 is exactly a float: a float or int field compares natively."""
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
