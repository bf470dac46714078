"""The small objects compiled closures read while a mapping is applied to one graph.

A :class:`Frame` is "where am I" (the record fields read from, the list it came from, the enclosing
frame); a :class:`Run` is what one ``apply`` call shares (the graph root, the refs, the lookups and a
cache of per-list indexes). Both use ``__slots__``: the engine creates one frame per record and per line,
so attribute access speed matters for the 10,000-graph benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sync.mappings.engine.lookups import StaticLookups

if TYPE_CHECKING:
    from sync.mappings.engine.lookups import DynamicSource, LookupResolver


class Run:
    """State shared by every closure during one ``apply``; nothing in it outlives the call."""

    __slots__ = ("children", "lookups", "refs", "root", "selections", "sources", "tables")

    def __init__(self, root: Any, refs: Mapping[str, Any], lookups: LookupResolver) -> None:
        self.root = root
        self.refs = refs
        self.lookups = lookups
        # StaticLookups' own dicts, read inline by the lookup transforms; None for any other resolver
        # (a subclass or a recorder), which is then asked through its methods.
        self.tables: dict[str, dict[str, Any]] | None = None
        self.sources: dict[str, DynamicSource] | None = None
        if lookups.__class__ is StaticLookups:
            self.tables, self.sources = lookups.dicts()  # type: ignore[attr-defined]
        # (link field, key field) -> id(list) -> {key value: [child items]}, built once per list.
        self.children: dict[tuple[str, str], dict[int, dict[Any, list[Any]]]] = {}
        # An object's selection key -> the items its where keeps (engine._select), shared by objects.
        self.selections: dict[str, list[Any]] = {}


class Frame:
    """One level of context: ``item`` is the record paths read from, ``items`` the list it was taken
    from (for ``@children_of``), ``parent`` the enclosing frame (for ``^.``).

    ``item`` is always a dict: the engine never builds a frame over anything else (a list element that
    is not a record is a problem instead), which is what lets compiled getters skip a type check.
    """

    __slots__ = ("item", "items", "parent", "run")

    def __init__(self, item: Any, items: list[Any] | None, parent: Frame | None, run: Run) -> None:
        self.item = item
        self.items = items
        self.parent = parent
        self.run = run
