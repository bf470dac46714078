"""Serializer pieces every area's API shares: the optional reason of an action, people by username, and a
key's words beside it (``*_label`` fields, :mod:`core.labels`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from core import labels


class ReasonInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# The request body of an action that takes only a reason (written to the audit trail).
REASON = extend_schema(request=ReasonInputSerializer)


def username_field() -> serializers.SlugRelatedField[Any]:
    """A person, shown by username (read only)."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True)


class KeyLabelField(serializers.CharField):
    """The words for a key of ``domain`` (core/labels.py), read only: ``flow_label =
    KeyLabelField(labels.FLOW, source="flow")`` answers "Closed Won deals to NetSuite" beside the key."""

    def __init__(self, domain: str, **kwargs: Any) -> None:
        self.domain = domain
        kwargs.setdefault("help_text", f"The {domain} in words (the key is beside it)")
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return labels.label(self.domain, value)


class VersionLabelField(serializers.CharField):
    """A version's number as people say it ("v2"), read only; null when there is no version."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", 'The version as people say it ("v2"); null: none (the default)')
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return labels.version_label(value)


def display_label(field: str) -> serializers.CharField:
    """The words of a model choice field ``field`` (its ``get_<field>_display``), read only."""
    return serializers.CharField(
        source=f"get_{field}_display", read_only=True, help_text=f"The {field} in words"
    )
