"""Aggregates over a list: ``sum``, ``count``, ``any``, ``all``, ``min``, ``max``.

The only repetition in the language: each charges ``items x size of its expression`` to the run's
step budget before it reads a single item (:func:`sync.rules.engine.values.charged_items`), so a rule's
work stays bounded however long its lists are.

Each aggregate's meaning is written once (:data:`_REDUCERS`), over *elements* and a closure applied to
each. The general elements are frames (the expression sees each item as a frame of its own, ``^.`` being
the record holding the list). When nothing is traced and the expression only reads its item
(:func:`sync.rules.engine.item_closures.item_closure`), the elements are the item records themselves:
no frame per item. What that buys: about 0.2 s of the 1.0 s rules benchmark (bench/RESULTS.md, issue 19).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from sync.mappings.engine.paths import as_items
from sync.rules.engine import values
from sync.rules.engine.frames import EMPTY_RECORD, Fn, Frame
from sync.rules.engine.item_closures import item_closure
from sync.rules.engine.parser import Node
from sync.rules.engine.values import charged_items

Elements = Callable[[Frame], list[Any] | None]  # what an aggregate iterates, None when the list is not one
Each = Callable[[Any], Any]  # the expression, applied to one element


class Compiler(Protocol):
    """What an aggregate needs of the compiler: its settings and how it compiles a sub-expression."""

    source: str
    trace: bool

    def compile(self, node: Node) -> Fn: ...


def size(node: Node) -> int:
    return 1 + sum(size(arg) for arg in node.args)


def compile_aggregate(compiler: Compiler, node: Node) -> Fn:
    """The closure for ``sum|count|any|all|min|max(LIST[, EXPR])``."""
    source = compiler.compile(node.args[0])
    if len(node.args) == 1:
        return _count_all(source)
    expression = node.args[1]
    cost = size(expression) + 1
    reduce = _REDUCERS[node.value]
    itemwise = None if compiler.trace else item_closure(expression)
    if itemwise is not None:
        return reduce(_records(source, cost), itemwise)
    label = compiler.source[node.args[0].start : node.args[0].end] if compiler.trace else None
    return reduce(_frames(source, cost, label), compiler.compile(expression))


def _count_all(source: Fn) -> Fn:
    def count_all(f: Frame) -> Any:
        items = as_items(source(f))
        return Decimal(len(items)) if items is not None else None

    return count_all


def _records(source: Fn, cost: int) -> Elements:
    """The list's items as records (an item that is not one reads as an empty record)."""

    def records(f: Frame) -> list[Any] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        return [item if item.__class__ is dict else EMPTY_RECORD for item in items]

    return records


def _frames(source: Fn, cost: int, label: str | None) -> Elements:
    """A frame per item; with ``label`` (tracing) each says which item it is (``lines[2]``)."""

    def frames(f: Frame) -> list[Any] | None:
        items = charged_items(source(f), f, cost)
        if items is None:
            return None
        root, run = f[2], f[3]
        if label is not None:
            return [
                (item if item.__class__ is dict else EMPTY_RECORD, f, root, run, f"{label}[{index}]")
                for index, item in enumerate(items)
            ]
        return [(item if item.__class__ is dict else EMPTY_RECORD, f, root, run, None) for item in items]

    return frames


# Plain loops, not any()/all() over generators: a generator costs a frame switch per item.
def _any(elements: Elements, each: Each) -> Fn:
    def any_(f: Frame) -> Any:
        found = elements(f)
        if found is None:
            return None
        for element in found:
            if each(element) is True:
                return True
        return False

    return any_


def _all(elements: Elements, each: Each) -> Fn:
    def all_(f: Frame) -> Any:
        found = elements(f)
        if found is None:
            return None
        for element in found:
            if each(element) is not True:
                return False
        return True

    return all_


def _count(elements: Elements, each: Each) -> Fn:
    def count(f: Frame) -> Any:
        found = elements(f)
        if found is None:
            return None
        hits = 0
        for element in found:
            if each(element) is True:
                hits += 1
        return Decimal(hits)

    return count


def _sum(elements: Elements, each: Each) -> Fn:
    """The total of the non-null values; None when one is not a number (or the total overflows)."""

    def total(f: Frame) -> Any:
        found = elements(f)
        if found is None:
            return None
        result = Decimal(0)
        for element in found:
            value = each(element)
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


def _extreme(best: int) -> Callable[[Elements, Each], Fn]:
    """min (``best`` -1) or max (1) of the non-null values; None when two of them do not order."""

    def reducer(elements: Elements, each: Each) -> Fn:
        def extreme(f: Frame) -> Any:
            found = elements(f)
            if found is None:
                return None
            chosen: Any = None
            for element in found:
                value = each(element)
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

    return reducer


_REDUCERS: dict[str, Callable[[Elements, Each], Fn]] = {
    "any": _any,
    "all": _all,
    "count": _count,
    "sum": _sum,
    "min": _extreme(-1),
    "max": _extreme(1),
}
