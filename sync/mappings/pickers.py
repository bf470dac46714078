"""Field pickers of the mapping editor: the source paths and target fields a row may name, from metadata.

The data comes only from the flow's integration's connections' cached metadata
(:func:`sync.integrations.sandboxes.editing_metadata`, never a live call): a field only org B has is
offered in B's flows, never in A's.
A Salesforce source is the opportunity graph the pipeline reads: the opportunity, ``Account.X``, the
contact roles (``Contact.X``), the primary quote (``primary_quote.X``) and its lines
(``SBQQ__Product__r.X`` from a line), each reached by walking the objects' relationships, so an org
without CPQ simply offers no quote. Paths are offered as the engine resolves them from the row's place:
relative to the record being mapped (an object's ``source_path``/``for_each``, a group's ``each``), and
from the root with ``$.`` for the rest. A NetSuite target offers the record type's writable fields
(``X.id`` for a reference), and a group's rows the fields of its sublist (``item.items[]``).

Without metadata (no connection, or never refreshed) the picker says so and the input stays
free text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from sync.connections.metadata.types import REFERENCE, SUBLIST, FieldInfo, ObjectInfo, SystemMetadata
from sync.integrations import sandboxes
from sync.mappings.engine.reads import resolved
from sync.mappings.models import FieldMapping, ObjectMapping
from sync.mappings.permissions import flow_edit_allowed

NO_METADATA_HINT = (
    "No field list yet: refresh the connection's metadata to pick fields. Type the name meanwhile."
)
LIMIT = 40


@dataclass(frozen=True)
class FieldChoice:
    """One pickable field: ``value`` is what the input receives (a path or a target field name)."""

    value: str
    label: str
    name: str  # the API name as the system spells it
    type: str  # normalised type (text, number, reference...)
    native_type: str
    where: str  # the object it belongs to, as a person names it ("Account", "Quote line")
    required: bool = False
    custom: bool = False


@dataclass(frozen=True)
class Choices:
    """What a picker shows: the matching fields, how many matched, or why there is nothing to pick."""

    choices: tuple[FieldChoice, ...]
    total: int
    hint: str = ""


@dataclass(frozen=True)
class _Edge:
    parent: tuple[str, ...]
    segment: str  # the name in the graph the engine reads
    via: str  # the relationship (or child relationship) walked from the parent's object
    fallback: str  # the object's API name when the relationship is not described
    label: str
    is_list: bool = False


# The opportunity graph of sync.pipeline (GraphQuery sections; writeback's ``_place``).
OPPORTUNITY_GRAPH = (
    _Edge((), "Account", "Account", "Account", "Account"),
    _Edge(
        (),
        "OpportunityContactRoles",
        "OpportunityContactRoles",
        "OpportunityContactRole",
        "Contact role",
        True,
    ),
    _Edge(("OpportunityContactRoles",), "Contact", "Contact", "Contact", "Contact"),
    _Edge((), "primary_quote", "SBQQ__Quotes2__r", "SBQQ__Quote__c", "Primary quote"),
    _Edge(("primary_quote",), "lines", "SBQQ__LineItems__r", "SBQQ__QuoteLine__c", "Quote line", True),
    _Edge(("primary_quote", "lines"), "SBQQ__Product__r", "SBQQ__Product__r", "Product2", "Product"),
)


@dataclass(frozen=True)
class _Node:
    path: tuple[str, ...]
    obj: ObjectInfo
    label: str
    lists: tuple[tuple[str, ...], ...]  # the list-valued paths on the way (themselves included)


def graph_nodes(metadata: SystemMetadata, root: str) -> list[_Node]:
    """The graph's records that the metadata describes, walking relationships from ``root``."""
    top = metadata.object(root)
    if top is None:
        return []
    nodes: dict[tuple[str, ...], _Node] = {(): _Node((), top, top.label or top.name, ())}
    if root.lower() != "opportunity":
        return list(nodes.values())
    for edge in OPPORTUNITY_GRAPH:
        parent = nodes.get(edge.parent)
        if parent is None:
            continue
        target = _walk(metadata, parent.obj, edge)
        if target is None:
            continue
        path = (*edge.parent, edge.segment)
        lists = (*parent.lists, path) if edge.is_list else parent.lists
        nodes[path] = _Node(path, target, edge.label, lists)
    return list(nodes.values())


def _walk(metadata: SystemMetadata, obj: ObjectInfo, edge: _Edge) -> ObjectInfo | None:
    reference = obj.relationship(edge.via)
    if reference is not None and reference.reference_to:
        return metadata.object(reference.reference_to[0])
    child = obj.child_relationships.get(edge.via)
    if child:
        return metadata.object(child)
    if edge.is_list or edge.segment == "primary_quote":
        return metadata.object(edge.fallback)  # a child list the describe does not name
    return None


def row_frame(obj: ObjectMapping, parent: FieldMapping | None) -> tuple[str, ...]:
    """The graph path of the record a row of ``obj`` (inside ``parent``'s group, if any) reads from."""
    stack: list[tuple[str, ...]] = [()]
    for text in (obj.source_path, obj.for_each):
        if text:
            stack.append(resolved(stack, text))
    groups: list[FieldMapping] = []
    while parent is not None:
        groups.insert(0, parent)
        parent = parent.parent
    for group in groups:
        if group.each:
            stack.append(resolved(stack, group.each))
    return stack[-1]


def source_choices(metadata: SystemMetadata, root: str, frame: tuple[str, ...]) -> list[FieldChoice]:
    """Every source path readable from ``frame``: relative below it, ``$.``-rooted elsewhere."""
    here: list[FieldChoice] = []  # the record being mapped and what hangs off it, listed first
    elsewhere: list[FieldChoice] = []
    for node in graph_nodes(metadata, root):
        below = node.path[: len(frame)] == frame
        if below:
            prefix, lists = node.path[len(frame) :], [p for p in node.lists if len(p) > len(frame)]
        else:
            prefix, lists = node.path, list(node.lists)
        if lists:
            continue  # a field of every item of a list is no single value
        start = ".".join(prefix)
        lead = "" if below else "$."
        found = here if below else elsewhere
        for info in _sorted(node.obj.fields.values()):
            path = f"{start}.{info.name}" if start else info.name
            found.append(_choice(f"{lead}{path}", info, node.label))
    return here + elsewhere


def target_choices(
    metadata: SystemMetadata, record_type: str, group: FieldMapping | None
) -> list[FieldChoice]:
    """The writable fields of ``record_type``, or of the sublist a group row writes (``item.items[]``)."""
    obj = metadata.object(record_type)
    if obj is None:
        return []
    fields: Iterable[FieldInfo] = obj.fields.values()
    where = obj.label or obj.name
    if group is not None:
        sublist = obj.field(group.target.split(".", 1)[0].rstrip("[]"))
        if sublist is None:
            return []
        fields, where = sublist.sublist_fields.values(), f"{where} {sublist.label or sublist.name} line"
    found = []
    for info in _sorted(fields):
        if not (info.createable or info.updateable):
            continue
        if info.type == SUBLIST:
            value = f"{info.name}.items[]"
        elif info.type == REFERENCE and obj.system == "netsuite":
            value = f"{info.name}.id"
        else:
            value = info.name
        found.append(_choice(value, info, where))
    return found


def _sorted(fields: Iterable[FieldInfo]) -> list[FieldInfo]:
    return sorted(fields, key=lambda info: (info.label or info.name).lower())


def _choice(value: str, info: FieldInfo, where: str) -> FieldChoice:
    return FieldChoice(
        value=value,
        label=info.label or info.name,
        name=info.name,
        type=info.type,
        native_type=info.native_type,
        where=where,
        required=info.required,
        custom=info.custom,
    )


def matching(choices: Iterable[FieldChoice], query: str, *, limit: int = LIMIT) -> Choices:
    """The choices whose path, API name or label contains every word of ``query``; best first."""
    words = query.lower().split()
    ranked = []
    for position, choice in enumerate(choices):
        text = f"{choice.value} {choice.label} {choice.where}".lower()
        if all(word in text for word in words):
            starts = bool(words) and (
                choice.name.lower().startswith(words[0]) or choice.label.lower().startswith(words[0])
            )
            ranked.append((0 if starts else 1, position, choice))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return Choices(tuple(choice for _, _, choice in ranked[:limit]), len(ranked))


def field_choices(
    *, obj: ObjectMapping, user: Any, side: str, query: str = "", parent: FieldMapping | None = None
) -> Choices:
    """The fields a row of ``obj`` may name on ``side`` ("source" or "target"), matching ``query``.

    For the people who may edit ``obj``'s flow (PermissionDenied otherwise). The metadata is the flow's
    integration's sandbox pair's, else its production pair's (what its drafts are validated against).
    """
    flow = obj.version.flow
    if not flow_edit_allowed(user, flow):
        raise PermissionDenied("Picking fields is for the people who edit this flow's mapping.")
    salesforce, netsuite = sandboxes.editing_metadata(flow.integration)
    to_netsuite = flow.target_system == "netsuite"
    if side == "source":
        metadata = salesforce if to_netsuite else netsuite
        found = (
            source_choices(metadata, flow.source, row_frame(obj, parent))
            if metadata is not None and metadata.objects
            else None
        )
    else:
        metadata = netsuite if to_netsuite else salesforce
        group = parent if parent is not None and parent.kind == "group" else None
        found = (
            target_choices(metadata, obj.target, group) if metadata is not None and metadata.objects else None
        )
    if found is None:
        return Choices((), 0, NO_METADATA_HINT)
    result = matching(found, query)
    if not result.total:
        hint = f"No field matches “{query}”." if query else "The metadata describes no field here."
        return Choices((), 0, hint + " Type the name, or refresh the connection's metadata.")
    return result
