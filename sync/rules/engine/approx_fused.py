"""Float approximations fused for the shapes rules take most often: one call (and one loop for a
sum) where the per-node closures of :mod:`sync.rules.engine.approx` would make several.

Each computes what the per-node closures compute, with bounds that are never smaller than the error
(the arguments are in each docstring): a wider bound only sends more cases to the exact Decimal path,
so decisions are the same. Inputs that are not plain floats of a sensible size go to the general
closures (or give None: no float path).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sync.rules.engine.approx_nodes import (
    EPS,
    INPUT_LIMIT,
    INT_LIMIT,
    PRODUCT_LIMIT,
    ROUND_LIMIT,
    TIE_MARGIN,
    Approx,
    checked,
    single_field,
)
from sync.rules.engine.parser import Node
from sync.rules.engine.values import charged_items


def field_product(first: str, second: str, item: bool) -> Approx:
    """``a * b`` of two fields: :func:`_product` of two :func:`_field` reads, in one call."""

    def product(f: Any) -> tuple[float, float] | None:
        record = f if item else f[0]
        x, y = record.get(first), record.get(second)
        if x.__class__ is float and y.__class__ is float:  # the common case: checked inlined
            size_x, size_y = abs(x), abs(y)
            if not (size_x < INPUT_LIMIT and (size_x >= 1e-6 or x == 0)):
                return None
            if not (size_y < INPUT_LIMIT and (size_y >= 1e-6 or y == 0)):
                return None
            error_x, error_y = size_x * EPS, size_y * EPS
        else:
            a = checked(x)
            if a is None:
                return None
            b = checked(y)
            if b is None:
                return None
            x, error_x, y, error_y = a[0], a[1], b[0], b[1]
            size_x, size_y = abs(x), abs(y)
        value = x * y
        error = size_x * error_y + size_y * error_x + error_x * error_y
        size = abs(value)
        if size + error >= PRODUCT_LIMIT:
            return None
        return value, error + (size + error) * EPS

    return product


def field_total(source: Callable[[Any], Any], name: str, cost: int) -> Approx:
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
                if not (size < INPUT_LIMIT and (size >= 1e-6 or x == 0)):
                    return None
                value += x
                sizes += size
                continue
            got = checked(x)
            if got is None:
                return None
            value += got[0]
            sizes += abs(got[0])
        return value, (len(items) + 2) * sizes * EPS

    return total


def field_product_total(source: Callable[[Any], Any], first: str, second: str, cost: int) -> Approx:
    """``sum(list, a * b)`` of two fields of each item, in one loop (no call nor tuple per item).

    Bounds as in :func:`field_total`: a product of two inputs each within ``u`` relative of its
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
                -INPUT_LIMIT < x < INPUT_LIMIT and (x >= 1e-6 or x <= -1e-6 or x == 0)
            ):
                got = checked(x)
                if got is None:
                    return None
                x = got[0]
            if y.__class__ is not float or not (
                -INPUT_LIMIT < y < INPUT_LIMIT and (y >= 1e-6 or y <= -1e-6 or y == 0)
            ):
                got = checked(y)
                if got is None:
                    return None
                y = got[0]
            product = x * y
            size = product if product >= 0 else -product
            if size >= PRODUCT_LIMIT:
                return None
            value += product
            sizes += size
        return value, (len(items) + 4) * sizes * EPS

    return total


def field_sum(name: str, right: Approx, negate: bool, item: bool) -> Approx:
    """``field + expr`` / ``field - expr``: :func:`_sum` with the field read inline (as :func:`_field`)."""

    def total(f: Any) -> tuple[float, float] | None:
        x = (f if item else f[0]).get(name)
        if x.__class__ is float:
            size = abs(x)
            if not (size < INPUT_LIMIT and (size >= 1e-6 or x == 0)):
                return None
            a_error = size * EPS
        else:
            a = checked(x)
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


def rounded_fields(node: Node) -> tuple[str, str, int] | None:
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
    first, second = single_field(product.args[0]), single_field(product.args[1])
    if first is None or second is None:
        return None
    return first, second, int(count)


def field_rounded_sum(
    name: str, first: str, second: str, places: int, negate: bool, item: bool, general: Approx
) -> Approx:
    """``x - round(a * b, n)`` (or ``+``) of three float fields, in one call: :func:`field_sum` of
    :func:`rounded_product`, with simpler bounds. Three floats of a sensible size (the common case)
    are computed here; anything else goes to ``general``, the :func:`field_sum` this one fuses.

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
            and (1e-6 <= x < INPUT_LIMIT or -INPUT_LIMIT < x <= -1e-6 or x == 0)
            and 1e-6 <= a < INPUT_LIMIT  # positive factors (prices, quantities): the common case
            and 1e-6 <= b < INPUT_LIMIT
        ):
            return general(f)
        size = a * b  # positive: both factors are
        error = size * product_error
        if size >= PRODUCT_LIMIT or (size + error) * scale >= ROUND_LIMIT:
            return None
        low, high = (size - error) * scale + 0.5, (size + error) * scale + 0.5
        whole = low // 1.0  # floor, without a call: low is positive
        if low - whole < TIE_MARGIN or whole + 1 - high < TIE_MARGIN:
            return None  # a tie may lie in the band: only Decimal knows the side
        rounded = whole / scale
        rounded_error = rounded * EPS
        result = x - rounded if negate else x + rounded
        error = (x if x >= 0 else -x) * EPS + rounded_error
        return result, error + ((result if result >= 0 else -result) + error) * EPS

    return total


def rounded_product(first: str, second: str, item: bool, places: int) -> Approx:
    """``round(a * b, n)`` of two fields: :func:`_rounded` of :func:`field_product`, in one call."""
    scale = 10.0**places
    product = field_product(first, second, item)

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
            # Floats and ints (prices, quantities): checked inlined for both (bool is not int here).
            size_x, size_y = abs(x), abs(y)
            if cx is int:
                if size_x >= INT_LIMIT:
                    return None
                x, size_x = float(x), float(size_x)
            elif not (size_x < INPUT_LIMIT and (size_x >= 1e-6 or x == 0)):
                return None
            if cy is int:
                if size_y >= INT_LIMIT:
                    return None
                y, size_y = float(y), float(size_y)
            elif not (size_y < INPUT_LIMIT and (size_y >= 1e-6 or y == 0)):
                return None
            error_x, error_y = size_x * EPS, size_y * EPS
            value = x * y
            error = size_x * error_y + size_y * error_x + error_x * error_y
            size = abs(value)
            if size + error >= PRODUCT_LIMIT:
                return None
            error += (size + error) * EPS
        # From here as in _rounded.
        size = abs(value)
        if size <= error:
            # An error bound of 0 means the float is the Decimal result: 0 exactly, which rounds to 0.
            return (0.0, 0.0) if error == 0.0 else None
        if (size + error) * scale >= ROUND_LIMIT:
            return None
        low, high = (size - error) * scale + 0.5, (size + error) * scale + 0.5
        whole = math.floor(low)
        if low - whole < TIE_MARGIN or whole + 1 - high < TIE_MARGIN:
            return None
        result = whole / scale if value > 0 else -whole / scale
        return result, abs(result) * EPS

    return rounded
