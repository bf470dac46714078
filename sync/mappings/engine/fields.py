"""Compiling field rows into plans: closures that read, transform and write one value (or one list).

A plan is ``plan(body, frame, sink)``: it writes into ``body`` and appends ``(label, target, message,
value)`` to ``sink`` for a record it cannot map. Everything a row needs (getters, the transform chain,
the setter) is resolved here once, so applying a mapping never parses a path or looks up a transform.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sync.mappings.engine.coerce import to_text
from sync.mappings.engine.conditions import Condition, compile_condition
from sync.mappings.engine.paths import (
    Getter,
    Segment,
    Setter,
    SourcePath,
    as_items,
    compile_getter,
    compile_setter,
    overlaps,
    parse_source,
    parse_target,
    plain_names,
)
from sync.mappings.engine.problems import (
    MAX_TEXT_LENGTH,
    SpecError,
    TransformFailure,
    check_text_length,
    describe,
)
from sync.mappings.engine.runtime import Frame
from sync.mappings.engine.spec import Expression, FieldSpec, parse_expression, source_side
from sync.mappings.engine.transforms import Step, compile_steps

Sink = list[tuple[str, str, str, Any]]
Plan = Callable[[dict[str, Any], Frame, Sink], None]


@dataclass(frozen=True)
class RefUse:
    """A ``ref`` found while compiling, checked once every object mapping is known."""

    ref: str
    has_item: bool
    label: str
    target: str


@dataclass
class Usage:
    """What a compiled object mapping uses: refs, lookup tables, dynamic sources."""

    refs: list[RefUse] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)
    dynamic: set[str] = field(default_factory=set)


class FieldBuilder:
    """The :class:`~sync.mappings.engine.transforms.Builder` for one place in an object mapping.

    ``frames`` says, from the root down, whether each enclosing frame was taken from a list: it decides
    how far ``^.`` may climb and where ``@children_of`` is allowed.
    """

    def __init__(
        self,
        frames: tuple[bool, ...],
        usage: Usage,
        *,
        label: str = "",
        target: str = "",
        tables: Collection[str] | None = None,
        sources: Collection[str] | None = None,
    ) -> None:
        self.frames = frames
        self.usage = usage
        self.label = label
        self.target = target
        self.known_tables = tables
        self.known_sources = sources

    def inner(
        self, *, label: str | None = None, target: str | None = None, listed: bool = False
    ) -> FieldBuilder:
        frames = (*self.frames, True) if listed else self.frames
        return FieldBuilder(
            frames,
            self.usage,
            label=self.label if label is None else label,
            target=self.target if target is None else target,
            tables=self.known_tables,
            sources=self.known_sources,
        )

    # -- Builder protocol --------------------------------------------------------------------------

    def path(self, text: Any) -> Getter:
        return compile_getter(self.source(text))

    def source(self, text: Any, *, allow_value: bool = False) -> SourcePath:
        parsed = parse_source(text, allow_value=allow_value)
        if parsed.anchor == "parent" and parsed.up >= len(self.frames):
            raise SpecError(
                f"{text!r} climbs {parsed.up} level(s) with ^ but only {len(self.frames) - 1} "
                "enclosing record(s) exist here"
            )
        if parsed.children is not None and not self.frames[-1 - parsed.up]:
            raise SpecError(f"{text!r}: @children_of needs a record taken from a list (for_each or each)")
        return parsed

    def condition(self, spec: Any) -> Condition:
        self._check_condition_paths(spec, allow_value=True)
        return compile_condition(spec, allow_value=True)

    def where(self, spec: Any) -> Condition:
        self._check_condition_paths(spec, allow_value=False)
        return compile_condition(spec, allow_value=False)

    def steps(self, spec: Any) -> tuple[Step, ...]:
        return compile_steps(spec, self)

    def value(self, spec: Any) -> Getter:
        base, steps, _ = self.value_parts(spec)
        return chain(base, steps)

    def value_parts(self, spec: Any) -> tuple[Getter, tuple[Step, ...], tuple[str, ...] | None]:
        """The getter of a value expression, its transform chain, and the field names when the getter
        reads one or two plain fields from the current record: for callers that inline them."""
        expression = spec if isinstance(spec, Expression) else parse_expression(spec)
        base = self._base(expression)
        names = plain_names(self.source(expression.source)) if expression.kind == "source" else None
        return base, self.steps(list(expression.transforms)), names

    def use_table(self, name: str) -> None:
        if self.known_tables is not None and name not in self.known_tables:
            raise SpecError(
                f"no lookup table named {name!r} (tables: {', '.join(sorted(self.known_tables))})"
            )
        self.usage.tables.add(name)

    def use_dynamic(self, name: str) -> None:
        if self.known_sources is not None and name not in self.known_sources:
            raise SpecError(f"no dynamic lookup source named {name!r}")
        self.usage.dynamic.add(name)

    # -- helpers -----------------------------------------------------------------------------------

    def _check_condition_paths(self, spec: Any, *, allow_value: bool) -> None:
        """Run the ^ / @children_of checks on a condition's paths (compile_condition checks the rest)."""
        if isinstance(spec, dict):
            for key in ("field", "value_from"):
                if isinstance(spec.get(key), str):
                    self.source(spec[key], allow_value=allow_value)
            for key in ("all", "any"):
                if isinstance(spec.get(key), list):
                    for part in spec[key][:100]:
                        self._check_condition_paths(part, allow_value=allow_value)
            if "not" in spec:
                self._check_condition_paths(spec["not"], allow_value=allow_value)

    def _base(self, expression: Expression) -> Getter:
        if expression.kind == "source":
            return self.path(expression.source)
        if expression.kind == "constant":
            constant = expression.constant
            return lambda frame: constant
        if expression.kind == "ref":
            return self._ref(expression)
        getters = tuple(self.value(part) for part in expression.parts)
        separator = expression.separator

        def concat(frame: Frame) -> Any:
            texts = []
            length = -len(separator)
            for get in getters:
                piece = get(frame)
                if piece is None or piece == "":
                    continue
                text = piece if piece.__class__ is str else to_text(piece)
                if text is None:
                    raise TransformFailure(f"cannot join {describe(piece)} into text", piece)
                texts.append(text)
                length += len(text) + len(separator)
            if not texts:
                return None
            if length > MAX_TEXT_LENGTH:
                check_text_length(length, texts[0])
            return separator.join(texts)

        return concat

    def _ref(self, expression: Expression) -> Getter:
        key = expression.ref
        self.usage.refs.append(RefUse(key, expression.ref_item is not None, self.label, self.target))
        if expression.ref_item is None:
            return lambda frame: frame.run.refs.get(key)
        read_item = self.path(expression.ref_item)

        def item_ref(frame: Frame) -> Any:
            item = to_text(read_item(frame))
            return None if item is None else frame.run.refs.get(f"{key}[{item}]")

        return item_ref


def chain(base: Getter, steps: tuple[Step, ...]) -> Getter:
    """A getter followed by a transform chain, unrolled for the short chains most rows have."""
    if not steps:
        return base
    if len(steps) == 1:
        (first,) = steps
        return lambda frame: first(base(frame), frame)
    if len(steps) == 2:
        first, second = steps
        return lambda frame: second(first(base(frame), frame), frame)

    def run(frame: Frame) -> Any:
        value = base(frame)
        for step in steps:
            value = step(value, frame)
        return value

    return run


@dataclass
class Compiled:
    """The plans of one level (an object body or a group element), and what they leave out on update."""

    plans: list[Plan] = field(default_factory=list)
    create_only: list[tuple[str, tuple[Segment, ...]]] = field(default_factory=list)
    # Top-level rows the target system owns (``owner``): written on create only, compared on return.
    target_owned: list[tuple[str, tuple[Segment, ...]]] = field(default_factory=list)
    record_only: list[str] = field(default_factory=list)  # top-level targets with on_conflict record_only


def compile_fields(
    rows: tuple[FieldSpec, ...],
    builder: FieldBuilder,
    problems: list[tuple[str, str, str]],
    reserved: tuple[tuple[str, tuple[Segment, ...]], ...] = (),
    target_system: str = "",
) -> Compiled:
    """Compile one level of rows; problems are ``(label, target, message)``.

    ``target_system`` is given for an object's top level only: rows it owns go to ``target_owned``.
    """
    compiled = Compiled()
    claimed: list[tuple[str, tuple[Segment, ...]]] = list(reserved)
    for row in rows:
        try:
            segments = parse_target(row.target, group=row.is_group)
        except SpecError as exc:
            problems.append((row.label, row.target, str(exc)))
            continue
        overlap_key = (*segments[:-1], (segments[-1][0], -1)) if row.is_group else segments
        clash = next((label for label, other in claimed if overlaps(overlap_key, other)), None)
        if clash is not None:
            problems.append(
                (row.label, row.target, f"writes where {clash} writes (the same or an overlapping target)")
            )
            continue
        claimed.append((row.label, overlap_key))
        row_builder = builder.inner(label=row.label, target=row.target)
        try:
            if row.value is None:
                plan, inner_create_only = _group_plan(row, segments, row_builder, problems)
                element = (*segments[:-1], (segments[-1][0], -1))
                compiled.create_only.extend((target, element + path) for target, path in inner_create_only)
            else:
                plan = _scalar_plan(row, segments, *row_builder.value_parts(row.value))
        except SpecError as exc:
            problems.append((row.label, row.target, str(exc)))
            continue
        if plan is None:
            continue
        compiled.plans.append(plan)
        if row.apply == "create_only":
            compiled.create_only.append((row.target, segments))
        if target_system and (row.owner or source_side(target_system)) == target_system:
            compiled.target_owned.append((row.target, segments))
        if target_system and row.on_conflict == "record_only":
            compiled.record_only.append(row.target)
    return compiled


def _scalar_plan(
    row: FieldSpec,
    segments: tuple[Segment, ...],
    get: Getter,
    steps: tuple[Step, ...],
    names: tuple[str, ...] | None,
) -> Plan:
    """The plan of one value row.

    A mapping applies about a hundred of these per opportunity, so each call layer saved shows: reading
    one field of the current record, chains of up to two steps and single-name targets are written out
    in the variants below (each ends with the same three-way store) instead of composed from closures.
    """
    put = compile_setter(segments)
    name = segments[0][0] if len(segments) == 1 and segments[0][1] is None else None
    outer: str | None = None
    inner: str | None = None
    if len(segments) == 2 and segments[0][1] is None and segments[1][1] is None:
        # ``subsidiary.id``: the plans write the two names themselves (a setter call fewer per row).
        outer, inner = segments[0][0], segments[1][0]
    label, target = row.label, row.target
    empty = _empty_handler(row, put)
    source = names[0] if names is not None and len(names) == 1 else None
    if names is not None and len(names) == 2 and len(steps) <= 1:
        return _related_plan(
            names, steps[0] if steps else None, (name, outer, inner), put, empty, label, target
        )
    if source is not None and not steps:
        return _copy_plan(source, (name, outer, inner), put, empty)
    if source is not None and len(steps) == 1:
        return _transform_plan(source, steps[0], (name, outer, inner), put, empty, label, target)
    if len(steps) <= 2:
        return _short_chain_plan(get, steps, (name, outer, inner), put, empty, label, target)
    return _long_chain_plan(get, steps, put, empty, label, target)


Empty = Callable[[dict[str, Any], Any, Sink], None]
# Where a plan stores its value: (one name, or None) and (outer, inner) for two names, or None twice.
Names = tuple[str | None, str | None, str | None]


def _empty_handler(row: FieldSpec, put: Setter) -> Empty:
    """What a row does with an empty value: a problem when required, a null when ``when_empty: clear``."""
    label, target, required, clear = row.label, row.target, row.required, row.when_empty == "clear"

    def empty(body: dict[str, Any], value: Any, sink: Sink) -> None:
        if required:
            sink.append((label, target, "required value is empty", value))
        elif clear:
            put(body, None)

    return empty


def _copy_plan(source: str, names: Names, put: Setter, empty: Empty) -> Plan:
    """A row copying one field of the current record as it is."""
    name, outer, inner = names

    def copy_field(body: dict[str, Any], frame: Frame, sink: Sink) -> None:
        value = frame.item.get(source)
        if value is None or (value.__class__ is str and not value):
            empty(body, value, sink)
        elif name is not None:
            body[name] = value
        elif outer is not None:
            record = body.get(outer)
            if record is None:
                body[outer] = {inner: value}
            else:
                record[inner] = value
        else:
            put(body, value)

    return copy_field


def _transform_plan(
    source: str, step: Step, names: Names, put: Setter, empty: Empty, label: str, target: str
) -> Plan:
    """A row reading one field of the current record through one transform."""
    name, outer, inner = names

    def transform_field(body: dict[str, Any], frame: Frame, sink: Sink) -> None:
        try:
            value = step(frame.item.get(source), frame)
        except TransformFailure as failure:
            sink.append((label, target, failure.message, failure.value))
            return
        if value is None or (value.__class__ is str and not value):
            empty(body, value, sink)
        elif name is not None:
            body[name] = value
        elif outer is not None:
            record = body.get(outer)
            if record is None:
                body[outer] = {inner: value}
            else:
                record[inner] = value
        else:
            put(body, value)

    return transform_field


def _short_chain_plan(
    get: Getter,
    steps: tuple[Step, ...],
    names: Names,
    put: Setter,
    empty: Empty,
    label: str,
    target: str,
) -> Plan:
    """Any getter followed by at most two transforms, written out."""
    name, outer, inner = names
    first, second = (*steps, None, None)[:2]

    def short_chain(body: dict[str, Any], frame: Frame, sink: Sink) -> None:
        try:
            value = get(frame)  # may raise: a concat of a record
            if first is not None:
                value = first(value, frame)
                if second is not None:
                    value = second(value, frame)
        except TransformFailure as failure:
            sink.append((label, target, failure.message, failure.value))
            return
        if value is None or (value.__class__ is str and not value):
            empty(body, value, sink)
        elif name is not None:
            body[name] = value
        elif outer is not None:
            record = body.get(outer)
            if record is None:
                body[outer] = {inner: value}
            else:
                record[inner] = value
        else:
            put(body, value)

    return short_chain


def _long_chain_plan(
    get: Getter, steps: tuple[Step, ...], put: Setter, empty: Empty, label: str, target: str
) -> Plan:
    """Any getter followed by three transforms or more, in a loop."""

    def long_chain(body: dict[str, Any], frame: Frame, sink: Sink) -> None:
        try:
            value = get(frame)
            for step in steps:
                value = step(value, frame)
        except TransformFailure as failure:
            sink.append((label, target, failure.message, failure.value))
            return
        if value is None or (value.__class__ is str and not value):
            empty(body, value, sink)
        else:
            put(body, value)

    return long_chain


def _related_plan(
    names: tuple[str, ...],
    step: Step | None,
    targets: Names,
    put: Setter,
    empty: Empty,
    label: str,
    target: str,
) -> Plan:
    """A row reading a parent record's field (``SBQQ__Product__r.Name``), with at most one transform."""
    relation, field_name = names
    name, outer, inner = targets

    def related_field(body: dict[str, Any], frame: Frame, sink: Sink) -> None:
        value = frame.item.get(relation)
        # simple-salesforce answers with OrderedDicts: the exact-type test is only the fast path.
        value = value.get(field_name) if value.__class__ is dict or isinstance(value, dict) else None
        if step is not None:
            try:
                value = step(value, frame)
            except TransformFailure as failure:
                sink.append((label, target, failure.message, failure.value))
                return
        if value is None or (value.__class__ is str and not value):
            empty(body, value, sink)
        elif name is not None:
            body[name] = value
        elif outer is not None:
            record = body.get(outer)
            if record is None:
                body[outer] = {inner: value}
            else:
                record[inner] = value
        else:
            put(body, value)

    return related_field


def _group_plan(
    row: FieldSpec, segments: tuple[Segment, ...], builder: FieldBuilder, problems: list[tuple[str, str, str]]
) -> tuple[Plan | None, list[tuple[str, tuple[Segment, ...]]]]:
    """The plan of a group row (one element per source item), and the create-only paths inside it."""
    read_items = builder.path(row.each)
    element_builder = builder.inner(listed=True)
    where = element_builder.where(row.where) if row.where is not None else None
    before = len(problems)
    inner = compile_fields(row.fields, element_builder, problems)
    if len(problems) > before:
        return None, []
    plan = _elements_plan(row, compile_setter(segments), read_items, where, tuple(inner.plans))
    return plan, [(f"{row.target}/{name}", path) for name, path in inner.create_only]


def _elements_plan(
    row: FieldSpec, put: Setter, read_items: Getter, where: Condition | None, plans: tuple[Plan, ...]
) -> Plan:
    """Apply the element rows ``plans`` to every item of the list ``read_items`` reads (``where`` kept)."""
    label, target, required, clear = row.label, row.target, row.required, row.when_empty == "clear"
    each = row.each

    def plan(body: dict[str, Any], frame: Frame, sink: Sink) -> None:
        raw = read_items(frame)
        items = as_items(raw)
        if items is None:
            sink.append((label, target, f"{each} is not a list", raw))
            return
        elements = []
        # One frame for every element, moved along: no closure keeps a frame, and a frame per line
        # was a tenth of the mapping time (allocation plus the garbage collector's share).
        inner_frame = Frame(None, items, frame, frame.run)
        for item in items:
            if item.__class__ is not dict and not isinstance(item, dict):
                sink.append((label, target, f"an element of {each} is not a record", item))
                continue
            inner_frame.item = item
            if where is not None and not where(inner_frame, None):
                continue
            element: dict[str, Any] = {}
            for inner_plan in plans:
                inner_plan(element, inner_frame, sink)
            elements.append(element)
        if elements:
            put(body, elements)
        elif required:
            sink.append((label, target, f"no elements (from {each})", None))
        elif clear:
            put(body, [])

    return plan
