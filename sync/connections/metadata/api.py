"""The metadata API's shapes: ``/api/v1/connections/<id>/metadata/`` (summary and objects),
``.../metadata/<object>/`` (fields) and ``.../metadata/refresh/`` (routes in sync/connections/api.py)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from sync.connections.metadata.selectors import MetadataSummary
from sync.connections.metadata.types import FieldInfo, ObjectInfo

# Field names such as ``label``, ``required`` and ``fields`` are attributes of DRF's own classes, so these
# serializers declare their fields in ``get_fields`` rather than as class attributes.


class MetadataObjectRowSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "name": serializers.CharField(),
            "label": serializers.CharField(),
            "field_count": serializers.IntegerField(),
        }


class MetadataSummarySerializer(serializers.Serializer[Any]):
    """``fetched_at`` null: never refreshed. ``last_error``: why the last refresh failed (empty: it
    worked); the objects are then still those of ``fetched_at``."""

    connection = serializers.CharField(source="connection.name")
    system = serializers.CharField(source="connection.kind")
    fetched_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    available_count = serializers.IntegerField(help_text="Objects / record types the system listed")
    currency_shape = serializers.CharField(
        allow_blank=True,
        help_text="Salesforce: 'multi-currency (corporate USD)' or 'single-currency (EUR)', read from the "
        "org at each refresh; empty when not read (or NetSuite)",
    )
    objects = MetadataObjectRowSerializer(many=True)


class MetadataFieldSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        text = serializers.CharField
        flag = serializers.BooleanField
        return {
            "name": text(),
            "label": text(),
            "type": text(help_text="Normalised: text, number, integer, boolean, date, picklist, ..."),
            "native_type": text(help_text="As the system reports it: currency, string/date, ..."),
            "nillable": flag(),
            "createable": flag(),
            "updateable": flag(),
            "required": flag(help_text="A create must give it"),
            "custom": flag(),
            "picklist": serializers.ListField(child=text()),
            "reference_to": serializers.ListField(child=text()),
            "relationship_name": text(allow_blank=True),
            "length": serializers.IntegerField(allow_null=True),
            "sublist_fields": serializers.ListField(
                child=serializers.DictField(), help_text="A NetSuite sublist's line fields, in this shape"
            ),
        }


class MetadataObjectSerializer(serializers.Serializer[Any]):
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "system": serializers.CharField(),
            "name": serializers.CharField(),
            "label": serializers.CharField(),
            "createable": serializers.BooleanField(),
            "updateable": serializers.BooleanField(),
            "child_relationships": serializers.DictField(child=serializers.CharField()),
            "fields": MetadataFieldSerializer(many=True),
        }


class MetadataRefreshInputSerializer(serializers.Serializer[Any]):
    objects = serializers.ListField(
        child=serializers.CharField(max_length=120),
        required=False,
        help_text="Objects / record types to read besides those Concord needs (e.g. a custom object)",
    )


class MetadataRefreshSerializer(serializers.Serializer[Any]):
    """``ok`` false: the system could not be read, ``message`` says why, the previous cache is kept."""

    ok = serializers.BooleanField()
    message = serializers.CharField()
    fetched_at = serializers.DateTimeField(allow_null=True)
    objects = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Objects Concord could use that the system does not list"
    )


def summary_as_json(summary: MetadataSummary) -> dict[str, Any]:
    data: dict[str, Any] = MetadataSummarySerializer(summary).data
    return data


def field_as_json(info: FieldInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "label": info.label,
        "type": info.type,
        "native_type": info.native_type,
        "nillable": info.nillable,
        "createable": info.createable,
        "updateable": info.updateable,
        "required": info.required,
        "custom": info.custom,
        "picklist": list(info.picklist),
        "reference_to": list(info.reference_to),
        "relationship_name": info.relationship_name,
        "length": info.length,
        "sublist_fields": [field_as_json(line) for line in info.sublist_fields.values()],
    }


def object_as_json(info: ObjectInfo) -> dict[str, Any]:
    return {
        "system": info.system,
        "name": info.name,
        "label": info.label,
        "createable": info.createable,
        "updateable": info.updateable,
        "child_relationships": dict(info.child_relationships),
        "fields": [field_as_json(f) for f in info.fields.values()],
    }
