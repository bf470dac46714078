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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.mapping.paths import SourcePath
from sync.rules.parser import Node
from sync.rules.values import charged_items

EPS = 2.0**-50
_INPUT_LIMIT = 1e15
_INT_LIMIT = 10**15
_PRODUCT_LIMIT = 1e29
_ROUND_LIMIT = 2.0**36  # x * 10**n below this: float errors stay under TIE_MARGIN
_TIE_MARGIN = 1e-4
Approx = Callable[[Any], tuple[float, float] | None]  # frame -> (float value, error bound) or None


def approximation(node: Node, source: Callable[[Node], Any] | None = None) -> Approx | None:
    """The (value, error) closure for ``node``, or None when the shape has no float path.

    With ``source`` (the compiler's compile for frames) a ``sum`` over a list is approximated too: its
    expression is then approximated on each item itself (``source`` None: closures take the item)."""
    kind = node.kind
    item = source is None
    if kind == "path":
        return _field(node.value, item)
    if kind == "literal":
        return _literal(node.value)
    if kind == "call" and node.value == "sum" and source is not None:
        inner = approximation(node.args[1], None)
        name = _single(node.args[1])
        cost = _size(node.args[1]) + 1
        if inner is not None and name is not None:
            return _field_total(source(node.args[0]), name, cost)
        expression = node.args[1]
        if expression.kind == "arith" and expression.value == "*":
            first, second = _single(expression.args[0]), _single(expression.args[1])
            if first is not None and second is not None:
                return _field_product_total(source(node.args[0]), first, second, cost)
        return _total(source(node.args[0]), inner, _size(node.args[1]) + 1) if inner is not None else None
    if kind == "arith" and node.value == "*":
        first, second = _single(node.args[0]), _single(node.args[1])
        if first is not None and second is not None:
            return _field_product(first, second, item)
    if kind == "arith" and node.value in ("+", "-", "*"):
        left, right = approximation(node.args[0], source), approximation(node.args[1], source)
        if left is None or right is None:
            return None
        name = _single(node.args[0])
        if name is not None and node.value != "*":
            added = _field_sum(name, right, node.value == "-", item)
            factors = _rounded_fields(node.args[1])
            if factors is not None:
                return _field_rounded_sum(name, *factors, node.value == "-", item, added)
            return added
        return _product(left, right) if node.value == "*" else _sum(left, right, node.value == "-")
    if kind == "call" and node.value == "abs":
        inner = approximation(node.args[0], source)
        return _absolute(inner) if inner is not None else None
    if kind == "call" and node.value == "round" and len(node.args) == 2:
        places = node.args[1].value if node.args[1].kind == "literal" else None
        if not isinstance(places, Decimal) or places != places.to_integral_value() or not 0 <= places <= 10:
            return None
        product = node.args[0]
        if product.kind == "arith" and product.value == "*":
            first, second = _single(product.args[0]), _single(product.args[1])
            if first is not None and second is not None:
                return _rounded_product(first, second, item, int(places))
        inner = approximation(node.args[0], source)
        return _rounded(inner, int(places)) if inner is not None else None
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


def usable_literal(value: Any) -> bool:
    return (
        value.__class__ is Decimal and value.is_finite() and (value == 0 or 1e-6 <= abs(value) < _INPUT_LIMIT)
    )


def _literal(value: Any) -> Approx | None:
    if not usable_literal(value):
        return None
    constant = (float(value), abs(float(value)) * EPS)
    return lambda f: constant


def _field(path: SourcePath, item: bool) -> Approx | None:
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
                if size < _INPUT_LIMIT and (size >= 1e-6 or value == 0):
                    return value, size * EPS
                return None
            return _check(value)

        return one
    a, b = names

    def pair(f: Any) -> tuple[float, float] | None:
        inner = (f if item else f[0]).get(a)
        return _check(inner.get(b)) if inner.__class__ is dict else None

    return pair


def _check(value: Any) -> tuple[float, float] | None:
    """(value, error) for a float or int of a sensible size, None for anything else."""
    cls = value.__class__
    if cls is float:
        size = abs(value)
        if size < _INPUT_LIMIT and (size >= 1e-6 or value == 0):
            return value, size * EPS
        return None
    if cls is int and -_INT_LIMIT < value < _INT_LIMIT:  # not bool: its class is bool
        return float(value), abs(value) * EPS  # number() gives Decimal(value), exact
    return None


def _field_product(first: str, second: str, item: bool) -> Approx:
    """``a * b`` of two fields: :func:`_product` of two :func:`_field` reads, in one call."""

    def product(f: Any) -> tuple[float, float] | None:
        record = f if item else f[0]
        x, y = record.get(first), record.get(second)
        if x.__class__ is float and y.__class__ is float:  # the common case: _check inlined
            size_x, size_y = abs(x), abs(y)
            if not (size_x < _INPUT_LIMIT and (size_x >= 1e-6 or x == 0)):
                return None
            if not (size_y < _INPUT_LIMIT and (size_y >= 1e-6 or y == 0)):
                return None
            error_x, error_y = size_x * EPS, size_y * EPS
        else:
            a = _check(x)
            if a is None:
                return None
            b = _check(y)
            if b is None:
                return None
            x, error_x, y, error_y = a[0], a[1], b[0], b[1]
            size_x, size_y = abs(x), abs(y)
        value = x * y
        error = size_x * error_y + size_y * error_x + error_x * error_y
        size = abs(value)
        if size + error >= _PRODUCT_LIMIT:
            return None
        return value, error + (size + error) * EPS

    return product


def _single(node: Node) -> str | None:
    """The field name when ``node`` reads one plain field of the current record."""
    if node.kind != "path" or node.value.anchor != "current" or len(node.value.segments) != 1:
        return None
    name, index = node.value.segments[0]
    return name if index is None else None


def _size(node: Node) -> int:
    return 1 + sum(_size(arg) for arg in node.args)


def _total(source: Callable[[Any], Any], inner: Approx, cost: int) -> Approx:
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


def _field_total(source: Callable[[Any], Any], name: str, cost: int) -> Approx:
    """``sum(list, field)``: :func:`_total` of :func:`_field` with the field read inline.

    The error is bounded once, after the loop: each input is within ``|x| * u`` of its Decimal
    (``u`` = 2**-53, a float's relative rounding), each of the n float additions rounds by at most
    ``u`` times the running total, itself at most ``A`` = the sum of the ``|x|``, and the Decimal
    additions (28 digits) far less: ``(n + 2) * A * EPS`` (EPS = 8u) bounds it all. A wider bound than
    the one kept item by item only sends more cases to the exact sum; decisions are the same."""

    def total(f: Any) -> tuple[float, float] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        value = sizes = 0.0
        for item in items:
            x: Any = item.get(name) if item.__class__ is dict else None
            if x.__class__ is float:
                size = x if x >= 0 else -x  # abs() without the call
                if not (size < _INPUT_LIMIT and (size >= 1e-6 or x == 0)):
                    return None
                value += x
                sizes += size
                continue
            got = _check(x)
            if got is None:
                return None
            value += got[0]
            sizes += abs(got[0])
        return value, (len(items) + 2) * sizes * EPS

    return total


def _field_product_total(source: Callable[[Any], Any], first: str, second: str, cost: int) -> Approx:
    """``sum(list, a * b)`` of two fields of each item, in one loop (no call nor tuple per item).

    Bounds as in :func:`_field_total`: a product of two inputs each within ``u`` relative of its
    Decimal, rounded once as a float (and to 28 digits as a Decimal), is within ``4u |p|`` of the
    Decimal product; the sum then adds at most ``n u P`` (P = the sum of the ``|p|``), so
    ``(n + 4) * P * EPS`` bounds the whole. A product near the Decimal bound (1e30, past which it is
    null) leaves the decision to the exact sum."""

    def total(f: Any) -> tuple[float, float] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        value = sizes = 0.0
        for item in items:
            if item.__class__ is not dict:
                return None
            x: Any = item.get(first)
            y: Any = item.get(second)
            if x.__class__ is not float or not (
                -_INPUT_LIMIT < x < _INPUT_LIMIT and (x >= 1e-6 or x <= -1e-6 or x == 0)
            ):
                got = _check(x)
                if got is None:
                    return None
                x = got[0]
            if y.__class__ is not float or not (
                -_INPUT_LIMIT < y < _INPUT_LIMIT and (y >= 1e-6 or y <= -1e-6 or y == 0)
            ):
                got = _check(y)
                if got is None:
                    return None
                y = got[0]
            product = x * y
            size = product if product >= 0 else -product
            if size >= _PRODUCT_LIMIT:
                return None
            value += product
            sizes += size
        return value, (len(items) + 4) * sizes * EPS

    return total


def _sum(left: Approx, right: Approx, negate: bool) -> Approx:
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


def _field_sum(name: str, right: Approx, negate: bool, item: bool) -> Approx:
    """``field + expr`` / ``field - expr``: :func:`_sum` with the field read inline (as :func:`_field`)."""

    def total(f: Any) -> tuple[float, float] | None:
        x = (f if item else f[0]).get(name)
        if x.__class__ is float:
            size = abs(x)
            if not (size < _INPUT_LIMIT and (size >= 1e-6 or x == 0)):
                return None
            a_error = size * EPS
        else:
            a = _check(x)
            if a is None:
                return None
            x, a_error = a
        b = right(f)
        if b is None:
            return None
        value = x - b[0] if negate else x + b[0]
        error = a_error + b[1]
        return value, error + (abs(value) + error) * EPS

    return total


def _rounded_fields(node: Node) -> tuple[str, str, int] | None:
    """``(a, b, n)`` when ``node`` is ``round(a * b, n)`` of two plain fields and a literal 0..10."""
    if node.kind != "call" or node.value != "round" or len(node.args) != 2:
        return None
    places, product = node.args[1], node.args[0]
    if places.kind != "literal" or not isinstance(places.value, Decimal):
        return None
    count = places.value
    if not count.is_finite() or count != count.to_integral_value() or not 0 <= count <= 10:
        return None
    if product.kind != "arith" or product.value != "*":
        return None
    first, second = _single(product.args[0]), _single(product.args[1])
    if first is None or second is None:
        return None
    return first, second, int(count)


def _field_rounded_sum(
    name: str, first: str, second: str, places: int, negate: bool, item: bool, general: Approx
) -> Approx:
    """``x - round(a * b, n)`` (or ``+``) of three float fields, in one call: :func:`_field_sum` of
    :func:`_rounded_product`, with simpler bounds. Three floats of a sensible size (the common case)
    are computed here; anything else goes to ``general``, the :func:`_field_sum` this one fuses.

    The product of two inputs each within ``u`` relative of its Decimal (u = 2**-53), rounded once, is
    within ``3u |p| (1 + u)`` of the Decimal product: ``4 * EPS * |p|`` bounds it (EPS = 8u). Rounding
    then goes as in :func:`_rounded`."""
    scale = 10.0**places
    product_error = 4 * EPS

    def total(f: Any) -> tuple[float, float] | None:
        record = f if item else f[0]
        x, a, b = record.get(name), record.get(first), record.get(second)
        if not (
            x.__class__ is float
            and a.__class__ is float
            and b.__class__ is float
            and (1e-6 <= x < _INPUT_LIMIT or -_INPUT_LIMIT < x <= -1e-6 or x == 0)
            and 1e-6 <= a < _INPUT_LIMIT  # positive factors (prices, quantities): the common case
            and 1e-6 <= b < _INPUT_LIMIT
        ):
            return general(f)
        size = a * b  # positive: both factors are
        error = size * product_error
        if size >= _PRODUCT_LIMIT or (size + error) * scale >= _ROUND_LIMIT:
            return None
        low, high = (size - error) * scale + 0.5, (size + error) * scale + 0.5
        whole = low // 1.0  # floor, without a call: low is positive
        if low - whole < _TIE_MARGIN or whole + 1 - high < _TIE_MARGIN:
            return None  # a tie may lie in the band: only Decimal knows the side
        rounded = whole / scale
        rounded_error = rounded * EPS
        result = x - rounded if negate else x + rounded
        error = (x if x >= 0 else -x) * EPS + rounded_error
        return result, error + ((result if result >= 0 else -result) + error) * EPS

    return total


def _rounded_product(first: str, second: str, item: bool, places: int) -> Approx:
    """``round(a * b, n)`` of two fields: :func:`_rounded` of :func:`_field_product`, in one call."""
    scale = 10.0**places
    product = _field_product(first, second, item)

    def rounded(f: Any) -> tuple[float, float] | None:
        record = f if item else f[0]
        x, y = record.get(first), record.get(second)
        cx, cy = x.__class__, y.__class__
        if (cx is not float and cx is not int) or (cy is not float and cy is not int):
            got = product(f)  # nulls, texts, booleans...: the general product says no float path
            if got is None:
                return None
            value, error = got
        else:
            # Floats and ints (prices, quantities): _check inlined for both (bool is not int here).
            size_x, size_y = abs(x), abs(y)
            if cx is int:
                if size_x >= _INT_LIMIT:
                    return None
                x, size_x = float(x), float(size_x)
            elif not (size_x < _INPUT_LIMIT and (size_x >= 1e-6 or x == 0)):
                return None
            if cy is int:
                if size_y >= _INT_LIMIT:
                    return None
                y, size_y = float(y), float(size_y)
            elif not (size_y < _INPUT_LIMIT and (size_y >= 1e-6 or y == 0)):
                return None
            error_x, error_y = size_x * EPS, size_y * EPS
            value = x * y
            error = size_x * error_y + size_y * error_x + error_x * error_y
            size = abs(value)
            if size + error >= _PRODUCT_LIMIT:
                return None
            error += (size + error) * EPS
        # From here as in _rounded.
        size = abs(value)
        if size <= error:
            # An error bound of 0 means the float is the Decimal result: 0 exactly, which rounds to 0.
            return (0.0, 0.0) if error == 0.0 else None
        if (size + error) * scale >= _ROUND_LIMIT:
            return None
        low, high = (size - error) * scale + 0.5, (size + error) * scale + 0.5
        whole = math.floor(low)
        if low - whole < _TIE_MARGIN or whole + 1 - high < _TIE_MARGIN:
            return None
        result = whole / scale if value > 0 else -whole / scale
        return result, abs(result) * EPS

    return rounded


def _product(left: Approx, right: Approx) -> Approx:
    def product(f: Any) -> tuple[float, float] | None:
        a = left(f)
        if a is None:
            return None
        b = right(f)
        if b is None:
            return None
        value = a[0] * b[0]
        error = abs(a[0]) * b[1] + abs(b[0]) * a[1] + a[1] * b[1]
        if abs(value) + error >= _PRODUCT_LIMIT:
            return None  # near the bound past which a product is null: the Decimal path decides
        return value, error + (abs(value) + error) * EPS

    return product


def _absolute(inner: Approx) -> Approx:
    def absolute(f: Any) -> tuple[float, float] | None:
        got = inner(f)
        return (abs(got[0]), got[1]) if got is not None else None

    return absolute


def _rounded(inner: Approx, places: int) -> Approx:
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
        if (size + error) * scale >= _ROUND_LIMIT:
            return None  # too large for the margins below
        low, high = (size - error) * scale + 0.5, (size + error) * scale + 0.5
        whole = math.floor(low)
        if low - whole < _TIE_MARGIN or whole + 1 - high < _TIE_MARGIN:
            return None  # a tie (x.5 after scaling) may lie in the band: only Decimal knows the side
        # ROUND_HALF_UP rounds ties away from zero: the result is sign * whole / 10**places, exactly.
        result = whole / scale if value > 0 else -whole / scale
        return result, abs(result) * EPS

    return rounded
