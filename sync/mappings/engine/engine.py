"""compile_mapping: validate a spec completely, then apply it to graphs as fast as Python allows.

Compiling checks everything a person can get wrong (unknown transforms, bad parameters, path syntax,
overlapping targets, unknown refs, ref cycles, a missing external id) and reports all of it at once.
Applying never raises for a bad record: what cannot be mapped becomes a :class:`MappingProblem` and that
record gets no payload, while the other records and objects are still mapped. Exceptions that do leave
``apply`` are programming errors or a dynamic lookup's fetch failing (NetSuite unreachable), which the
pipeline treats as a transient fault rather than as bad data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.mappings.engine.coerce import to_text
from sync.mappings.engine.conditions import Condition
from sync.mappings.engine.fields import FieldBuilder, Plan, Sink, Usage, compile_fields
from sync.mappings.engine.lookups import LookupResolver, RecordingLookups, StaticLookups
from sync.mappings.engine.paths import Getter, Segment, as_items, parse_target
from sync.mappings.engine.problems import (
    MappingProblem,
    MappingValidationError,
    SpecError,
    SpecProblem,
    TransformFailure,
)
from sync.mappings.engine.result import MappingResult, ObjectPayload
from sync.mappings.engine.runtime import Frame, Run
from sync.mappings.engine.spec import MappingSpec, ObjectSpec, parse_spec

_NO_LOOKUPS = StaticLookups()


@dataclass(frozen=True)
class ObjectPlan:
    """One compiled object mapping."""

    key: str
    target: str
    mode: str
    external_id_field: str | None
    context: Getter | None  # source_path; None means the graph root
    source_path: str
    for_each: Getter | None
    for_each_path: str
    where: Condition | None
    external_id: Getter | None
    source_id: Getter
    plans: tuple[Plan, ...]
    create_only_fields: tuple[str, ...]
    create_only_paths: tuple[tuple[Segment, ...], ...]  # left out of an update: create-only and target-owned
    target_owned_fields: tuple[str, ...]
    record_only_fields: tuple[str, ...]  # on a conflict: record it, leave the other side's change
    depends_on: tuple[str, ...]
    usage: Usage
    sublists: tuple[str, ...] = ()  # NetSuite sublists the rows write (``item`` for item.items[])
    # source_path, for_each and where as text, when there is a where: objects with the same ones (the
    # plans and the subscriptions of CPQ packages) share the items it selects within one apply.
    selection: str | None = None


class CompiledMapping:
    """A validated mapping, ready to apply. Build it with :func:`compile_mapping`."""

    def __init__(
        self, spec: Mapping[str, Any], parsed: MappingSpec, objects: list[ObjectPlan], order: list[str]
    ) -> None:
        self.spec = spec
        self.flow = parsed.flow
        self.source = parsed.source
        self.target_system = parsed.target_system
        self.description = parsed.description
        self._objects = {plan.key: plan for plan in objects}
        self._order = order

    @property
    def object_keys(self) -> list[str]:
        """Object mapping keys in spec order."""
        return list(self._objects)

    def dependency_order(self) -> list[str]:
        """Object keys so that every object comes after the objects it refers to (spec order otherwise)."""
        return list(self._order)

    def depends_on(self, key: str) -> tuple[str, ...]:
        return self._objects[key].depends_on

    def target_type(self, key: str) -> str:
        return self._objects[key].target

    def target_owned_fields(self, key: str) -> tuple[str, ...]:
        """The targets of ``key``'s rows the target system owns (written on create only)."""
        return self._objects[key].target_owned_fields

    def sublists(self, key: str) -> tuple[str, ...]:
        """The NetSuite sublists ``key``'s rows write into (``item`` for ``item.items[]``): a write of its
        body must replace their lines, or NetSuite adds them to the stored ones."""
        return self._objects[key].sublists

    def lookup_tables(self) -> set[str]:
        """Every lookup table the mapping reads, so set-up can check they are filled in."""
        return {name for plan in self._objects.values() for name in plan.usage.tables}

    def dynamic_sources(self) -> set[str]:
        return {name for plan in self._objects.values() for name in plan.usage.dynamic}

    def apply(
        self,
        graph: Any,
        *,
        refs: Mapping[str, Any] | None = None,
        lookups: LookupResolver | None = None,
        existing: Collection[str] | None = None,
    ) -> MappingResult:
        """Map one graph with every object mapping, in dependency order.

        ``refs`` maps ref keys (``customer``, ``subscription_plan[<item id>]``) to target ids known so
        far; a ref not in it leaves its field empty (a problem when the row is required). When the
        referenced records are written during the same sync, use :meth:`apply_object` per object instead.
        ``existing`` is the ref keys of records known to exist already: their bodies leave out
        create-only fields, ``create_only`` objects that exist and ``update_only`` objects that do not
        are skipped.
        """
        result = MappingResult()
        root = _root_frame(graph, refs, lookups)
        objects = self._objects
        for key in self._order:
            _apply_object(objects[key], root, existing, result)
        return result

    def apply_object(
        self,
        key: str,
        graph: Any,
        *,
        refs: Mapping[str, Any] | None = None,
        lookups: LookupResolver | None = None,
        existing: Collection[str] | None = None,
    ) -> MappingResult:
        """Map one graph with one object mapping (the pipeline writes the customer, then the order)."""
        plan = self._objects.get(key)
        if plan is None:
            raise KeyError(f"no object mapping {key!r} in flow {self.flow!r}")
        result = MappingResult()
        _apply_object(plan, _root_frame(graph, refs, lookups), existing, result)
        return result

    def dynamic_keys(
        self, graphs: Iterable[Any], *, lookups: LookupResolver | None = None
    ) -> dict[str, set[str]]:
        """The keys each dynamic lookup source will be asked for while mapping ``graphs``: what a
        ``CachedDynamicLookup.prefetch`` needs to answer a whole batch with one query per source."""
        recorder = RecordingLookups(lookups)
        for graph in graphs:
            root = _root_frame(graph, {}, recorder)
            for key in self._order:
                _apply_object(self._objects[key], root, None, MappingResult())
        return recorder.keys


def compile_mapping(
    spec: Mapping[str, Any],
    *,
    tables: Collection[str] | None = None,
    dynamic_sources: Collection[str] | None = None,
) -> CompiledMapping:
    """Validate ``spec`` and compile it; raises :class:`MappingValidationError` listing every problem.

    ``tables`` and ``dynamic_sources``, when given, are the lookup tables and dynamic sources that
    exist: a mapping naming another one is invalid.
    """
    parsed, problems = parse_spec(spec)
    if parsed is None:
        raise MappingValidationError(problems)
    plans: list[ObjectPlan] = []
    for obj in parsed.objects:
        plan = _compile_object(obj, parsed.target_system, problems, tables, dynamic_sources)
        if plan is not None:
            plans.append(plan)
    _check_refs(plans, {obj.key: obj.for_each is not None for obj in parsed.objects}, problems)
    order = _order(plans, problems)
    if problems:
        raise MappingValidationError(problems)
    return CompiledMapping(spec, parsed, plans, order)


def _check_refs(plans: list[ObjectPlan], for_each: dict[str, bool], problems: list[SpecProblem]) -> None:
    """Every ref names another object mapping, with ``ref_item`` exactly when that one is for_each."""
    for plan in plans:
        for use in plan.usage.refs:
            if use.ref not in for_each:
                message = f"ref to unknown object {use.ref!r}"
            elif use.ref == plan.key:
                message = "an object cannot ref itself"
            elif for_each[use.ref] and not use.has_item:
                message = (
                    f"{use.ref!r} makes one record per item (for_each): add 'ref_item', the path to "
                    "the id of the item this row refers to"
                )
            elif not for_each[use.ref] and use.has_item:
                message = f"{use.ref!r} makes one record: 'ref_item' is only for for_each objects"
            else:
                continue
            problems.append(SpecProblem(plan.key, use.label, use.target, message))
        referenced = {use.ref for use in plan.usage.refs}
        for key in plan.depends_on:
            if key not in for_each and key not in referenced:
                problems.append(SpecProblem(plan.key, "depends_on", "", f"unknown object {key!r}"))


def _compile_object(
    obj: ObjectSpec,
    target_system: str,
    problems: list[SpecProblem],
    tables: Collection[str] | None,
    sources: Collection[str] | None,
) -> ObjectPlan | None:
    usage = Usage()
    before = len(problems)
    frames: tuple[bool, ...] = (False,)

    def report(label: str, target: str, message: str) -> None:
        problems.append(SpecProblem(obj.key, label, target, message))

    def attempt(label: str, build: Any) -> Any:
        try:
            return build()
        except SpecError as exc:
            report(label, "", str(exc))
            return None

    root = FieldBuilder(frames, usage, tables=tables, sources=sources)
    context = attempt("source_path", lambda: root.path(obj.source_path)) if obj.source_path else None
    if obj.source_path:
        frames = (*frames, False)
    here = FieldBuilder(frames, usage, tables=tables, sources=sources)
    for_each = attempt("for_each", lambda: here.path(obj.for_each)) if obj.for_each is not None else None
    record = here.inner(listed=True) if obj.for_each is not None else here
    where = attempt("where", lambda: record.where(obj.where)) if obj.where is not None else None
    external_id = None
    if obj.external_id is not None:
        id_builder = record.inner(label="external_id", target=obj.external_id_field or "")
        external_id = attempt("external_id", lambda: id_builder.value(obj.external_id))
    source_id = (
        attempt("source_id", lambda: record.path(obj.source_id)) if obj.source_id else _default_source_id
    )
    reserved: tuple[tuple[str, tuple[Segment, ...]], ...] = ()
    if obj.external_id_field:
        reserved = (("external_id", ((obj.external_id_field, None),)),)
    field_problems: list[tuple[str, str, str]] = []
    compiled = compile_fields(obj.fields, record, field_problems, reserved, target_system)
    for label, target, message in field_problems:
        report(label, target, message)
    if len(problems) > before:
        return None
    depends = tuple(dict.fromkeys([*(use.ref for use in usage.refs), *obj.depends_on]))
    return ObjectPlan(
        key=obj.key,
        target=obj.target,
        mode=obj.mode,
        external_id_field=obj.external_id_field,
        context=context,
        source_path=obj.source_path,
        for_each=for_each,
        for_each_path=obj.for_each or "",
        where=where,
        external_id=external_id,
        source_id=source_id,
        plans=tuple(compiled.plans),
        create_only_fields=tuple(target for target, _ in compiled.create_only),
        create_only_paths=tuple(
            dict.fromkeys(path for _, path in (*compiled.create_only, *compiled.target_owned))
        ),
        target_owned_fields=tuple(target for target, _ in compiled.target_owned),
        record_only_fields=tuple(compiled.record_only),
        depends_on=depends,
        usage=usage,
        sublists=_sublists(obj) if target_system == "netsuite" else (),
        selection=(
            repr((obj.source_path, obj.for_each, obj.where))  # repr tells "1" from 1 and 1.0
            if obj.for_each is not None and obj.where is not None
            else None
        ),
    )


def _sublists(obj: ObjectSpec) -> tuple[str, ...]:
    """The sublists an object's rows write into: targets ``<name>.items[]`` (a group, one line per item)
    and ``<name>.items[n]...`` (one given line), NetSuite's ``{"items": [...]}`` form."""
    names: list[str] = []
    for row in obj.fields:
        try:
            segments = parse_target(row.target, group=row.is_group)
        except SpecError:
            continue  # reported by compile_fields
        if len(segments) >= 2 and segments[0][1] is None and segments[1][0] == "items":
            names.append(segments[0][0])
    return tuple(dict.fromkeys(names))


def _default_source_id(frame: Frame) -> Any:
    item = frame.item
    return item.get("Id") or item.get("id") if isinstance(item, dict) else None


def _order(plans: list[ObjectPlan], problems: list[SpecProblem]) -> list[str]:
    """Topological order (Kahn), stable in spec order; a cycle is a validation problem naming it."""
    keys = list(dict.fromkeys(plan.key for plan in plans))
    needs = {plan.key: [key for key in plan.depends_on if key in keys and key != plan.key] for plan in plans}
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(keys):
        ready = [key for key in keys if key not in done and all(need in done for need in needs[key])]
        if not ready:
            cycle = _cycle([key for key in keys if key not in done], needs)
            problems.append(SpecProblem(cycle[0], "", "", "refs form a cycle: " + " -> ".join(cycle)))
            return order
        order.append(ready[0])
        done.add(ready[0])
    return order


def _cycle(stuck: list[str], needs: dict[str, list[str]]) -> list[str]:
    """One cycle among objects that can never become ready (each needs another stuck one)."""
    path = [stuck[0]]
    while True:
        following = next(key for key in needs[path[-1]] if key in stuck)
        if following in path:
            return [*path[path.index(following) :], following]
        path.append(following)


def _root_frame(graph: Any, refs: Mapping[str, Any] | None, lookups: LookupResolver | None) -> Frame:
    """The frame of the graph root, shared by every object of one apply (frames are only read)."""
    return Frame(graph, None, None, Run(graph, refs or {}, lookups or _NO_LOOKUPS))


def _apply_object(
    plan: ObjectPlan, root: Frame, existing: Collection[str] | None, result: MappingResult
) -> None:
    run = root.run
    if not isinstance(root.item, dict):
        result.problems.append(MappingProblem(plan.key, "", "", "the graph is not a record", None))
        return
    frame = root
    if plan.context is not None:
        item = plan.context(root)
        if not isinstance(item, dict):
            message = f"no {plan.source_path} record in the graph"
            result.problems.append(
                MappingProblem(
                    plan.key,
                    "source_path",
                    "",
                    message,
                    item,
                    _text(root.item.get("Id") or root.item.get("id")),
                )
            )
            return
        frame = Frame(item, None, root, run)
    if plan.for_each is None:
        if plan.where is None or plan.where(frame, None):
            _map_record(plan, frame, existing, result)
        return
    _apply_items(plan, frame, existing, result)


def _apply_items(
    plan: ObjectPlan, frame: Frame, existing: Collection[str] | None, result: MappingResult
) -> None:
    """A for_each object: one record per item of its list that its where keeps."""
    run = frame.run
    raw = plan.for_each(frame)  # type: ignore[misc]
    items = as_items(raw)
    if items is None:
        result.problems.append(
            MappingProblem(plan.key, "for_each", "", f"{plan.for_each_path} is not a list", raw)
        )
        return
    # One frame moved along the items, as for a group's elements: nothing keeps a frame.
    inner = Frame(None, items, frame, run)
    if plan.selection is not None:
        _map_selection(plan, inner, _select(plan, inner, items), existing, result)
        return
    where = plan.where
    for item in items:
        if item.__class__ is not dict and not isinstance(item, dict):
            result.problems.append(_not_a_record(plan, item))
            continue
        inner.item = item
        if where is None or where(inner, None):
            _map_record(plan, inner, existing, result)


def _not_a_record(plan: ObjectPlan, item: Any) -> MappingProblem:
    return MappingProblem(
        plan.key, "for_each", "", f"an element of {plan.for_each_path} is not a record", item
    )


def _select(plan: ObjectPlan, inner: Frame, items: list[Any]) -> list[Any]:
    """The items ``plan.where`` keeps (and those that are not records, which each object reports),
    worked out once per apply for all the objects with the same source, list and where."""
    selections = inner.run.selections
    selected = selections.get(plan.selection)  # type: ignore[arg-type]
    if selected is None:
        where = plan.where
        selected = []
        for item in items:
            if item.__class__ is not dict and not isinstance(item, dict):
                selected.append(item)
                continue
            inner.item = item
            if where is None or where(inner, None):
                selected.append(item)
        selections[plan.selection] = selected  # type: ignore[index]
    return selected


def _map_selection(
    plan: ObjectPlan,
    inner: Frame,
    selected: list[Any],
    existing: Collection[str] | None,
    result: MappingResult,
) -> None:
    for item in selected:
        if item.__class__ is not dict and not isinstance(item, dict):
            result.problems.append(_not_a_record(plan, item))
            continue
        inner.item = item
        _map_record(plan, inner, existing, result)


def _map_record(
    plan: ObjectPlan, frame: Frame, existing: Collection[str] | None, result: MappingResult
) -> None:
    sink: Sink = []
    source_id = _source_id(plan, frame)
    external_id = None
    if plan.external_id is not None:
        try:
            raw = plan.external_id(frame)
        except TransformFailure as failure:
            sink.append(("external_id", plan.external_id_field or "", failure.message, failure.value))
            raw = None
        external_id = (raw or None) if raw.__class__ is str else _text(raw)
        if raw is not None and external_id is None:
            sink.append(
                ("external_id", plan.external_id_field or "", "the external id must be text or a number", raw)
            )
        elif not external_id and not sink and plan.mode == "upsert":
            sink.append(("external_id", plan.external_id_field or "", "the external id is empty", raw))
    ref_key = plan.key if plan.for_each is None else f"{plan.key}[{source_id}]"
    exists = None if existing is None else ref_key in existing
    if (exists is True and plan.mode == "create_only") or (exists is False and plan.mode == "update_only"):
        return
    body: dict[str, Any] = {}
    for field_plan in plan.plans:
        field_plan(body, frame, sink)
    if sink:
        result.problems.extend(
            MappingProblem(plan.key, label, target, message, value, source_id)
            for label, target, message, value in sink
        )
        return
    if plan.external_id_field and external_id:
        body[plan.external_id_field] = external_id
    # Positional, in the field order of ObjectPayload: half the cost of keywords, once per record.
    payload = ObjectPayload(
        plan.key,  # object_key
        plan.target,  # target_type
        plan.mode,
        external_id or None,
        plan.external_id_field,
        ref_key,
        source_id,
        body,
        plan.create_only_fields,
        plan.create_only_paths,
        exists,
        plan.target_owned_fields,
        plan.record_only_fields,
        plan.sublists,
    )
    if exists:
        payload = dataclasses.replace(payload, body=payload.update_body())
    result.payloads.append(payload)


def _source_id(plan: ObjectPlan, frame: Frame) -> str | None:
    read = plan.source_id
    if read is _default_source_id:  # most objects: the record's Id, read here (a call fewer per record)
        item = frame.item
        raw = item.get("Id") or item.get("id")
    else:
        raw = read(frame)
    return (raw or None) if raw.__class__ is str else _text(raw)


def _text(value: Any) -> str | None:
    if value.__class__ is str:
        return value or None
    text = to_text(value) if value is not None else None
    return text if text else None
