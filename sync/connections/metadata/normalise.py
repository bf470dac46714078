"""From what the systems answer to :mod:`types`: a Salesforce describe, a NetSuite JSON Schema.

Django-free and pure: the refresh checks a fresh answer with these before it replaces the cache, and the
selectors build :class:`~sync.connections.metadata.types.ObjectInfo` from the stored answers with them.
An answer that is not the shape expected raises :class:`MetadataShapeError` naming where it went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from sync.connections.metadata.types import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    MULTIPICKLIST,
    NUMBER,
    OBJECT,
    OTHER,
    PICKLIST,
    REFERENCE,
    SUBLIST,
    TEXT,
    FieldInfo,
    ObjectInfo,
)


class MetadataShapeError(ValueError):
    """An answer that is not a describe / JSON Schema as documented; the message says where."""


# -- Salesforce ------------------------------------------------------------------------------------

SALESFORCE_TYPES: dict[str, str] = {
    "string": TEXT,
    "textarea": TEXT,
    "email": TEXT,
    "phone": TEXT,
    "url": TEXT,
    "encryptedstring": TEXT,
    "combobox": TEXT,  # a picklist that also takes free text
    "double": NUMBER,
    "currency": NUMBER,
    "percent": NUMBER,
    "int": INTEGER,
    "long": INTEGER,
    "boolean": BOOLEAN,
    "date": DATE,
    "datetime": DATETIME,
    "picklist": PICKLIST,
    "multipicklist": MULTIPICKLIST,
    "reference": REFERENCE,
    "id": ID,
    "address": OBJECT,
    "location": OBJECT,
}


def salesforce_field(raw: Mapping[str, Any]) -> FieldInfo:
    """One entry of a describe's ``fields[]``."""
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise MetadataShapeError(f"a Salesforce field without a name: {dict(raw)!r:.200}")
    native = str(raw.get("type") or "")
    nillable = bool(raw.get("nillable", True))
    createable = bool(raw.get("createable", False))
    length = raw.get("length")
    return FieldInfo(
        name=name,
        label=str(raw.get("label") or name),
        type=SALESFORCE_TYPES.get(native.lower(), OTHER),
        native_type=native,
        nillable=nillable,
        createable=createable,
        updateable=bool(raw.get("updateable", False)),
        # What a create must carry: Salesforce fills a defaulted field (booleans, auto-numbers) itself.
        required=not nillable and createable and not bool(raw.get("defaultedOnCreate", False)),
        custom=bool(raw.get("custom", False)),
        picklist=tuple(
            str(value["value"])
            for value in raw.get("picklistValues") or []
            if isinstance(value, Mapping) and value.get("active", True) and value.get("value") is not None
        ),
        reference_to=tuple(str(target) for target in raw.get("referenceTo") or []),
        relationship_name=str(raw.get("relationshipName") or ""),
        length=int(length) if isinstance(length, int) and length > 0 else None,
    )


def salesforce_object(describe: Mapping[str, Any]) -> ObjectInfo:
    """``sobjects/<Object>/describe/`` as an :class:`ObjectInfo`."""
    name = describe.get("name")
    fields = describe.get("fields")
    if not isinstance(name, str) or not name or not isinstance(fields, list):
        raise MetadataShapeError("not a Salesforce describe: it needs a name and a fields list")
    normalised = [salesforce_field(raw) for raw in fields if isinstance(raw, Mapping)]
    children = {
        str(child["relationshipName"]): str(child.get("childSObject") or "")
        for child in describe.get("childRelationships") or []
        if isinstance(child, Mapping) and child.get("relationshipName")
    }
    return ObjectInfo(
        system="salesforce",
        name=name,
        label=str(describe.get("label") or name),
        fields={f.name: f for f in normalised},
        child_relationships=children,
        createable=bool(describe.get("createable", True)),
        updateable=bool(describe.get("updateable", True)),
    )


def salesforce_object_names(describe_global: Mapping[str, Any]) -> list[str]:
    """The object names of a describeGlobal answer (``GET sobjects/``)."""
    sobjects = describe_global.get("sobjects")
    if not isinstance(sobjects, list):
        raise MetadataShapeError("not a Salesforce describeGlobal answer: no sobjects list")
    return [str(s["name"]) for s in sobjects if isinstance(s, Mapping) and s.get("name")]


# -- NetSuite --------------------------------------------------------------------------------------

# Hypermedia, not data: every NetSuite record and sublist line carries ``links``.
NETSUITE_SKIPPED = frozenset({"links"})
_CATALOG_MARK = "metadata-catalog/"


def netsuite_object(record_type: str, schema: Mapping[str, Any]) -> ObjectInfo:
    """A record type's JSON Schema (``metadata-catalog/<type>``, ``application/schema+json``) as an
    :class:`ObjectInfo`.

    ``title`` is the label, ``type``/``format`` the value type, ``readOnly`` means neither createable nor
    updateable, ``x-ns-custom-field`` marks custom fields, ``enum`` gives picklist values; an object with
    ``id``/``refName`` is a reference, an object holding an ``items`` array is a sublist (its line fields
    in ``sublist_fields``); ``$ref`` to a local definition is followed, to another catalog entry is a
    reference to that record type.
    """
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        raise MetadataShapeError(f"the schema of {record_type} has no properties object")
    context = _SchemaContext(schema)
    required = {str(name) for name in schema.get("required") or []}
    return ObjectInfo(
        system="netsuite",
        name=record_type,
        label=str(schema.get("title") or record_type),
        fields=context.fields(properties, required, depth=0),
    )


class _SchemaContext:
    """Resolves ``$ref`` within one schema document (``#/definitions/...``)."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = self.root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        if not isinstance(target, Mapping):
            raise MetadataShapeError(f"unresolvable $ref {ref!r}")
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return merged

    def fields(
        self, properties: Mapping[str, Any], required: set[str], *, depth: int
    ) -> dict[str, FieldInfo]:
        out: dict[str, FieldInfo] = {}
        for name, raw in properties.items():
            if name in NETSUITE_SKIPPED or not isinstance(raw, Mapping):
                continue
            out[str(name)] = self.field(str(name), raw, name in required, depth=depth)
        return out

    def field(self, name: str, raw: Mapping[str, Any], required: bool, *, depth: int) -> FieldInfo:
        external_ref = raw.get("$ref") if isinstance(raw.get("$ref"), str) else ""
        node = self.resolve(raw)
        json_type = _json_type(node.get("type"))
        fmt = str(node.get("format") or "")
        read_only = bool(node.get("readOnly", False))
        if name == "id" and depth == 0:
            kind = _Kind(ID)
        elif external_ref and not external_ref.startswith("#/"):
            kind = _Kind(REFERENCE, reference_to=_catalog_types(str(external_ref)))
        elif isinstance(node.get("enum"), list):
            kind = _Kind(PICKLIST, picklist=_values(node["enum"]))
        elif json_type == "object":
            kind = self.structured(node, depth=depth)
        elif json_type == "array":
            items = self.resolve(node.get("items") or {})
            enum = items.get("enum")
            kind = _Kind(MULTIPICKLIST, picklist=_values(enum)) if isinstance(enum, list) else _Kind(OTHER)
        elif json_type == "string":
            kind = _Kind({"date": DATE, "date-time": DATETIME}.get(fmt, TEXT))
        else:
            kind = _Kind({"number": NUMBER, "integer": INTEGER, "boolean": BOOLEAN}.get(json_type, OTHER))
        max_length = node.get("maxLength")
        return FieldInfo(
            name=name,
            label=str(node.get("title") or name),
            type=kind.type,
            native_type=f"{json_type}/{fmt}" if fmt else (json_type or ("$ref" if external_ref else "")),
            nillable=bool(node.get("nullable", True)),
            createable=not read_only,
            updateable=not read_only,
            required=required and not read_only,
            custom=bool(node.get("x-ns-custom-field", False)),
            picklist=kind.picklist,
            reference_to=kind.reference_to,
            length=max_length if isinstance(max_length, int) and max_length > 0 else None,
            sublist_fields=kind.sublist,
        )

    def structured(self, node: Mapping[str, Any], *, depth: int) -> _Kind:
        """An ``object`` field: a sublist, a reference, a select with fixed values, or a subrecord."""
        raw_props = node.get("properties")
        props: Mapping[str, Any] = raw_props if isinstance(raw_props, Mapping) else {}
        items = props.get("items")
        if isinstance(items, Mapping) and _json_type(self.resolve(items).get("type")) == "array":
            line = self.resolve(self.resolve(items).get("items") or {})
            line_props = line.get("properties")
            fields: dict[str, FieldInfo] = {}
            if isinstance(line_props, Mapping) and depth < 2:
                line_required = {str(n) for n in line.get("required") or []}
                fields = self.fields(line_props, line_required, depth=depth + 1)
            return _Kind(SUBLIST, sublist=fields)
        if "id" in props or "refName" in props:
            id_node = self.resolve(props.get("id") or {})
            if isinstance(id_node.get("enum"), list):  # a select with fixed values: {"id": one of enum}
                return _Kind(PICKLIST, picklist=_values(id_node["enum"]))
            return _Kind(REFERENCE, reference_to=_linked_types(node))
        return _Kind(OBJECT)  # a subrecord (an address) or another structured value


@dataclass(frozen=True)
class _Kind:
    type: str
    picklist: tuple[str, ...] = ()
    reference_to: tuple[str, ...] = ()
    sublist: Mapping[str, FieldInfo] = dc_field(default_factory=dict)


def _values(values: list[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values if v is not None)


def _json_type(value: Any) -> str:
    """``"string"``, or the first non-null member of a type list (``["string", "null"]``)."""
    if isinstance(value, list):
        value = next((v for v in value if v != "null"), "")
    return str(value or "")


def _catalog_types(text: str) -> tuple[str, ...]:
    """The record type a catalog URL names (``.../metadata-catalog/currency`` -> ``("currency",)``)."""
    if _CATALOG_MARK not in text:
        return ()
    name = text.split(_CATALOG_MARK, 1)[1].split("?")[0].strip("/").split("/")[0]
    return (name,) if name else ()


def _linked_types(node: Mapping[str, Any]) -> tuple[str, ...]:
    """The record types a reference's hyper-schema ``links`` point at (one per type it may name:
    ``entity`` may be a customer or a contact), in order, without repeats."""
    names: list[str] = []
    for link in node.get("links") or []:
        href = str(link.get("href") or "") if isinstance(link, Mapping) else ""
        names.extend(_catalog_types(href))
    return tuple(dict.fromkeys(names))
