"""The mapping spec: plain JSON (stored in versioned rows, imported and exported), parsed into dataclasses.

::

    {"format": 1, "flow": "opportunity_to_netsuite", "source": "Opportunity", "target_system": "netsuite",
     "objects": [
       {"key": "customer", "target": "customer", "source_path": "Account",
        "external_id": {"source": "Id"}, "mode": "upsert",
        "fields": [
          {"id": "name", "target": "companyName", "source": "Name", "transforms": ["trim"], "required": true},
          {"id": "subsidiary", "target": "subsidiary.id", "source": "BillingCountry",
           "transforms": [{"fn": "lookup", "table": "country_to_subsidiary"}]},
          {"id": "memo", "target": "comments", "constant": "Synced by Concord", "apply": "create_only"},
          {"id": "terms", "target": "terms.id", "constant": "Net 30", "owner": "netsuite"}]},
       {"key": "sales_order", "target": "salesOrder", "external_id": {"source": "Id"},
        "fields": [
          {"id": "entity", "target": "entity.id", "ref": "customer", "required": true},
          {"id": "lines", "target": "item.items[]", "each": "$.primary_quote.lines",
           "where": {"field": "SBQQ__NetTotal__c", "op": "gt", "value": 0},
           "fields": [{"id": "qty", "target": "quantity", "source": "SBQQ__Quantity__c"}]}]}]}

A field row's value is exactly one of ``source`` (a path), ``constant``, ``ref`` (the target id of the
record another object mapping produced; ``ref_item`` picks the item of a ``for_each`` object) or
``concat`` (a list of value expressions joined by ``separator``), then ``transforms``. A row with
``each`` and ``fields`` is a group: one element per source item. An upsert object may carry a ``match``
block (secondary keys that find an existing record before creating one; see :mod:`sync.matching.engine`).
This module checks the shape; the compiler (``engine.py``) checks paths, transforms, refs and targets.

``owner`` (``salesforce`` or ``netsuite``; default: the flow's source side) names the system of record of
a top-level row, for objects synced both ways. A row the *target* owns is written when the record is
created and never on an update (like ``apply: create_only``); the return flows compare it instead and
record a conflict when the non-owning side changed it (:mod:`sync.pipeline.ownership`). The owner's
value then wins (``on_conflict: owner_wins``, the default) or the conflict is only recorded and the
other side's change left in place (``on_conflict: record_only``).

``optional: true`` marks a row the connected systems may lack the fields of (``CurrencyIsoCode`` exists
only in multi-currency Salesforce orgs, ``subsidiary`` only in OneWorld NetSuite accounts): where the
cached metadata says the org lacks its source field or the account its target field, the row is left
out of the run (not queried, not sent; see sync.pipeline.reads) and validation reports it as
information, not as an error (sync.mappings.metadata_check).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sync.mappings.engine.paths import parse_target
from sync.mappings.engine.problems import SpecError, SpecProblem
from sync.matching.engine import MatchConfig, match_problems, parse_match

FORMAT = 1
MODES = ("upsert", "create_only", "update_only")
APPLY = ("always", "create_only")
WHEN_EMPTY = ("omit", "clear")
TARGET_SYSTEMS = ("netsuite", "salesforce")
OWNERS = ("salesforce", "netsuite")
ON_CONFLICT = ("owner_wins", "record_only")
VALUE_KEYS = ("source", "constant", "ref", "concat")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
_MAPPING_KEYS = {"format", "flow", "source", "target_system", "description", "objects"}
_OBJECT_KEYS = {
    "key",
    "target",
    "source_path",
    "for_each",
    "where",
    "external_id",
    "external_id_field",
    "mode",
    "depends_on",
    "fields",
    "source_id",
    "description",
    "match",
}
_EXPRESSION_KEYS = {"source", "constant", "ref", "ref_item", "concat", "separator", "transforms"}
_FIELD_KEYS = _EXPRESSION_KEYS | {
    "id",
    "target",
    "required",
    "apply",
    "when_empty",
    "note",
    "each",
    "where",
    "fields",
    "owner",
    "on_conflict",
    "optional",
}
MAX_FIELDS = 500
LABEL_LIMIT = 100  # characters of a row id kept as its label


@dataclass(frozen=True)
class Expression:
    """How a value is made: one of source / constant / ref / concat, then a transform chain."""

    kind: str  # "source" | "constant" | "ref" | "concat"
    source: str = ""
    constant: Any = None
    ref: str = ""
    ref_item: str | None = None
    parts: tuple[Any, ...] = ()  # raw value expressions, compiled by the engine
    separator: str = ""
    transforms: tuple[Any, ...] = ()


@dataclass(frozen=True)
class FieldSpec:
    label: str  # the row id, or "#n" by position; nested rows are "group/row"
    target: str
    value: Expression | None  # None for a group
    required: bool = False
    apply: str = "always"
    when_empty: str = "omit"
    note: str = ""
    each: str | None = None
    where: Any = None
    fields: tuple[FieldSpec, ...] = ()
    owner: str = ""  # "" is the flow's source side: see :func:`source_side`
    on_conflict: str = "owner_wins"
    optional: bool = False  # skipped where the connected systems lack its source or target field

    @property
    def is_group(self) -> bool:
        return self.each is not None


def source_side(target_system: str) -> str:
    """The system a flow reads from, which owns its fields unless a row says otherwise."""
    return "salesforce" if target_system == "netsuite" else "netsuite"


@dataclass(frozen=True)
class ObjectSpec:
    key: str
    target: str
    source_path: str = ""
    for_each: str | None = None
    where: Any = None
    external_id: Expression | None = None
    external_id_field: str | None = None
    mode: str = "upsert"
    depends_on: tuple[str, ...] = ()
    source_id: str = ""
    description: str = ""
    fields: tuple[FieldSpec, ...] = ()
    # Matching before create (sync.matching.engine): secondary keys that find an existing record.
    match: MatchConfig | None = None


@dataclass(frozen=True)
class MappingSpec:
    flow: str
    source: str
    target_system: str
    description: str = ""
    objects: tuple[ObjectSpec, ...] = field(default_factory=tuple)


class _Problems:
    def __init__(self) -> None:
        self.items: list[SpecProblem] = []

    def add(self, message: str, object_key: str = "", label: str = "", target: str = "") -> None:
        self.items.append(SpecProblem(object_key, label, target, message))


def parse_spec(data: Any) -> tuple[MappingSpec | None, list[SpecProblem]]:
    """Check the spec's shape and build the dataclasses; returns every problem found.

    The spec comes back even when there are problems (holding what could be read), so the compiler can
    go on to report path and transform problems too; it is None only when ``data`` is not an object.
    """
    problems = _Problems()
    if not isinstance(data, dict):
        problems.add("a mapping is a JSON object with 'flow', 'source' and 'objects'")
        return None, problems.items
    _unknown(data, _MAPPING_KEYS, problems, "")
    flow, source, target_system, description = _mapping_header(data, problems)
    objects = _objects(data.get("objects"), problems)
    spec = MappingSpec(str(flow), str(source), str(target_system), str(description), tuple(objects))
    return spec, problems.items


def _mapping_header(data: dict[str, Any], problems: _Problems) -> tuple[Any, Any, Any, Any]:
    """``flow``, ``source``, ``target_system`` and ``description``, each checked (and kept as given)."""
    if data.get("format", FORMAT) != FORMAT:
        problems.add(f"unsupported format {data.get('format')!r}; this version reads format {FORMAT}")
    flow, source = data.get("flow"), data.get("source")
    for name, value in (("flow", flow), ("source", source)):
        if not isinstance(value, str) or not _NAME.match(value):
            problems.add(f"'{name}' must be a name (letters, digits, _), not {value!r}")
    target_system = data.get("target_system", "netsuite")
    if target_system not in TARGET_SYSTEMS:
        problems.add(f"'target_system' must be one of {', '.join(TARGET_SYSTEMS)}")
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.add("'description' must be text")
    return flow, source, target_system, description


def _objects(objects_data: Any, problems: _Problems) -> list[ObjectSpec]:
    """The object mappings that could be read; their keys must differ."""
    if not isinstance(objects_data, list) or not objects_data:
        problems.add("'objects' must be a non-empty list of object mappings")
        objects_data = []
    objects = []
    for position, item in enumerate(objects_data, start=1):
        parsed = _object(item, position, problems)
        if parsed is not None:
            objects.append(parsed)
    keys = [obj.key for obj in objects]
    for key in sorted({key for key in keys if keys.count(key) > 1}):
        problems.add("two object mappings share this key", key)
    return objects


def _unknown(
    data: dict[str, Any],
    allowed: set[str],
    problems: _Problems,
    object_key: str,
    label: str = "",
    target: str = "",
) -> None:
    extra = sorted(str(key) for key in set(data) - allowed)
    if extra:
        problems.add(f"unknown key(s) {', '.join(map(repr, extra))}", object_key, label, target)


def _object(data: Any, position: int, problems: _Problems) -> ObjectSpec | None:
    if not isinstance(data, dict):
        problems.add(f"object mapping #{position} must be a JSON object")
        return None
    key = data.get("key")
    if not isinstance(key, str) or not _NAME.match(key):
        problems.add(f"object mapping #{position}: 'key' must be a name (letters, digits, _), not {key!r}")
        return None
    _unknown(data, _OBJECT_KEYS, problems, key)
    target = data.get("target")
    if not isinstance(target, str) or not _NAME.match(target):
        problems.add(f"'target' must be a record type name, not {target!r}", key)
    mode = data.get("mode", "upsert")
    if mode not in MODES:
        problems.add(f"'mode' must be one of {', '.join(MODES)}, not {mode!r}", key)
    texts = _object_texts(data, problems, key)
    depends_on = data.get("depends_on", [])
    if not isinstance(depends_on, list) or not all(isinstance(item, str) for item in depends_on):
        problems.add("'depends_on' must be a list of object keys", key)
        depends_on = []
    external_id = _external_id(data, mode, problems, key)
    fields = _object_fields(data.get("fields"), problems, key)
    match = _match(data.get("match"), str(target), mode, problems, key)
    _duplicate_labels(fields, problems, key)
    return ObjectSpec(
        key=key,
        target=str(target),
        source_path=texts["source_path"] or "",
        for_each=texts["for_each"],
        where=data.get("where"),
        external_id=external_id,
        external_id_field=texts["external_id_field"],
        mode=str(mode),
        depends_on=tuple(depends_on),
        source_id=texts["source_id"] or "",
        description=texts["description"] or "",
        fields=fields,
        match=match,
    )


def _object_texts(data: dict[str, Any], problems: _Problems, key: str) -> dict[str, str | None]:
    """The object's optional text settings (None when absent or not text)."""
    texts = {}
    for name in ("source_path", "for_each", "external_id_field", "source_id", "description"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            problems.add(f"'{name}' must be text", key)
            value = None
        texts[name] = value
    if texts["external_id_field"] is not None and not _NAME.match(texts["external_id_field"]):
        problems.add("'external_id_field' must be a field name", key)
    return texts


def _external_id(data: dict[str, Any], mode: Any, problems: _Problems, key: str) -> Expression | None:
    if data.get("external_id") is not None:
        return _expression(data["external_id"], problems, key, "external_id", "", own_keys=set())
    if mode == "upsert":
        problems.add("an upsert needs 'external_id' (the value the record is matched on)", key)
    return None


def _object_fields(fields_data: Any, problems: _Problems, key: str) -> tuple[FieldSpec, ...]:
    if not isinstance(fields_data, list) or not fields_data:
        problems.add("'fields' must be a non-empty list of field mappings", key)
        fields_data = []
    return _fields(fields_data, problems, key, "")


def _duplicate_labels(fields: tuple[FieldSpec, ...], problems: _Problems, key: str) -> None:
    labels = _labels(fields)
    for label in sorted({label for label in labels if labels.count(label) > 1}):
        problems.add("two field rows share this id", key, label)


def _match(data: Any, target: str, mode: Any, problems: _Problems, key: str) -> MatchConfig | None:
    if data is None:
        return None
    found = match_problems(data, target=target)
    if mode != "upsert":
        found.append("'match' needs mode 'upsert' (a matched record is linked, then updated)")
    for message in found:
        problems.add(message, key, "match")
    if found:
        return None
    config = parse_match(data, target=target)
    for match_key in config.keys:
        for role, path in match_key.sources:
            try:
                parse_target(path)
            except SpecError as error:
                problems.add(f"{match_key.kind} {role}: {error}", key, "match")
    return config


def _labels(fields: tuple[FieldSpec, ...]) -> list[str]:
    labels = []
    for row in fields:
        labels.append(row.label)
        labels.extend(_labels(row.fields))
    return labels


def _fields(
    rows: list[Any], problems: _Problems, key: str, prefix: str, depth: int = 0
) -> tuple[FieldSpec, ...]:
    if len(rows) > MAX_FIELDS:
        problems.add(f"at most {MAX_FIELDS} field rows per level", key, prefix)
        return ()
    parsed = []
    for position, row in enumerate(rows, start=1):
        label = f"#{position}"
        if isinstance(row, dict) and isinstance(row.get("id"), str) and row["id"].strip():
            label = row["id"].strip()[:LABEL_LIMIT]
        label = f"{prefix}/{label}" if prefix else label
        if not isinstance(row, dict):
            problems.add("a field row must be a JSON object", key, label)
            continue
        result = _field(row, problems, key, label, depth)
        if result is not None:
            parsed.append(result)
    return tuple(parsed)


def _field(row: dict[str, Any], problems: _Problems, key: str, label: str, depth: int) -> FieldSpec | None:
    count = len(problems.items)
    target = row.get("target")
    shown = target if isinstance(target, str) else ""
    if not isinstance(target, str) or not target:
        problems.add("'target' must be a target path such as companyName or entity.id", key, label)
    _unknown(row, _FIELD_KEYS, problems, key, label, shown)
    options = {}
    for name, allowed, default in (("apply", APPLY, "always"), ("when_empty", WHEN_EMPTY, "omit")):
        options[name] = row.get(name, default)
        if options[name] not in allowed:
            problems.add(f"'{name}' must be one of {', '.join(allowed)}", key, label, shown)
    required, optional = (_flag(row, name, problems, key, label, shown) for name in ("required", "optional"))
    note = row.get("note", "")
    if not isinstance(note, str):
        problems.add("'note' must be text", key, label, shown)
    owner, on_conflict = _owner(row, problems, key, label, shown, depth)
    if "each" in row:
        group = _group(row, problems, key, label, shown, depth, count, options, required is True, note)
        return (
            None
            if group is None
            else replace(group, owner=owner, on_conflict=on_conflict, optional=optional is True)
        )
    if "fields" in row:
        problems.add("'fields' is for a group: add 'each' (the list to iterate)", key, label, shown)
    if "where" in row:
        problems.add(
            "'where' on a field row is for a group (with 'each'); use the 'if' transform", key, label, shown
        )
    value = _expression(row, problems, key, label, shown, own_keys=_FIELD_KEYS - _EXPRESSION_KEYS)
    if len(problems.items) > count or value is None:
        return None
    return FieldSpec(
        label,
        str(target),
        value,
        required is True,
        str(options["apply"]),
        str(options["when_empty"]),
        str(note),
        owner=owner,
        on_conflict=on_conflict,
        optional=optional is True,
    )


def _flag(row: dict[str, Any], name: str, problems: _Problems, key: str, label: str, shown: str) -> Any:
    """The true/false option ``name`` of a row as given (reported when it is not true or false)."""
    value = row.get(name, False)
    if not isinstance(value, bool):
        problems.add(f"'{name}' must be true or false", key, label, shown)
    return value


def _owner(
    row: dict[str, Any], problems: _Problems, key: str, label: str, shown: str, depth: int
) -> tuple[str, str]:
    """The row's ``owner`` ("" when not given) and ``on_conflict``, checked; top-level rows only."""
    owner, on_conflict = row.get("owner", ""), row.get("on_conflict", "owner_wins")
    if "owner" in row and owner not in OWNERS:
        problems.add(f"'owner' must be one of {', '.join(OWNERS)}, not {owner!r}", key, label, shown)
        owner = ""
    if on_conflict not in ON_CONFLICT:
        problems.add(f"'on_conflict' must be one of {', '.join(ON_CONFLICT)}", key, label, shown)
        on_conflict = "owner_wins"
    for name in ("owner", "on_conflict"):
        if depth > 0 and name in row:
            problems.add(
                f"a group's rows take the group's '{name}': set it on the group row", key, label, shown
            )
    return str(owner), str(on_conflict)


def _group(
    row: dict[str, Any],
    problems: _Problems,
    key: str,
    label: str,
    shown: str,
    depth: int,
    count: int,
    options: dict[str, Any],
    required: bool,
    note: Any,
) -> FieldSpec | None:
    each = row.get("each")
    if not isinstance(each, str):
        problems.add("'each' must be a source path to a list", key, label, shown)
    for name in (*VALUE_KEYS, "transforms", "ref_item", "separator"):
        if name in row:
            problems.add(f"a group (with 'each') takes 'fields', not '{name}'", key, label, shown)
    if depth >= 4:
        problems.add("groups nest at most 4 levels", key, label, shown)
        return None
    children = row.get("fields")
    if not isinstance(children, list) or not children:
        problems.add("a group needs 'fields': the rows of each element", key, label, shown)
        children = []
    fields = _fields(children, problems, key, label, depth + 1)
    if len(problems.items) > count:
        return None
    return FieldSpec(
        label,
        shown,
        None,
        required,
        str(options["apply"]),
        str(options["when_empty"]),
        str(note),
        each=str(each),
        where=row.get("where"),
        fields=fields,
    )


def _expression(
    data: Any, problems: _Problems, key: str, label: str, shown: str, own_keys: set[str]
) -> Expression | None:
    kind = _expression_kind(data, problems, key, label, shown, own_keys)
    if kind is None or not _expression_checked(data, kind, problems, key, label, shown):
        return None
    return Expression(
        kind=kind,
        source=data.get("source", "") if kind == "source" else "",
        constant=data.get("constant"),
        ref=data.get("ref", "") if kind == "ref" else "",
        ref_item=data.get("ref_item"),
        parts=tuple(data["concat"]) if kind == "concat" else (),
        separator=data.get("separator", ""),
        transforms=tuple(data.get("transforms", [])),
    )


def _expression_kind(
    data: Any, problems: _Problems, key: str, label: str, shown: str, own_keys: set[str]
) -> str | None:
    """Which one of source, constant, ref, concat ``data`` gives (None, with a problem, when not one)."""
    if not isinstance(data, dict):
        problems.add(
            "a value expression is an object with one of source, constant, ref, concat", key, label, shown
        )
        return None
    if not own_keys:
        _unknown(data, _EXPRESSION_KEYS, problems, key, label, shown)
    kinds = [name for name in VALUE_KEYS if name in data]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        problems.add(f"give exactly one of source, constant, ref, concat (found: {found})", key, label, shown)
        return None
    return kinds[0]


# Shapes that make a value expression unreadable, checked in this order after 'transforms'; the first
# found is reported.
_BROKEN_EXPRESSIONS: tuple[tuple[Callable[[dict[str, Any], str], bool], str], ...] = (
    (
        lambda data, kind: kind == "source" and not isinstance(data["source"], str),
        "'source' must be a path (text)",
    ),
    (
        lambda data, kind: (
            kind == "ref" and (not isinstance(data["ref"], str) or not _NAME.match(data["ref"]))
        ),
        "'ref' must be the key of another object mapping",
    ),
    (
        lambda data, kind: data.get("ref_item") is not None and not isinstance(data["ref_item"], str),
        "'ref_item' must be a path (text)",
    ),
    (
        lambda data, kind: kind == "concat" and (not isinstance(data["concat"], list) or not data["concat"]),
        "'concat' must be a non-empty list of value expressions",
    ),
    (lambda data, kind: not isinstance(data.get("separator", ""), str), "'separator' must be text"),
)


def _expression_checked(
    data: dict[str, Any], kind: str, problems: _Problems, key: str, label: str, shown: str
) -> bool:
    """True when the expression of ``kind`` can be built; a key meant for another kind is only reported."""
    if not isinstance(data.get("transforms", []), list):
        problems.add("'transforms' must be a list", key, label, shown)
        return False
    for name, companion in (("ref_item", "ref"), ("separator", "concat")):
        if name in data and kind != companion:
            problems.add(f"'{name}' goes with '{companion}'", key, label, shown)
    for is_broken, message in _BROKEN_EXPRESSIONS:
        if is_broken(data, kind):
            problems.add(message, key, label, shown)
            return False
    return True


def parse_expression(data: Any) -> Expression:
    """A nested value expression (a ``concat`` part); raises :class:`SpecError` with the first problem."""
    problems = _Problems()
    expression = _expression(data, problems, "", "", "", own_keys=set())
    if expression is None or problems.items:
        raise SpecError(problems.items[0].message if problems.items else "not a value expression")
    return expression
