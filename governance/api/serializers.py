from __future__ import annotations

from typing import Any

from rest_framework import serializers

from governance.audit_search import masked
from governance.models import ApiToken, AuditCheckpoint, AuditEntry
from governance.releases.models import Release, ReleaseItem, ReleaseSignoff, ReleaseTestRun


class AuditEntrySerializer(serializers.ModelSerializer[AuditEntry]):
    """One entry of the trail; values under secret-looking names are masked, as on the page."""

    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    event = serializers.CharField(source="event_label", read_only=True)
    model = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()
    additional_data = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "timestamp",
            "actor",
            "action",
            "action_label",
            "event",
            "model",
            "object_pk",
            "object_repr",
            "changes",
            "additional_data",
            "cid",
            "remote_addr",
            "prev_hash",
            "entry_hash",
        ]

    def get_model(self, entry: AuditEntry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"

    def get_changes(self, entry: AuditEntry) -> dict[str, Any]:
        changes: dict[str, Any] = masked(entry.changes or {})
        return changes

    def get_additional_data(self, entry: AuditEntry) -> dict[str, Any] | None:
        data: dict[str, Any] | None = masked(entry.additional_data) if entry.additional_data else None
        return data


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    revoked_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "user",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = fields


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown this once: Concord keeps only its hash")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class ApiTokenInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class AuditCheckpointSerializer(serializers.ModelSerializer[AuditCheckpoint]):
    """A recorded head of the audit chain."""

    recorded_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = AuditCheckpoint
        fields = ["id", "entry_id", "entry_hash", "entry_count", "created_at", "source", "recorded_by"]
        read_only_fields = fields


class ChainReportSerializer(serializers.Serializer[Any]):
    """The verdict of a chain check (``first_break`` is null when the chain is intact)."""

    intact = serializers.BooleanField()
    checked = serializers.IntegerField()
    head = serializers.CharField()
    head_id = serializers.IntegerField(allow_null=True)
    checkpoints_checked = serializers.IntegerField()
    first_break = serializers.DictField(allow_null=True)


class ReleaseItemSerializer(serializers.ModelSerializer[ReleaseItem]):
    """One version a release carries (``flow:<key>``, ``rule:<key>`` or ``lookup:<table>``)."""

    version_id = serializers.IntegerField(read_only=True)
    version_number = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReleaseItem
        fields = ["target", "version_id", "version_number"]


class ReleaseSignoffSerializer(serializers.ModelSerializer[ReleaseSignoff]):
    """One sign-off of a test run (``invalidated_at`` set: voided by a new run or a change of items)."""

    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ReleaseSignoff
        fields = ["role", "user", "note", "test_run", "signed_at", "invalidated_at", "invalidated_reason"]
        read_only_fields = fields


class ReleaseSerializer(serializers.ModelSerializer[Release]):
    """A release: the integration whose versions it carries, its state, its items and sign-offs."""

    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    published_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    items = ReleaseItemSerializer(many=True, read_only=True)
    signoffs = ReleaseSignoffSerializer(many=True, read_only=True)

    class Meta:
        model = Release
        fields = [
            "id",
            "name",
            "integration",
            "status",
            "notes",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
            "previous_release",
            "rolled_back_at",
            "rollback_reason",
            "items",
            "signoffs",
        ]


class ReleaseTestRunSerializer(serializers.ModelSerializer[ReleaseTestRun]):
    """A release's sandbox test run and its evidence (``interrupted``: its worker stopped; retry it)."""

    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ReleaseTestRun
        fields = [
            "id",
            "release",
            "status",
            "passed",
            "requested_by",
            "salesforce_connection",
            "netsuite_connection",
            "opportunity_ids",
            "records_total",
            "records_synced",
            "records_failed",
            "mismatch_count",
            "sync_job_ids",
            "reconciliation_run_ids",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ReleaseTestRetryInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
