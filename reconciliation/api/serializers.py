from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core import labels
from core.api.serializers import KeyLabelField, display_label
from reconciliation.checks import CHECKS
from reconciliation.models import Mismatch, ReconciliationRun


class RunSerializer(serializers.ModelSerializer[ReconciliationRun]):
    triggered_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    integration = serializers.CharField(
        source="integration_name", read_only=True, help_text="The integration whose pair the run read"
    )
    progress_percent = serializers.IntegerField(read_only=True)
    mismatch_total = serializers.IntegerField(read_only=True)
    check_label = KeyLabelField(labels.CHECK, source="check_name")
    status_label = display_label("status")

    class Meta:
        model = ReconciliationRun
        fields = [
            "id",
            "check_name",
            "check_label",
            "integration",
            "status",
            "status_label",
            "trigger",
            "triggered_by",
            "progress",
            "progress_percent",
            "counts",
            "totals",
            "mismatch_total",
            "error",
            "note",
            "created_at",
            "started_at",
            "finished_at",
        ]


class RunStartInputSerializer(serializers.Serializer[Any]):
    check = serializers.ChoiceField(choices=sorted(CHECKS))
    integration = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Its name; the primary integration if blank"
    )


class RunRerunInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class MismatchSerializer(serializers.ModelSerializer[Mismatch]):
    finding = serializers.CharField(read_only=True, help_text="The check's name for it: quantity_differs")
    finding_label = serializers.CharField(
        source="label", read_only=True, help_text="The finding for people: Quantity differs"
    )
    kind_label = KeyLabelField(labels.MISMATCH, source="kind")

    class Meta:
        model = Mismatch
        exclude = ["run", "dedup_key"]
