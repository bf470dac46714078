"""What every compiled closure takes: a *frame*, and the :class:`Run` it shares with the others.

A frame is a tuple ``(item, parent, root, run, label)``: the record paths read from (always a dict),
the enclosing frame (for ``^.``), the graph root (for ``$.``), the evaluation's :class:`Run` (step
budget, today, reference tables, what was read) and, when tracing, where the item came from
(``primary_quote.lines[2]``). Tuples, not objects: the 10,000-graph benchmark creates one frame per
line per aggregate, and indexing a tuple is the cheapest access Python has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sync.mappings.engine.paths import Segment, SourcePath, as_items

Frame = tuple[Any, Any, Any, "Run", str | None]
Fn = Callable[[Frame], Any]
MAX_READS = 200  # values a traced evaluation records; enough to explain, bounded for big quotes
DEFAULT_BUDGET = 200_000
EMPTY_RECORD: dict[str, Any] = {}  # what an aggregate's item is when it is not a record; never written to


class Run:
    """What one evaluation of one record shares between closures."""

    __slots__ = ("reads", "steps", "tables", "today")

    def __init__(
        self,
        *,
        today: dt.date,
        tables: Mapping[str, Mapping[str, Any]],
        budget: int = DEFAULT_BUDGET,
        trace: bool = False,
    ) -> None:
        self.steps = budget
        self.today = today
        self.tables = tables
        self.reads: list[tuple[str, Any]] | None = [] if trace else None


def getter(path: SourcePath) -> Fn:
    """A closure reading ``path`` from a frame (the same path syntax as mappings)."""
    segments = path.segments
    if path.anchor == "current":
        start: Fn = _item
    elif path.anchor == "root":
        start = _root
    else:
        up = path.up

        def start(f: Frame) -> Any:
            frame: Any = f
            for _ in range(up):
                frame = frame[1] if frame is not None else None
            return frame[0] if frame is not None else None

    plain = all(index is None for _, index in segments)
    if path.anchor == "current" and plain and len(segments) == 1:
        ((a, _),) = segments
        return lambda f: f[0].get(a)
    if path.anchor == "current" and plain and len(segments) == 2:
        (a, _), (b, _) = segments

        def two(f: Frame) -> Any:
            inner = f[0].get(a)
            return inner.get(b) if inner.__class__ is dict else None

        return two
    if not segments:
        return start
    walk = _walker(segments)
    return lambda f: walk(start(f))


def _item(f: Frame) -> Any:
    return f[0]


def _root(f: Frame) -> Any:
    return f[2]


def _walker(segments: tuple[Segment, ...]) -> Callable[[Any], Any]:
    def walk(item: Any) -> Any:
        for name, index in segments:
            if item.__class__ is not dict:
                return None
            item = item.get(name)
            if index is not None:
                items = as_items(item)
                item = items[index] if items is not None and index < len(items) else None
        return item

    return walk
