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

One float closure per node kind (a field, a literal, ``+ - *``, ``abs``, ``round``, ``sum``), each
giving ``(value, error)`` for a frame (or, inside a sum, the item itself), or None when the inputs have
no float path (null, text, a number too large or too small): then the exact Decimal closure decides.

What it buys: ~0.4 s of bench/rules.py (1.65 s with it, 2.07 s without, same minutes; issue 19 in
bench/RESULTS.md): the per-line rule ``abs(SBQQ__NetTotal__c - round(SBQQ__NetPrice__c *
SBQQ__Quantity__c, 2)) < 0.01`` and the sums over the lines. Proven equal to the Decimal path by
tests/sync/rules/engine/test_float_path.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.mappings.engine.paths import SourcePath
from sync.rules.engine.parser import Node
from sync.rules.engine.values import charged_items

EPS = 2.0**-50
INPUT_LIMIT = 1e15
INT_LIMIT = 10**15
PRODUCT_LIMIT = 1e29
ROUND_LIMIT = 2.0**36  # x * 10**n below this: float errors stay under TIE_MARGIN
TIE_MARGIN = 1e-4
Approx = Callable[[Any], tuple[float, float] | None]  # frame -> (float value, error bound) or None


def usable_literal(value: Any) -> bool:
    return (
        value.__class__ is Decimal and value.is_finite() and (value == 0 or 1e-6 <= abs(value) < INPUT_LIMIT)
    )


def literal_approx(value: Any) -> Approx | None:
    if not usable_literal(value):
        return None
    constant = (float(value), abs(float(value)) * EPS)
    return lambda f: constant


def field_approx(path: SourcePath, item: bool) -> Approx | None:
    if path.anchor != "current" or not 1 <= len(path.segments) <= 2:
        return None
    if any(index is not None for _, index in path.segments):
        return None
    names = [name for name, _ in path.segments]
    if len(names) == 1:
        (a,) = names

        def one(f: Any) -> tuple[float, float] | None:
            value = (f if item else f[0]).get(a)
            if value.__class__ is float:  # the common case, checked without a call
                size = abs(value)
                if size < INPUT_LIMIT and (size >= 1e-6 or value == 0):
                    return value, size * EPS
                return None
            return checked(value)

        return one
    a, b = names

    def pair(f: Any) -> tuple[float, float] | None:
        inner = (f if item else f[0]).get(a)
        return checked(inner.get(b)) if inner.__class__ is dict else None

    return pair


def checked(value: Any) -> tuple[float, float] | None:
    """(value, error) for a float or int of a sensible size, None for anything else."""
    cls = value.__class__
    if cls is float:
        size = abs(value)
        if size < INPUT_LIMIT and (size >= 1e-6 or value == 0):
            return value, size * EPS
        return None
    if cls is int and -INT_LIMIT < value < INT_LIMIT:  # not bool: its class is bool
        return float(value), abs(value) * EPS  # number() gives Decimal(value), exact
    return None


def total_approx(source: Callable[[Any], Any], inner: Approx, cost: int) -> Approx:
    """``sum(list, expr)``: charged to the step budget as the exact sum is; any item without a float
    path (null, text, not a record) leaves the decision to the exact sum."""

    def total(f: Any) -> tuple[float, float] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        value = error = 0.0
        for item in items:
            got = inner(item) if item.__class__ is dict else None
            if got is None:
                return None
            value += got[0]
            error += got[1] + (abs(value) + error) * EPS
        return value, error

    return total


def sum_approx(left: Approx, right: Approx, negate: bool) -> Approx:
    def total(f: Any) -> tuple[float, float] | None:
        a = left(f)
        if a is None:
            return None
        b = right(f)
        if b is None:
            return None
        value = a[0] - b[0] if negate else a[0] + b[0]
        error = a[1] + b[1]
        return value, error + (abs(value) + error) * EPS

    return total


def product_approx(left: Approx, right: Approx) -> Approx:
    def product(f: Any) -> tuple[float, float] | None:
        a = left(f)
        if a is None:
            return None
        b = right(f)
        if b is None:
            return None
        value = a[0] * b[0]
        error = abs(a[0]) * b[1] + abs(b[0]) * a[1] + a[1] * b[1]
        if abs(value) + error >= PRODUCT_LIMIT:
            return None  # near the bound past which a product is null: the Decimal path decides
        return value, error + (abs(value) + error) * EPS

    return product


def absolute_approx(inner: Approx) -> Approx:
    def absolute(f: Any) -> tuple[float, float] | None:
        got = inner(f)
        return (abs(got[0]), got[1]) if got is not None else None

    return absolute


def rounded_approx(inner: Approx, places: int) -> Approx:
    scale = 10.0**places  # exact in a float for 0..10 places

    def rounded(f: Any) -> tuple[float, float] | None:
        got = inner(f)
        if got is None:
            return None
        value, error = got
        size = abs(value)
        if size <= error:
            # The sign is unsure, unless the bound is 0: then the float is the Decimal result, 0 exactly.
            return (0.0, 0.0) if error == 0.0 else None
        if (size + error) * scale >= ROUND_LIMIT:
            return None  # too large for the margins below
        low, high = (size - error) * scale + 0.5, (size + error) * scale + 0.5
        whole = math.floor(low)
        if low - whole < TIE_MARGIN or whole + 1 - high < TIE_MARGIN:
            return None  # a tie (x.5 after scaling) may lie in the band: only Decimal knows the side
        # ROUND_HALF_UP rounds ties away from zero: the result is sign * whole / 10**places, exactly.
        result = whole / scale if value > 0 else -whole / scale
        return result, abs(result) * EPS

    return rounded


Compile = Callable[[Node], Any]  # the compiler's compile (frames), for the list a sum reads


def approximation(node: Node, source: Compile | None = None) -> Approx | None:
    """The (value, error) closure for ``node``, or None when the shape has no float path.

    With ``source`` (the compiler's compile for frames) a ``sum`` over a list is approximated too: its
    expression is then approximated on each item itself (``source`` None: closures take the item)."""
    build = _NODES.get(node.kind)
    return build(node, source) if build is not None else None


def _path(node: Node, source: Compile | None) -> Approx | None:
    return field_approx(node.value, item=source is None)


def _literal(node: Node, source: Compile | None) -> Approx | None:
    return literal_approx(node.value)


def _arith(node: Node, source: Compile | None) -> Approx | None:
    if node.value not in ("+", "-", "*"):
        return None
    left, right = approximation(node.args[0], source), approximation(node.args[1], source)
    if left is None or right is None:
        return None
    return product_approx(left, right) if node.value == "*" else sum_approx(left, right, node.value == "-")


def _call(node: Node, source: Compile | None) -> Approx | None:
    if node.value == "abs":
        inner = approximation(node.args[0], source)
        return absolute_approx(inner) if inner is not None else None
    if node.value == "round" and len(node.args) == 2:
        places = node.args[1].value if node.args[1].kind == "literal" else None
        if not isinstance(places, Decimal) or places != places.to_integral_value() or not 0 <= places <= 10:
            return None
        inner = approximation(node.args[0], source)
        return rounded_approx(inner, int(places)) if inner is not None else None
    if node.value == "sum" and source is not None:
        inner = approximation(node.args[1], None)
        return (
            total_approx(source(node.args[0]), inner, _size(node.args[1]) + 1) if inner is not None else None
        )
    return None


_NODES: dict[str, Callable[[Node, Compile | None], Approx | None]] = {
    "path": _path,
    "literal": _literal,
    "arith": _arith,
    "call": _call,
}


def _size(node: Node) -> int:
    return 1 + sum(_size(arg) for arg in node.args)


def worth_it(node: Node) -> bool:
    """True when ``node`` computes (a field or literal alone compares faster as it is)."""
    return node.kind in ("arith", "call")


def float_first(
    approx: Approx, op: str, limit: Decimal, exact: Callable[[Any], bool], *, absolute: bool = False
) -> Callable[[Any], bool]:
    """``approx op limit`` decided by floats when the band allows, else by ``exact``.

    ``absolute``: the left side is ``abs(approx)`` (taken here, one call and one tuple fewer than
    :func:`absolute_approx`; the error bound of ``abs(x)`` is that of ``x``)."""
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
