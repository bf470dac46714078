"""The record metadata catalog: JSON Schema and OpenAPI 3.0 built from the simulator's own record types.

As Oracle documents it ("Working with Resource Metadata"):

- ``GET record/v1/metadata-catalog/`` lists the record types, each with links to its metadata in the
  three media types (``application/json``, ``application/swagger+json``, ``application/schema+json``).
- ``GET record/v1/metadata-catalog/<type>`` with ``Accept: application/schema+json`` is a JSON Schema
  (draft-06 hyper-schema) of the record: ``properties`` per body field with ``title``, ``type``,
  ``format`` (``int64``, ``double``, ``date``, ``date-time``), ``nullable``, ``readOnly`` for fields a
  write ignores (internal id, totals, statuses), ``x-ns-custom-field: true`` on custom fields.
- ``Accept: application/swagger+json`` (on the catalog with ``?select=customer,salesorder``, or on one
  type) is an OpenAPI 3.0 document whose ``components.schemas`` hold the same schemas per type.

The simulator's choices where the public pages show no example (documented in the package docstring):
a reference (``entity``, ``currency`` ...) is an object with ``id``/``refName``/``externalId``, and the
hyper-schema ``links`` of the property point at the metadata of each record type it may reference
(``rel: describedby``); a fixed-value field (a select, a country) is an object whose ``id`` carries the
``enum`` of its internal values; a sublist is an object with ``items``, an array of the line schema; an
address subrecord is an object of its fields. The top-level ``required`` lists the fields a create must
carry. What the account does not have (``subsidiary`` without OneWorld) is absent, custom fields added
at run time are present.
"""

from __future__ import annotations

from typing import Any

from simulators.netsuite.catalog import Catalog
from simulators.netsuite.errors import NetSuiteError
from simulators.netsuite.schema import Field, RecordType, Sublist
from simulators.netsuite.values import COUNTRY_NAMES

JSON = "application/json"
SCHEMA_JSON = "application/schema+json"
SWAGGER_JSON = "application/swagger+json"
HYPER_SCHEMA = "https://json-schema.org/draft-06/hyper-schema#"

_SCALARS: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "bool": {"type": "boolean"},
    "int": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "double"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}
_CUSTOM_PREFIXES = ("custentity", "custbody", "custcol", "custitem", "custrecord", "custevent")


def is_custom(name: str) -> bool:
    return name.lower().startswith(_CUSTOM_PREFIXES)


def nonexistent_type(name: str) -> NetSuiteError:
    return NetSuiteError(
        404,
        "NONEXISTENT_ID",
        f"The record type '{name}' does not exist or is not available in the metadata catalog.",
    )


class MetadataCatalog:
    """Answers the metadata-catalog resource from a :class:`Catalog` (custom fields included)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _href(self, base: str, name: str = "") -> str:
        return f"{base}/services/rest/record/v1/metadata-catalog" + (f"/{name}" if name else "")

    def listing(self, base: str) -> dict[str, Any]:
        items = [
            {
                "name": t.name,
                "links": [
                    {"rel": "canonical", "href": self._href(base, t.name), "mediaType": JSON},
                    {"rel": "alternate", "href": self._href(base, t.name), "mediaType": SWAGGER_JSON},
                    {"rel": "alternate", "href": self._href(base, t.name), "mediaType": SCHEMA_JSON},
                    {
                        "rel": "describes",
                        "href": f"{base}/services/rest/record/v1/{t.name}",
                    },
                ],
            }
            for t in self.catalog.types()
        ]
        return {"items": items, "links": [{"rel": "self", "href": self._href(base)}]}

    def resolve(self, names: list[str]) -> list[RecordType]:
        found = []
        for name in names:
            record_type = self.catalog.get(name)
            if record_type is None:
                raise nonexistent_type(name)
            found.append(record_type)
        return found

    # -- JSON Schema ---------------------------------------------------------------------------------

    def json_schema(self, record_type: RecordType, base: str) -> dict[str, Any]:
        answer = self._record_schema(record_type, base)
        answer["$schema"] = HYPER_SCHEMA
        return answer

    def _record_schema(self, record_type: RecordType, base: str) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for field in record_type.fields:
            properties[field.name] = self._property(field, base)
        for sublist in record_type.sublists:
            properties[sublist.name] = self._sublist(sublist, base)
        properties["links"] = {
            "title": "Links",
            "type": "array",
            "readOnly": True,
            "items": {
                "type": "object",
                "properties": {"rel": {"type": "string"}, "href": {"type": "string"}},
            },
        }
        required = [f.name for f in record_type.fields if f.required and not f.readonly]
        required += [s.name for s in record_type.sublists if s.required]
        answer: dict[str, Any] = {"title": record_type.title, "type": "object", "properties": properties}
        if required:
            answer["required"] = required
        return answer

    def _property(self, field: Field, base: str) -> dict[str, Any]:
        shape: dict[str, Any] = {"title": field.title}
        if field.name == "id":
            shape.update({"title": "Internal ID", "type": "string"})
        elif field.kind in _SCALARS:
            shape.update(_SCALARS[field.kind])
        elif field.kind == "ref":
            shape.update(self._reference(field, base))
        elif field.kind in ("select", "country"):
            options = (
                [option_id for option_id, _ in field.options]
                if field.kind == "select"
                else sorted(COUNTRY_NAMES)
            )
            shape.update(
                {
                    "type": "object",
                    "properties": {
                        "id": {"title": "Internal identifier", "type": "string", "enum": options},
                        "refName": {"title": "Reference Name", "type": "string", "readOnly": True},
                    },
                }
            )
        elif field.kind == "address":
            shape.update(
                {
                    "type": "object",
                    "properties": {sub.name: self._property(sub, base) for sub in field.subfields},
                }
            )
        shape["nullable"] = not field.required and field.name != "id"
        if field.readonly:
            shape["readOnly"] = True
        if is_custom(field.name):
            shape["x-ns-custom-field"] = True
        return shape

    def _reference(self, field: Field, base: str) -> dict[str, Any]:
        targets = list(field.ref_types) or [t.name for t in self.catalog.in_table(field.target)]
        return {
            "type": "object",
            "properties": {
                "id": {"title": "Internal identifier", "type": "string"},
                "externalId": {"title": "External identifier", "type": "string"},
                "refName": {"title": "Reference Name", "type": "string", "readOnly": True},
            },
            "links": [
                {"rel": "describedby", "href": self._href(base, name), "mediaType": SCHEMA_JSON}
                for name in targets
                if self.catalog.get(name) is not None
            ],
        }

    def _sublist(self, sublist: Sublist, base: str) -> dict[str, Any]:
        line = {
            "type": "object",
            "properties": {field.name: self._property(field, base) for field in sublist.fields},
        }
        required = [f.name for f in sublist.fields if f.required and not f.readonly]
        if required:
            line["required"] = required
        return {
            "title": sublist.label or sublist.name,
            "type": "object",
            "properties": {
                "items": {"title": "Items", "type": "array", "items": line},
                "totalResults": {"type": "integer", "format": "int64", "readOnly": True},
            },
        }

    # -- OpenAPI 3.0 ---------------------------------------------------------------------------------

    def openapi(self, record_types: list[RecordType], base: str) -> dict[str, Any]:
        schemas: dict[str, Any] = {}
        paths: dict[str, Any] = {}
        for record_type in record_types:
            name = record_type.name
            schemas[name] = self._record_schema(record_type, base)
            schemas[f"{name}Collection"] = {
                "type": "object",
                "properties": {
                    "count": {"type": "integer", "format": "int64"},
                    "hasMore": {"type": "boolean"},
                    "offset": {"type": "integer", "format": "int64"},
                    "totalResults": {"type": "integer", "format": "int64"},
                    "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
                },
            }
            reference = {"$ref": f"#/components/schemas/{name}"}
            error = {"description": "Error response.", "content": {JSON: {"schema": {"type": "object"}}}}
            paths[f"/{name}"] = {
                "get": {
                    "tags": [name],
                    "summary": "Get list of records.",
                    "parameters": [
                        {"name": n, "in": "query", "schema": {"type": t}}
                        for n, t in (("q", "string"), ("limit", "integer"), ("offset", "integer"))
                    ],
                    "responses": {
                        "200": {
                            "description": "Get list of records.",
                            "content": {
                                "application/vnd.oracle.resource+json; type=collection": {
                                    "schema": {"$ref": f"#/components/schemas/{name}Collection"}
                                }
                            },
                        },
                        "default": error,
                    },
                },
                "post": {
                    "tags": [name],
                    "summary": "Insert record.",
                    "requestBody": {"content": {JSON: {"schema": reference}}},
                    "responses": {"204": {"description": "Inserted record."}, "default": error},
                },
            }
            id_parameter = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            paths[f"/{name}/{{id}}"] = {
                method: {
                    "tags": [name],
                    "summary": summary,
                    "parameters": [id_parameter],
                    **({"requestBody": {"content": {JSON: {"schema": reference}}}} if body else {}),
                    "responses": {
                        status: {
                            "description": summary,
                            **({"content": {JSON: {"schema": reference}}} if status == "200" else {}),
                        },
                        "default": error,
                    },
                }
                for method, summary, status, body in (
                    ("get", "Get record.", "200", False),
                    ("patch", "Update record.", "204", True),
                    ("put", "Insert or update record.", "204", True),
                    ("delete", "Remove record.", "204", False),
                )
            }
        return {
            "openapi": "3.0.1",
            "info": {"title": "NetSuite REST Record API", "version": "v1"},
            "servers": [{"url": f"{base}/services/rest/record/v1"}],
            "paths": paths,
            "components": {"schemas": schemas},
        }
