"""Source paths (where a value is read) and target paths (where it is written), parsed once at compile.

Source paths are dotted and relative to the current record::

    BillingCity                          a field of the current record
    Account.BillingCity                  through a parent relationship (a null parent gives None)
    OpportunityContactRoles.records[0]   a child subquery; ``[n]`` indexes a list
    $.primary_quote.lines                from the graph root
    ^.CurrencyIsoCode                    from the enclosing record (the header, inside an ``each``)
    @children_of(SBQQ__RequiredBy__c)    the items of the current record's list whose
                                         SBQQ__RequiredBy__c equals this record's Id (CPQ bundles);
                                         ``@children_of(LINK, KEY)`` compares with KEY instead of Id
    @value                               the value being transformed (only in a transform's condition)

A child subquery's wrapper (``{"totalSize", "done", "records"}``) is looked through wherever a list is
expected, and a null wrapper is an empty list. Target paths are dotted with ``[n]`` indexes
(``addressBook.items[0].addressBookAddress.addr1``); a group's target ends in ``[]`` (``item.items[]``):
one element per source item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.mappings.engine.problems import SpecError
from sync.mappings.engine.runtime import Frame

Getter = Callable[[Frame], Any]
Setter = Callable[[dict[str, Any], Any], None]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SEGMENT = re.compile(rf"^({_NAME})(?:\[(\d{{1,2}})\])?$")
_CHILDREN = re.compile(rf"^@children_of\(\s*({_NAME})\s*(?:,\s*({_NAME})\s*)?\)$")
MAX_DEPTH = 20  # nobody nests records deeper; a limit keeps hostile specs cheap
Segment = tuple[str, int | None]


class PathError(SpecError):
    """A path that does not parse; the message says what is wrong with it."""


@dataclass(frozen=True)
class SourcePath:
    text: str
    anchor: str  # "current" | "root" | "parent"
    up: int  # how many "^" (anchor "parent")
    segments: tuple[Segment, ...]
    children: tuple[str, str] | None = None  # (link field, key field) for @children_of
    is_value: bool = False  # "@value"


def parse_source(text: Any, *, allow_value: bool = False) -> SourcePath:
    """Parse a source path; raises :class:`PathError` with a reason a person can act on."""
    if not isinstance(text, str):
        raise PathError(f"a path must be text, not {type(text).__name__}")
    if text == "@value":
        if not allow_value:
            raise PathError("@value (the value being transformed) is only allowed in a transform's condition")
        return SourcePath(text, "current", 0, (), is_value=True)
    rest, anchor, up = text.strip(), "current", 0
    if rest != text:
        raise PathError(f"{text!r} has leading or trailing spaces")
    if rest == "$" or rest.startswith("$."):
        anchor, rest = "root", rest[2:]
    else:
        while rest == "^" or rest.startswith("^."):
            anchor, up, rest = "parent", up + 1, rest[2:]
    if rest.startswith("@children_of"):
        match = _CHILDREN.match(rest)
        if match is None:
            raise PathError(
                f"{text!r}: write @children_of(LINK_FIELD) or @children_of(LINK_FIELD, KEY_FIELD)"
            )
        if anchor == "root":
            raise PathError(f"{text!r}: @children_of reads the current record's list, not the root")
        return SourcePath(text, anchor, up, (), children=(match.group(1), match.group(2) or "Id"))
    segments = _segments(text, rest) if rest else ()
    return SourcePath(text, anchor, up, segments)


def parse_target(text: Any, *, group: bool = False) -> tuple[Segment, ...]:
    """Parse a target path; a group's target must end in ``[]`` (returned without it)."""
    if not isinstance(text, str) or not text:
        raise PathError("a target path must be non-empty text")
    if group:
        if not text.endswith("[]"):
            raise PathError(f"{text!r}: a group's target ends in [] (for example item.items[])")
        text = text[:-2]
    elif "[]" in text:
        raise PathError(f"{text!r}: [] (one element per item) is only for a group with 'each' and 'fields'")
    return _segments(text, text)


def _segments(text: str, rest: str) -> tuple[Segment, ...]:
    parts = rest.split(".")
    if len(parts) > MAX_DEPTH:
        raise PathError(f"{text!r} is deeper than {MAX_DEPTH} levels")
    segments: list[Segment] = []
    for part in parts:
        match = _SEGMENT.match(part)
        if match is None:
            raise PathError(
                f"{text!r}: {part!r} is not a field name (letters, digits, _; optional [n] index)"
            )
        segments.append((match.group(1), int(match.group(2)) if match.group(2) else None))
    return tuple(segments)


# -- reading -----------------------------------------------------------------------------------------


def as_items(value: Any) -> list[Any] | None:
    """A list from a list path: a list, a subquery wrapper's records, [] for null; None if neither."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    if isinstance(value, dict):
        records = value.get("records")
        if isinstance(records, list):
            return records
        if records is None and "totalSize" in value:
            return []
    return None


def compile_getter(path: SourcePath) -> Getter:
    """A closure reading ``path`` from a frame; it never raises for any JSON-shaped graph.

    Frames always hold records (dicts): the engine only builds frames over dicts, and the compiler has
    checked that every ``^`` has an enclosing frame. So the first step needs no type check, and the
    common shapes (one or two plain names from the current record, the root or the parent) are single
    closures: this is where most of the engine's time goes.
    """
    if path.is_value:
        raise PathError("@value is read by conditions, not by a getter")
    if path.children is not None:
        return _children_getter(path, path.children[0], path.children[1])
    segments = path.segments
    if all(index is None for _, index in segments) and len(segments) <= 2 and path.up <= 1:
        fast = _fast_getter(path.anchor, tuple(name for name, _ in segments))
        if fast is not None:
            return fast
    start = _anchor(path)
    walk = _walker(segments)
    if walk is None:
        return start
    return lambda frame: walk(start(frame))


def simple_name(path: SourcePath) -> str | None:
    """The field name when ``path`` is one plain field of the current record (the common case)."""
    names = plain_names(path)
    return names[0] if names is not None and len(names) == 1 else None


def plain_names(path: SourcePath) -> tuple[str, ...] | None:
    """The names when ``path`` is one or two plain fields from the current record (``Name``,
    ``SBQQ__Product__r.Name``): the shapes compiled plans read inline."""
    if path.anchor != "current" or path.children is not None or path.is_value:
        return None
    if not 1 <= len(path.segments) <= 2 or any(index is not None for _, index in path.segments):
        return None
    return tuple(name for name, _ in path.segments)


def _fast_getter(anchor: str, names: tuple[str, ...]) -> Getter | None:
    """A closure written out for zero to two plain names (None for a shape it does not cover)."""
    if anchor == "current":
        return _current_getter(names)
    if anchor == "root":
        return _root_getter(names)
    return _parent_getter(names)


def _current_getter(names: tuple[str, ...]) -> Getter:
    if not names:
        return lambda frame: frame.item
    if len(names) == 1:
        (a,) = names
        return lambda frame: frame.item.get(a)
    a, b = names

    def current_two(frame: Frame) -> Any:
        inner = frame.item.get(a)
        return inner.get(b) if isinstance(inner, dict) else None

    return current_two


def _root_getter(names: tuple[str, ...]) -> Getter | None:
    if len(names) == 1:
        (a,) = names
        return lambda frame: frame.run.root.get(a)
    if len(names) == 2:
        a, b = names

        def root_two(frame: Frame) -> Any:
            inner = frame.run.root.get(a)
            return inner.get(b) if isinstance(inner, dict) else None

        return root_two
    return None


def _parent_getter(names: tuple[str, ...]) -> Getter | None:
    if len(names) == 1:
        (a,) = names
        return lambda frame: frame.parent.item.get(a)  # type: ignore[union-attr]
    if len(names) == 2:
        a, b = names

        def parent_two(frame: Frame) -> Any:
            inner = frame.parent.item.get(a)  # type: ignore[union-attr]
            return inner.get(b) if isinstance(inner, dict) else None

        return parent_two
    return None


def _anchor(path: SourcePath) -> Getter:
    if path.anchor == "root":
        return lambda frame: frame.run.root
    if path.anchor == "parent":
        up = path.up

        def parent_item(frame: Frame) -> Any:
            owner = _frame_at(frame, up)
            return owner.item if owner is not None else None

        return parent_item
    return lambda frame: frame.item


def _frame_at(frame: Frame, up: int) -> Frame | None:
    current: Frame | None = frame
    for _ in range(up):
        current = current.parent if current is not None else None
    return current


def _children_getter(path: SourcePath, link: str, key: str) -> Getter:
    up = path.up
    fields = (link, key)

    def children(frame: Frame) -> Any:
        owner = frame if up == 0 else _frame_at(frame, up)
        if owner is None:
            return []
        items = owner.items
        if items is None:
            return []
        own = owner.item.get(key)
        if own is None or (own.__class__ is not str and isinstance(own, dict | list)):
            return []
        lists = frame.run.children.get(fields)
        if lists is None:
            lists = frame.run.children[fields] = {}
        index = lists.get(id(items))
        if index is None:
            # Built once per list and apply: n lines looking for their children cost O(n), not O(n^2).
            index = lists[id(items)] = {}
            for item in items:
                if isinstance(item, dict):
                    parent = item.get(link)
                    if parent is not None and not isinstance(parent, dict | list):
                        index.setdefault(parent, []).append(item)
        return index.get(own, _NONE)

    return children


_NONE: list[Any] = []


def _walker(segments: tuple[Segment, ...]) -> Callable[[Any], Any] | None:
    """Specialised closures for the common shapes (1-3 plain names), a loop for the rest."""
    if not segments:
        return None
    if all(index is None for _, index in segments) and len(segments) <= 3:
        return _plain_walker(tuple(name for name, _ in segments))
    return _indexed_walker(segments)


def _plain_walker(names: tuple[str, ...]) -> Callable[[Any], Any]:
    """One to three plain names, written out."""
    if len(names) == 1:
        (a,) = names

        def one(item: Any) -> Any:
            return item.get(a) if isinstance(item, dict) else None

        return one
    if len(names) == 2:
        a, b = names

        def two(item: Any) -> Any:
            if not isinstance(item, dict):
                return None
            item = item.get(a)
            return item.get(b) if isinstance(item, dict) else None

        return two
    a, b, c = names

    def three(item: Any) -> Any:
        if not isinstance(item, dict):
            return None
        item = item.get(a)
        if not isinstance(item, dict):
            return None
        item = item.get(b)
        return item.get(c) if isinstance(item, dict) else None

    return three


def _indexed_walker(segments: tuple[Segment, ...]) -> Callable[[Any], Any]:
    """Any path, indexes included, in a loop."""

    def many(item: Any) -> Any:
        for name, index in segments:
            if not isinstance(item, dict):
                return None
            item = item.get(name)
            if index is not None:
                items = as_items(item)
                item = items[index] if items is not None and index < len(items) else None
        return item

    return many


# -- writing -----------------------------------------------------------------------------------------


def compile_setter(segments: tuple[Segment, ...]) -> Setter:
    """A closure writing a value at ``segments`` in a body, creating dicts and lists on the way.

    The compiler has already rejected overlapping targets, so every container met on the way is the
    kind this path expects.
    """
    plain = all(index is None for _, index in segments)
    if plain and len(segments) == 1:
        return _one_name_setter(segments[0][0])
    if plain and len(segments) == 2:
        return _two_names_setter(segments[0][0], segments[1][0])
    return _path_setter(segments)


def _one_name_setter(name: str) -> Setter:
    def put_one(body: dict[str, Any], value: Any) -> None:
        body[name] = value

    return put_one


def _two_names_setter(a: str, b: str) -> Setter:
    def put_two(body: dict[str, Any], value: Any) -> None:
        inner = body.get(a)
        if inner is None:
            inner = body[a] = {}
        inner[b] = value

    return put_two


def _path_setter(segments: tuple[Segment, ...]) -> Setter:
    """Any path, indexes included: containers are made on the way, a list is padded up to the index."""
    *parents, (last, last_index) = segments

    def put(body: dict[str, Any], value: Any) -> None:
        node: Any = body
        for name, index in parents:
            node = _child(node, name, index)
        if last_index is None:
            node[last] = value
        else:
            items = node.get(last)
            if items is None:
                items = node[last] = []
            while len(items) <= last_index:
                items.append(None)
            items[last_index] = value

    return put


def _child(node: dict[str, Any], name: str, index: int | None) -> dict[str, Any]:
    if index is None:
        inner = node.get(name)
        if inner is None:
            inner = node[name] = {}
        return inner
    items = node.get(name)
    if items is None:
        items = node[name] = []
    while len(items) <= index:
        items.append({})
    if items[index] is None:
        items[index] = {}
    return items[index]


def remove_path(body: dict[str, Any], segments: tuple[Segment, ...]) -> None:
    """Delete the value at ``segments`` (if present) and prune containers it leaves empty.

    An index of -1 stands for every element (a create-only field inside a group's elements).
    """
    _remove(body, segments, 0)


def _remove(node: Any, segments: tuple[Segment, ...], position: int) -> bool:
    """Remove below ``node``; True when ``node`` is left empty."""
    name, index = segments[position]
    if not isinstance(node, dict) or name not in node:
        return False
    last = position == len(segments) - 1
    if index is None:
        if last:
            del node[name]
        elif _remove(node[name], segments, position + 1):
            del node[name]
        return not node
    items = node[name]
    if not isinstance(items, list):
        return False
    chosen = range(len(items)) if index == -1 else [index] if index < len(items) else []
    for at in chosen:
        if last:
            items[at] = None
        else:
            _remove(items[at], segments, position + 1)
    if all(element is None or element == {} for element in items):
        del node[name]
    return not node


def overlaps(first: tuple[Segment, ...], second: tuple[Segment, ...]) -> bool:
    """True when one target path lies on the other (``subsidiary`` and ``subsidiary.id``).

    An index of -1 is a group's ``[]`` (every element), so it overlaps every index at that place.
    """
    for (name_a, index_a), (name_b, index_b) in zip(first, second, strict=False):
        if name_a != name_b:
            return False
        if (index_a is None) != (index_b is None):
            return True  # one treats the node as a record, the other as a list
        if index_a is not None and index_a != index_b and -1 not in (index_a, index_b):
            return False
    return True
