"""Custom fields an administrator adds while the org runs (Setup > Object Manager > Fields & Relationships).

``POST /_control/salesforce/custom-fields`` with ``{"object", "name", "label"?, "type", ...}`` adds one:
it is in describe at once, queryable by SOQL and writable through REST and Collections. Definitions are
kept in the org's file (``_custom_field``) and re-applied on every start, so a restart on the same data
directory keeps them. Types, as Setup names them:

- ``Text`` (``length`` 1..255, default 255), ``TextArea`` (255), ``LongTextArea`` (``length`` up to
  131072, default 32768), ``Email``, ``Phone``, ``Url``
- ``Number`` and ``Currency`` and ``Percent`` (``precision`` 1..18, ``scale`` 0..precision; defaults
  18 and 2, 0 for Number), ``Checkbox`` (``default`` true/false), ``Date``, ``DateTime``
- ``Picklist`` with ``values`` (a non-empty list of distinct texts) and ``restricted`` (default false)

``externalId: true`` (Text, Number, Email) makes the field usable for upserts, ``unique: true`` too.
Lookups and formulas are not offered.
"""
# ruff: noqa: S608 - table and column names come from validated definitions, values are always bound.

from __future__ import annotations

import json
import re
import sqlite3
import time
from typing import Any

from simulators.salesforce.schema import Field, Schema, SObject
from simulators.salesforce.store import column_type

_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)__c$")
_MAX_NAME = 40  # characters before __c
# Setup's type name -> describe's.
TYPES = {
    "text": "string",
    "textarea": "textarea",
    "longtextarea": "textarea",
    "email": "email",
    "phone": "phone",
    "url": "url",
    "number": "double",
    "currency": "currency",
    "percent": "percent",
    "checkbox": "boolean",
    "date": "date",
    "datetime": "datetime",
    "picklist": "picklist",
}
_FIXED_LENGTH = {"textarea": 255, "email": 80, "phone": 40, "url": 255}
_EXTERNAL_ID_TYPES = {"text", "number", "email"}


class CustomFieldError(ValueError):
    """A definition the org refuses; the message says what to change."""


def _whole(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise CustomFieldError(f"{name} must be a whole number from {low} to {high}")
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if not isinstance(value, bool):
        raise CustomFieldError(f"{name} must be true or false")
    return value


def field_from_definition(schema: Schema, body: Any) -> tuple[SObject, Field]:
    """Validate a definition against the org's schema; the object and the new field, or an error."""
    if not isinstance(body, dict):
        raise CustomFieldError("send a JSON object")
    object_name, name, kind = body.get("object"), body.get("name"), body.get("type")
    if not isinstance(object_name, str) or not object_name:
        raise CustomFieldError("object is required (the API name of an sObject, e.g. Opportunity)")
    sobject = schema.get(object_name)
    if sobject is None:
        raise CustomFieldError(f"the org has no object {object_name!r}")
    if not isinstance(name, str) or not _NAME.match(name) or len(name) - 3 > _MAX_NAME:
        raise CustomFieldError(
            "name must be a custom field API name ending in __c: a letter first, then letters, digits "
            f"and single underscores, at most {_MAX_NAME} characters before __c (e.g. Region__c)"
        )
    existing = sobject.field(name)
    if existing is not None:
        raise CustomFieldError(f"{sobject.name} already has a field named {existing.name}")
    if not isinstance(kind, str) or kind.lower() not in TYPES:
        raise CustomFieldError(
            "type must be one of Text, TextArea, LongTextArea, Email, Phone, Url, Number, Currency, "
            "Percent, Checkbox, Date, DateTime, Picklist"
        )
    kind = kind.lower()
    label = body.get("label", name[:-3].replace("_", " "))
    if not isinstance(label, str) or not label.strip() or len(label) > 40:
        raise CustomFieldError("label must be a text of 1 to 40 characters")
    options: dict[str, Any] = {"custom": True}
    external_id, unique = _flag(body, "externalId"), _flag(body, "unique")
    if (external_id or unique) and kind not in _EXTERNAL_ID_TYPES:
        raise CustomFieldError("externalId and unique are for Text, Number and Email fields")
    options.update(external_id=external_id, unique=unique)
    describe_type = TYPES[kind]
    length = 0
    if kind == "text":
        length = _whole(body, "length", 255, 1, 255)
    elif kind == "longtextarea":
        length = _whole(body, "length", 32768, 256, 131072)
    elif describe_type in _FIXED_LENGTH:
        length = _FIXED_LENGTH[describe_type]
    elif kind in ("number", "currency", "percent"):
        precision = _whole(body, "precision", 18, 1, 18)
        scale = _whole(body, "scale", 0 if kind == "number" else 2, 0, precision)
        options.update(precision=precision, scale=scale)
    elif kind == "checkbox":
        options["default"] = _flag(body, "default")
    elif kind == "picklist":
        values = body.get("values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(value, str) and value.strip() for value in values)
            or len({value.lower() for value in values}) != len(values)
        ):
            raise CustomFieldError("a Picklist needs values: a non-empty list of distinct texts")
        options.update(picklist=tuple(values), restricted=_flag(body, "restricted"))
        length = 255
    return sobject, Field(name, describe_type, label.strip(), length, **options)


def _definition(new_field: Field) -> dict[str, Any]:
    return {
        "type": new_field.type,
        "label": new_field.label,
        "length": new_field.length,
        "precision": new_field.precision,
        "scale": new_field.scale,
        "picklist": list(new_field.picklist),
        "restricted": new_field.restricted,
        "default": new_field.default,
        "external_id": new_field.external_id,
        "unique": new_field.unique,
    }


def _from_stored(name: str, definition: dict[str, Any]) -> Field:
    return Field(
        name,
        definition["type"],
        definition["label"],
        definition["length"],
        precision=definition["precision"],
        scale=definition["scale"],
        picklist=tuple(definition["picklist"]),
        restricted=definition["restricted"],
        default=definition["default"],
        external_id=definition["external_id"],
        unique=definition["unique"],
        custom=True,
    )


def _ensure_column(connection: sqlite3.Connection, sobject: SObject, new_field: Field) -> None:
    present = {row[1] for row in connection.execute(f'PRAGMA table_info("{sobject.table}")')}
    if new_field.name not in present:
        connection.execute(
            f'ALTER TABLE "{sobject.table}" ADD COLUMN "{new_field.name}" {column_type(new_field)}'
        )
    if new_field.external_id:
        connection.execute(
            f'CREATE INDEX IF NOT EXISTS "{sobject.table}_{new_field.name}" '
            f'ON "{sobject.table}" ("{new_field.name}")'
        )


def add_custom_field(
    connection: sqlite3.Connection, schema: Schema, sobject: SObject, new_field: Field
) -> None:
    """Store the definition, add the column and make the field live (call inside a write transaction)."""
    _ensure_column(connection, sobject, new_field)
    connection.execute(
        "INSERT INTO _custom_field (object, name, definition, created_at) VALUES (?, ?, ?, ?)",
        (sobject.name, new_field.name, json.dumps(_definition(new_field)), time.time()),
    )
    schema.add_field(sobject, new_field)


def load_custom_fields(connection: sqlite3.Connection, schema: Schema) -> list[tuple[str, str]]:
    """Re-apply the stored definitions; returns (object, field) pairs skipped because the org's shape
    lacks the object (a CPQ object's field when started with ``--no-cpq``)."""
    skipped = []
    for object_name, name, definition in connection.execute(
        "SELECT object, name, definition FROM _custom_field ORDER BY created_at, object, name"
    ).fetchall():
        sobject = schema.get(object_name)
        if sobject is None:
            skipped.append((object_name, name))
            continue
        if sobject.field(name) is None:
            new_field = _from_stored(name, json.loads(definition))
            _ensure_column(connection, sobject, new_field)
            schema.add_field(sobject, new_field)
    return skipped


def listing(connection: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = connection.execute(
        "SELECT object, name, definition FROM _custom_field ORDER BY created_at, object, name"
    ).fetchall()
    return [{"object": row[0], "name": row[1], **json.loads(row[2])} for row in rows]
