"""Float approximations of each node kind, with their error bounds (see :mod:`sync.rules.engine.approx`).

Each closure takes a frame (or, inside a sum, the item itself) and gives ``(value, error)``, where
``error`` bounds ``|value - the Decimal result|``, or None when the inputs have no float path (null,
text, a number too large or too small): then the exact Decimal closure decides.
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


def single_field(node: Node) -> str | None:
    """The field name when ``node`` reads one plain field of the current record."""
    if node.kind != "path" or node.value.anchor != "current" or len(node.value.segments) != 1:
        return None
    name, index = node.value.segments[0]
    return name if index is None else None


def node_size(node: Node) -> int:
    return 1 + sum(node_size(arg) for arg in node.args)


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
