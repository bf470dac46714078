"""A float fast path for ``arithmetic <, <=, >, >= literal``, exact in its decisions.

Rules compute in Decimal (``abs(SBQQ__NetTotal__c - round(SBQQ__NetPrice__c * SBQQ__Quantity__c, 2))
< 0.01``), and per quote line that Decimal arithmetic is most of a rule set's cost. Here the same
expression is computed in floats together with a bound on how far the float can be from the Decimal
result; when the literal lies outside that band the float decides, and the decision is the Decimal
one. Otherwise (near the literal, near a rounding tie, any input that is not a plain float of a
sensible size) the exact Decimal closure decides. So decisions never differ; only time does.

Bounds (``e`` below always bounds ``|float - Decimal result|``):

- a float field ``x`` (0 or 1e-6 <= |x| < 1e15) is read by :func:`values.number` as the Decimal of its
  shortest text, within half a unit in the last place of ``x``: ``e = |x| * EPS``; an int field
  (|x| < 1e15) is exact in Decimal and within ``|x| * EPS`` as a float;
- ``+``, ``-``, ``*`` add the propagated errors and one rounding of the float (and of the 28-digit
  Decimal) result, each far below ``EPS`` relative; products must stay far below the 1e30 bound;
- ``round(x, n)`` is decided only when the whole band around ``x * 10**n`` lies strictly between two
  rounding ties: then the Decimal result is exactly ``k / 10**n`` for the one ``k`` in the band.

``EPS`` is 2**-50, eight times a float's relative rounding error, to absorb the roundings made while
computing the bounds themselves.

Here: which approximation a node gets, and the decision. The closures are in
:mod:`sync.rules.engine.approx_nodes` (one per node kind) and :mod:`sync.rules.engine.approx_fused` (common
shapes
fused into one call).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.rules.engine.approx_fused import (
    field_product,
    field_product_total,
    field_rounded_sum,
    field_sum,
    field_total,
    rounded_fields,
    rounded_product,
)
from sync.rules.engine.approx_nodes import (
    EPS,
    Approx,
    absolute_approx,
    field_approx,
    literal_approx,
    node_size,
    product_approx,
    rounded_approx,
    single_field,
    sum_approx,
    total_approx,
)
from sync.rules.engine.parser import Node


def approximation(node: Node, source: Callable[[Node], Any] | None = None) -> Approx | None:
    """The (value, error) closure for ``node``, or None when the shape has no float path.

    With ``source`` (the compiler's compile for frames) a ``sum`` over a list is approximated too: its
    expression is then approximated on each item itself (``source`` None: closures take the item)."""
    kind = node.kind
    item = source is None
    if kind == "path":
        return field_approx(node.value, item)
    if kind == "literal":
        return literal_approx(node.value)
    if kind == "call" and node.value == "sum" and source is not None:
        inner = approximation(node.args[1], None)
        name = single_field(node.args[1])
        cost = node_size(node.args[1]) + 1
        if inner is not None and name is not None:
            return field_total(source(node.args[0]), name, cost)
        expression = node.args[1]
        if expression.kind == "arith" and expression.value == "*":
            first, second = single_field(expression.args[0]), single_field(expression.args[1])
            if first is not None and second is not None:
                return field_product_total(source(node.args[0]), first, second, cost)
        return (
            total_approx(source(node.args[0]), inner, node_size(node.args[1]) + 1)
            if inner is not None
            else None
        )
    if kind == "arith" and node.value == "*":
        first, second = single_field(node.args[0]), single_field(node.args[1])
        if first is not None and second is not None:
            return field_product(first, second, item)
    if kind == "arith" and node.value in ("+", "-", "*"):
        left, right = approximation(node.args[0], source), approximation(node.args[1], source)
        if left is None or right is None:
            return None
        name = single_field(node.args[0])
        if name is not None and node.value != "*":
            added = field_sum(name, right, node.value == "-", item)
            factors = rounded_fields(node.args[1])
            if factors is not None:
                return field_rounded_sum(name, *factors, node.value == "-", item, added)
            return added
        return (
            product_approx(left, right) if node.value == "*" else sum_approx(left, right, node.value == "-")
        )
    if kind == "call" and node.value == "abs":
        inner = approximation(node.args[0], source)
        return absolute_approx(inner) if inner is not None else None
    if kind == "call" and node.value == "round" and len(node.args) == 2:
        places = node.args[1].value if node.args[1].kind == "literal" else None
        if not isinstance(places, Decimal) or places != places.to_integral_value() or not 0 <= places <= 10:
            return None
        product = node.args[0]
        if product.kind == "arith" and product.value == "*":
            first, second = single_field(product.args[0]), single_field(product.args[1])
            if first is not None and second is not None:
                return rounded_product(first, second, item, int(places))
        inner = approximation(node.args[0], source)
        return rounded_approx(inner, int(places)) if inner is not None else None
    return None


def worth_it(node: Node) -> bool:
    """True when ``node`` computes (a field or literal alone compares faster as it is)."""
    return node.kind in ("arith", "call")


def float_first(
    approx: Approx, op: str, limit: Decimal, exact: Callable[[Any], bool], *, absolute: bool = False
) -> Callable[[Any], bool]:
    """``approx op limit`` decided by floats when the band allows, else by ``exact``.

    ``absolute``: the left side is ``abs(approx)`` (taken here, one call and one tuple fewer than
    :func:`_absolute`; the error bound of ``abs(x)`` is that of ``x``)."""
    bound = float(limit)
    bound_slack = abs(bound) * EPS * 2  # the limit's own error, and its share of the rounding term
    below_true = op in ("<", "<=")  # what the rule decides when the value is below the limit

    def decide(f: Any) -> bool:
        run = f[3]
        steps = run.steps
        got = approx(f)
        if got is not None:
            value, error = got
            if value < 0:
                size = -value
                if absolute:
                    value = size
            else:
                size = value
            slack = error + bound_slack + size * EPS
            if value - bound > slack:
                return not below_true
            if bound - value > slack:
                return below_true
        run.steps = steps  # what a sum charged is charged again, identically, by the exact path
        return exact(f)

    return decide
