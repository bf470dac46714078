"""``any``, ``all`` and ``count`` over a list with the item's test written into the loop.

The tests aggregates take most often read one field (or ``a.b``) of each item and compare it with a
literal (``SBQQ__Quantity__c > 0``, ``Product_Type__c == 'subscription'``) or ask whether it is
present. :mod:`sync.rules.engine.fused` has a closure per item for them; here the loop does the test itself,
one call per aggregate instead of one per item. Each decides what that closure decides: the common
values (null, text, float) inline, anything else through the general value semantics.
Used only when nothing is traced.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.mappings.engine.coerce import to_decimal
from sync.rules.engine import values
from sync.rules.engine.frames import Fn, Frame
from sync.rules.engine.fused import decider, plain_field
from sync.rules.engine.parser import Node
from sync.rules.engine.values import charged_items

_SIGN: dict[str, Callable[[int], bool]] = {
    "<": lambda sign: sign < 0,
    "<=": lambda sign: sign <= 0,
    ">": lambda sign: sign > 0,
    ">=": lambda sign: sign >= 0,
}


def item_loop(name: str, node: Node, source: Fn, cost: int) -> Fn | None:
    """The closure for ``name(source, node)`` (any, all, count) when ``node`` is one of the shapes
    below, else None. ``cost`` is charged per item, as every aggregate does."""
    if name not in ("any", "all", "count"):
        return None
    want = True if name == "any" else False if name == "all" else None
    if node.kind == "call" and node.value in ("present", "empty"):
        names = plain_field(node.args[0])
        return _presence_loop(names, node.value == "present", want, source, cost) if names else None
    if node.kind != "compare" or node.args[1].kind != "literal":
        return None
    left, constant, op = node.args[0], node.args[1].value, node.value
    if op in ("==", "!="):
        names = plain_field(left)
        if names is None or not (constant is None or isinstance(constant, bool | str)):
            return None
        return _equal_loop(names, constant, op == "!=", want, source, cost)
    if not isinstance(constant, Decimal) or to_decimal(float(constant)) != constant:
        return None
    default: Any = None
    names = plain_field(left)
    if names is None and left.kind == "call" and left.value == "coalesce" and len(left.args) == 2:
        names = plain_field(left.args[0])
        if left.args[1].kind != "literal":
            return None
        default = left.args[1].value  # coalesce(field, literal): a null field is the literal
    if names is None:
        return None
    return _order_loop(names, op, constant, default, want, source, cost)


def _finish(found: int, want: bool | None) -> Any:
    """What the loop gives when it ran to the end: the count, or the answer nobody contradicted."""
    return Decimal(found) if want is None else not want


def _equal_loop(
    names: tuple[str, ...], constant: Any, negate: bool, want: bool | None, source: Fn, cost: int
) -> Fn:
    a, b = names[0], names[1] if len(names) == 2 else None
    identity = constant is None or isinstance(constant, bool)

    def loop(f: Frame) -> Any:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        found = 0
        for item in items:
            value: Any = item.get(a) if item.__class__ is dict else None
            if b is not None:
                value = value.get(b) if value.__class__ is dict else None
            if (value is constant if identity else value == constant) is not negate:
                if want is True:
                    return True
                found += 1
            elif want is False:
                return False
        return _finish(found, want)

    return loop


def _presence_loop(names: tuple[str, ...], present: bool, want: bool | None, source: Fn, cost: int) -> Fn:
    a, b = names[0], names[1] if len(names) == 2 else None
    decide = decider(present)

    def loop(f: Frame) -> Any:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        found = 0
        for item in items:
            value: Any = item.get(a) if item.__class__ is dict else None
            if b is not None:
                value = value.get(b) if value.__class__ is dict else None
            if value.__class__ is str:
                hit = (value != "") is present
            elif value is None:
                hit = not present
            else:
                hit = decide(value)
            if hit:
                if want is True:
                    return True
                found += 1
            elif want is False:
                return False
        return _finish(found, want)

    return loop


def _order_loop(
    names: tuple[str, ...],
    op: str,
    constant: Decimal,
    default: Any,
    want: bool | None,
    source: Fn,
    cost: int,
) -> Fn:
    a, b = names[0], names[1] if len(names) == 2 else None
    below, strict = op in ("<", "<="), op in ("<", ">")
    as_float, sign_test = float(constant), _SIGN[op]

    def loop(f: Frame) -> Any:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        found = 0
        for item in items:
            value: Any = item.get(a) if item.__class__ is dict else None
            if b is not None:
                value = value.get(b) if value.__class__ is dict else None
            if value is None:
                value = default
            cls = value.__class__
            if cls is float or cls is int:  # the operator picked inline, as in field_tests
                if below:
                    hit = value < as_float if strict else value <= as_float
                else:
                    hit = value > as_float if strict else value >= as_float
            else:
                sign = values.order(value, constant)
                hit = sign is not None and sign_test(sign)
            if hit:
                if want is True:
                    return True
                found += 1
            elif want is False:
                return False
        return _finish(found, want)

    return loop
