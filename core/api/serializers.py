"""Serializer pieces every area's API shares: the optional reason of an action, and people by username."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers


class ReasonInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# The request body of an action that takes only a reason (written to the audit trail).
REASON = extend_schema(request=ReasonInputSerializer)


def username_field() -> serializers.SlugRelatedField[Any]:
    """A person, shown by username (read only)."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True)
