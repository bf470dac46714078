"""Aggregates over a list: ``sum``, ``count``, ``any``, ``all``, ``min``, ``max``.

The only repetition in the language: each charges ``items x size of its expression`` to the run's
step budget before it reads a single item (:func:`sync.rules.engine.values.charged_items`), so a rule's
work stays bounded however long its lists are. The expression sees each item as a frame of its own
(``^.`` is the record holding the list); the common shapes read the item directly, without a frame.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from sync.mappings.engine.paths import as_items
from sync.rules.engine import values
from sync.rules.engine.frames import EMPTY_RECORD, Fn, Frame
from sync.rules.engine.fused import item_closure
from sync.rules.engine.item_loops import item_loop
from sync.rules.engine.parser import Node
from sync.rules.engine.values import charged_items


class Compiler(Protocol):
    """What an aggregate needs of the compiler: its settings and how it compiles a sub-expression."""

    source: str
    trace: bool

    def compile(self, node: Node) -> Fn: ...

    def field(self, node: Node) -> str | None: ...

    def against_outer(self, node: Node) -> tuple[str, Fn, bool] | None: ...


def size(node: Node) -> int:
    return 1 + sum(size(arg) for arg in node.args)


def compile_aggregate(compiler: Compiler, node: Node) -> Fn:
    """The closure for ``sum|count|any|all|min|max(LIST[, EXPR])``."""
    name = node.value
    source = compiler.compile(node.args[0])
    label_text = compiler.source[node.args[0].start : node.args[0].end]
    if len(node.args) == 1:  # count(LIST)

        def count_all(f: Frame) -> Any:
            items = as_items(source(f))
            return Decimal(len(items)) if items is not None else None

        return count_all
    inner = compiler.compile(node.args[1])
    cost = size(node.args[1]) + 1
    trace = compiler.trace
    field = compiler.field(node.args[1])
    if field is not None and name in ("min", "max"):
        return _field_extreme(source, field, cost, 1 if name == "max" else -1)
    looped = None if trace else item_loop(name, node.args[1], source, cost)
    if looped is not None:
        return looped
    itemwise = None if trace else item_closure(node.args[1])
    if itemwise is not None:
        return _itemwise(name, source, itemwise, cost)
    outer = None if trace or name not in ("any", "all", "count") else compiler.against_outer(node.args[1])
    if outer is not None:
        return _against_outer(name, source, *outer, cost)

    def frames(f: Frame) -> list[Frame] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        root, run = f[2], f[3]
        if trace:
            return [
                (item if item.__class__ is dict else EMPTY_RECORD, f, root, run, f"{label_text}[{index}]")
                for index, item in enumerate(items)
            ]
        return [(item if item.__class__ is dict else EMPTY_RECORD, f, root, run, None) for item in items]

    # Plain loops, not any()/all() over generators: a generator costs a frame switch per item.
    if name == "any":

        def any_(f: Frame) -> Any:
            framed = frames(f)
            if framed is None:
                return None
            for frame in framed:
                if inner(frame) is True:
                    return True
            return False

        return any_
    if name == "all":

        def all_(f: Frame) -> Any:
            framed = frames(f)
            if framed is None:
                return None
            for frame in framed:
                if inner(frame) is not True:
                    return False
            return True

        return all_
    if name == "count":

        def count(f: Frame) -> Any:
            framed = frames(f)
            if framed is None:
                return None
            found = 0
            for frame in framed:
                if inner(frame) is True:
                    found += 1
            return Decimal(found)

        return count
    if field is not None:
        # sum of one field of each item: read it straight from the items, no frames.
        def field_values(f: Frame) -> list[Any] | None:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            return [item.get(field) if item.__class__ is dict else None for item in items]

        return _summary(name, field_values)

    def inner_values(f: Frame) -> list[Any] | None:
        framed = frames(f)
        return None if framed is None else [inner(frame) for frame in framed]

    return _summary(name, inner_values)


def _itemwise(name: str, source: Fn, test: Callable[[dict[str, Any]], Any], cost: int) -> Fn:
    """An aggregate whose expression reads only its item: no frame per item (see :mod:`fused`)."""

    if name == "any":

        def any_(f: Frame) -> Any:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            for item in items:
                if test(item if item.__class__ is dict else EMPTY_RECORD) is True:
                    return True
            return False

        return any_
    if name == "all":

        def all_(f: Frame) -> Any:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            for item in items:
                if test(item if item.__class__ is dict else EMPTY_RECORD) is not True:
                    return False
            return True

        return all_
    if name == "count":

        def count(f: Frame) -> Any:
            items = charged_items(source(f), f, cost)
            if items is None:
                return None
            found = 0
            for item in items:
                if test(item if item.__class__ is dict else EMPTY_RECORD) is True:
                    found += 1
            return Decimal(found)

        return count

    def read(f: Frame) -> list[Any] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        return [test(item if item.__class__ is dict else EMPTY_RECORD) for item in items]

    return _summary(name, read)


def _against_outer(name: str, source: Fn, field: str, outer: Fn, negate: bool, cost: int) -> Fn:
    """any/all/count of ``field == <outer path>`` with the outer value read once per call."""
    want = True if name == "any" else False if name == "all" else None

    def against_outer(f: Frame) -> Any:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        constant = outer((EMPTY_RECORD, f, f[2], f[3], None))  # an item's ^. is f's record; $. the root
        text = constant.__class__ is str
        found = 0
        for item in items:
            value = item.get(field) if item.__class__ is dict else None
            same = value == constant if text and value.__class__ is str else values.equal(value, constant)
            if same is not negate:
                if want is True:
                    return True
                found += 1
            elif want is False:
                return False
        return Decimal(found) if want is None else not want

    return against_outer


def _summary(name: str, read: Callable[[Frame], list[Any] | None]) -> Fn:
    """sum, min or max of the values ``read`` gives (nulls skipped)."""
    if name == "sum":

        def total(f: Frame) -> Any:
            found = read(f)
            if found is None:
                return None
            result = Decimal(0)
            for value in found:
                if value is None:
                    continue
                amount = values.number(value)
                if amount is None:
                    return None
                try:
                    result += amount
                except ArithmeticError:
                    return None
            return result

        return total
    best = 1 if name == "max" else -1

    def extreme(f: Frame) -> Any:
        found = read(f)
        if found is None:
            return None
        chosen: Any = None
        for value in found:
            if value is None:
                continue
            if chosen is None:
                chosen = value
                continue
            sign = values.order(value, chosen)
            if sign is None:
                return None  # items that do not order with each other have no extreme
            if sign == best:
                chosen = value
        return chosen

    return extreme


def _field_extreme(source: Fn, field: str, cost: int, best: int) -> Fn:
    """min/max of one field of each item (``best`` 1 for max, -1 for min), read straight from the
    items; two floats compare natively, which gives what :func:`values.order` gives them."""

    def extreme(f: Frame) -> Any:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        chosen: Any = None
        for item in items:
            value = item.get(field) if item.__class__ is dict else None
            if value is None:
                continue
            if chosen is None:
                chosen = value
            elif value.__class__ is float and chosen.__class__ is float:
                if (value > chosen) if best == 1 else (value < chosen):
                    chosen = value
            else:
                sign = values.order(value, chosen)
                if sign is None:
                    return None  # items that do not order with each other have no extreme
                if sign == best:
                    chosen = value
        return chosen

    return extreme
