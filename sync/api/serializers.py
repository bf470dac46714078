"""What the sync area's API shows and accepts. Output serializers read models; input serializers only
check the shape of a request, the services decide the rest. No serializer ever shows a secret."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from rest_framework import serializers

from sync.connections.forms import SECRET_NAMES
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import EDITABLE_FIELDS
from sync.exceptions.forms import SYSTEM_NAMES, value_choice_label
from sync.exceptions.models import ExceptionEvent, ExceptionItem, ExceptionOverride
from sync.mappings.models import Flow, LookupTable, LookupVersion, MappingVersion
from sync.mappings.services.specs import version_spec
from sync.matching.models import MatchChoice
from sync.pipeline.models import Backfill, Listener, ListenerKind, SyncFailure, SyncJob, SyncRecord
from sync.rules.engine.ruleset import PLACEMENTS, SEVERITIES, SUBJECTS
from sync.rules.models import Rule, RuleVersion
from sync.rules.services import CONTENT_FIELDS

RULE_SEVERITY_CHOICES = list(SEVERITIES.items())


def _username() -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(slug_field="username", read_only=True)


# -- connections -------------------------------------------------------------------------------------


class ConnectionSerializer(serializers.ModelSerializer[Connection]):
    """A connection as everyone with a role reads it: the names of the secrets that are set, no values."""

    class Meta:
        model = Connection
        fields = [
            "id",
            *EDITABLE_FIELDS,
            "secret_keys",
            "secrets_changed_at",
            "is_active",
            "last_tested_at",
            "last_test_ok",
            "last_test_message",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ListenerSerializer(serializers.ModelSerializer[Listener]):
    """A listener as everyone with a role reads it: never its URL (only its hash is kept)."""

    salesforce_connection: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    netsuite_connection: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = Listener
        fields = [
            "id",
            "name",
            "kind",
            "allowed_org_id",
            "salesforce_connection",
            "netsuite_connection",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class ListenerInputSerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=80)
    kind = serializers.ChoiceField(choices=ListenerKind.choices, default=ListenerKind.OUTBOUND_MESSAGE)
    salesforce_connection = serializers.SlugRelatedField(
        slug_field="name", queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True)
    )
    netsuite_connection = serializers.SlugRelatedField(
        slug_field="name", queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
    )
    allowed_org_id = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    signing_secret = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", write_only=True, trim_whitespace=False
    )
    base_url = serializers.URLField(
        required=False, help_text="The console's address as the sender reaches it (default: this request's)"
    )


class ListenerBaseUrlSerializer(serializers.Serializer[Any]):
    base_url = serializers.URLField(
        required=False, help_text="The console's address as the sender reaches it (default: this request's)"
    )


class ListenerCreatedSerializer(ListenerSerializer):
    url = serializers.CharField(read_only=True, help_text="The listener's URL, shown only in this answer")

    class Meta(ListenerSerializer.Meta):
        fields = [*ListenerSerializer.Meta.fields, "url"]
        read_only_fields = fields


class ListenerUrlSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(read_only=True, help_text="The listener's new URL, shown only in this answer")


class ConnectionSecretsSerializer(serializers.Serializer[Any]):
    """Write-only: each secret the auth method uses (a blank or missing one keeps the stored value)."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            name: serializers.CharField(
                required=False, allow_blank=True, write_only=True, max_length=20000, trim_whitespace=False
            )
            for name in SECRET_NAMES
        }


class ConnectionInputSerializer(serializers.ModelSerializer[Connection]):
    """The settings an admin sets (the services' EDITABLE_FIELDS) and the secrets, which never come back."""

    secrets = ConnectionSecretsSerializer(required=False, write_only=True)

    class Meta:
        model = Connection
        fields = [*EDITABLE_FIELDS, "secrets"]


# -- flows and mapping versions --------------------------------------------------------------------------


class FlowSerializer(serializers.ModelSerializer[Flow]):
    class Meta:
        model = Flow
        fields = ["key", "source", "target_system", "direction", "description"]


# The review trail every reviewed version has (sync.models.ReviewedVersion), after its own fields.
REVIEW_FIELDS = [
    "notes",
    "based_on",
    "created_by",
    "created_at",
    "submitted_by",
    "submitted_at",
    "approved_by",
    "approved_at",
    "published_by",
    "published_at",
]


class ReviewedVersionSerializer(serializers.ModelSerializer[Any]):
    """Who made, submitted, approved and published a version, by username."""

    created_by = _username()
    submitted_by = _username()
    approved_by = _username()
    published_by = _username()


class MappingVersionSerializer(ReviewedVersionSerializer):
    flow: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = MappingVersion
        fields = ["id", "flow", "number", "status", "description", *REVIEW_FIELDS]


class MappingVersionDetailSerializer(MappingVersionSerializer):
    spec = serializers.SerializerMethodField(help_text="The engine's JSON spec the version's rows describe")

    class Meta(MappingVersionSerializer.Meta):
        fields = [*MappingVersionSerializer.Meta.fields, "spec"]

    def get_spec(self, version: MappingVersion) -> dict[str, Any]:
        return version_spec(version)


class MappingDraftInputSerializer(serializers.Serializer[Any]):
    flow: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", queryset=Flow.objects.all()
    )
    based_on = serializers.PrimaryKeyRelatedField(
        queryset=MappingVersion.objects.all(), required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReasonInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DryRunQuerySerializer(serializers.Serializer[Any]):
    opportunity = serializers.CharField(
        max_length=255, help_text="The opportunity's Salesforce id (15 or 18 characters) or its name"
    )


class OpportunitySearchQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Part of an opportunity's name, or its id (none: no opportunities)",
    )


class OpportunityChoiceSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    name = serializers.CharField()
    stage = serializers.CharField()
    account = serializers.CharField()


class FieldDifferenceSerializer(serializers.Serializer[Any]):
    path = serializers.CharField()
    netsuite = serializers.JSONField(help_text="What NetSuite holds now (null when absent)")
    mapped = serializers.JSONField(help_text="What the mapping would send (null for a line removed)")
    change = serializers.CharField(help_text="changed, or added / removed for a whole sublist line")


class PreviewRecordSerializer(serializers.Serializer[Any]):
    object_key = serializers.CharField()
    target_type = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    mode = serializers.CharField()
    exists = serializers.BooleanField(help_text="NetSuite holds the record now")
    written = serializers.BooleanField(
        help_text="The sync would write it (create-only records are not updated)"
    )
    unchanged_since_sync = serializers.BooleanField(
        help_text="The payload is the one last synced: the sync skips the record until Salesforce changes"
    )
    netsuite_id = serializers.SerializerMethodField()
    body = serializers.JSONField(help_text="What the sync would send")
    differences = FieldDifferenceSerializer(many=True)

    def get_netsuite_id(self, record: Any) -> str | None:
        return str(record.current["id"]) if record.current else None


class PreviewSerializer(serializers.Serializer[Any]):
    opportunity_id = serializers.CharField()
    opportunity_name = serializers.CharField()
    stage = serializers.CharField()
    won = serializers.BooleanField(help_text="The sync writes won opportunities only")
    problems = serializers.ListField(child=serializers.CharField())
    records = PreviewRecordSerializer(many=True)


# -- lookup tables -------------------------------------------------------------------------------------


class LookupVersionSerializer(ReviewedVersionSerializer):
    table: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = LookupVersion
        fields = ["id", "table", "number", "status", *REVIEW_FIELDS]


class LookupVersionDetailSerializer(LookupVersionSerializer):
    entries = serializers.SerializerMethodField(help_text="{key: value} of this version")

    class Meta(LookupVersionSerializer.Meta):
        fields = [*LookupVersionSerializer.Meta.fields, "entries"]

    def get_entries(self, version: LookupVersion) -> dict[str, Any]:
        return dict(version.entries.order_by("key").values_list("key", "value"))


class LookupDraftInputSerializer(serializers.Serializer[Any]):
    table: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=LookupTable.objects.all()
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    entries = serializers.JSONField(
        required=False, help_text='Replace the copied entries: {"key": value} or [{"key": ..., "value": ...}]'
    )


class LookupEntriesInputSerializer(serializers.Serializer[Any]):
    entries = serializers.JSONField(help_text='{"key": value} or [{"key": ..., "value": ...}]')


# -- rules ---------------------------------------------------------------------------------------------


class RuleContentInputSerializer(serializers.Serializer[Any]):
    """A rule version's text (the services' CONTENT_FIELDS); the service checks the condition."""

    name = serializers.CharField(max_length=200)
    subject = serializers.ChoiceField(choices=list(SUBJECTS.items()))
    placement = serializers.ChoiceField(choices=list(PLACEMENTS.items()))
    severity = serializers.ChoiceField(choices=RULE_SEVERITY_CHOICES)
    message = serializers.CharField(max_length=500)
    owner = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    condition = serializers.CharField(max_length=20000)


class RuleCreateInputSerializer(RuleContentInputSerializer):
    key = serializers.SlugField(max_length=80)


class RuleVersionSerializer(serializers.ModelSerializer[RuleVersion]):
    rule: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="key", read_only=True)
    created_by = _username()
    updated_by = _username()
    submitted_by = _username()
    approved_by = _username()
    published_by = _username()

    class Meta:
        model = RuleVersion
        fields = [
            "id",
            "rule",
            "number",
            "status",
            *CONTENT_FIELDS,
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "published_by",
            "published_at",
        ]


class RuleSerializer(serializers.ModelSerializer[Rule]):
    created_by = _username()
    versions = RuleVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Rule
        fields = ["key", "created_by", "created_at", "versions"]


# -- jobs and records --------------------------------------------------------------------------------------


class BackfillSerializer(serializers.ModelSerializer[Backfill]):
    class Meta:
        model = Backfill
        fields = [
            "id",
            "since",
            "status",
            "salesforce_connection",
            "netsuite_connection",
            "total",
            "done",
            "failed",
            "batch_size",
            "batches",
            "cursor",
            "heartbeat_at",
            "interruptions",
            "interrupted_at",
            "error",
            "started_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class SyncJobSerializer(serializers.ModelSerializer[SyncJob]):
    class Meta:
        model = SyncJob
        fields = [
            "id",
            "flow",
            "trigger",
            "status",
            "salesforce_connection",
            "netsuite_connection",
            "mapping_version_id",
            "worker",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "records_total",
            "records_synced",
            "records_failed",
            "netsuite_writes",
            "netsuite_writes_skipped",
            "message",
        ]


class SyncFailureSerializer(serializers.ModelSerializer[SyncFailure]):
    class Meta:
        model = SyncFailure
        exclude = ["record"]


class SyncRecordSerializer(serializers.ModelSerializer[SyncRecord]):
    class Meta:
        model = SyncRecord
        exclude = ["exchanges"]


class SyncRecordDetailSerializer(serializers.ModelSerializer[SyncRecord]):
    """With the request/response excerpts (secrets masked when recorded) and the failures."""

    failures = SyncFailureSerializer(many=True, read_only=True)

    class Meta:
        model = SyncRecord
        fields = "__all__"


# -- exceptions ----------------------------------------------------------------------------------------


class ExceptionItemSerializer(serializers.ModelSerializer[ExceptionItem]):
    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    subsidiary: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    owner_user = _username()
    owner_group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = ExceptionItem
        exclude = ["retry_kwargs"]


class ExceptionEventSerializer(serializers.ModelSerializer[ExceptionEvent]):
    actor = _username()
    action_label = serializers.CharField(source="get_action_display", read_only=True)

    class Meta:
        model = ExceptionEvent
        exclude = ["item"]


class ExceptionOverrideSerializer(serializers.ModelSerializer[ExceptionOverride]):
    proposed_by = _username()
    approved_by = _username()

    class Meta:
        model = ExceptionOverride
        exclude = ["item"]


class ExceptionDetailSerializer(ExceptionItemSerializer):
    events = ExceptionEventSerializer(many=True, read_only=True)
    overrides = ExceptionOverrideSerializer(many=True, read_only=True)


class OverrideInputSerializer(ReasonInputSerializer):
    field = serializers.CharField(max_length=200)
    new_value = serializers.JSONField(required=False, allow_null=True, default=None)


class AcceptOtherInputSerializer(ReasonInputSerializer):
    """Take one system's value of ``field``: ``salesforce`` (keep Salesforce's value) or ``netsuite``
    (accept NetSuite's value)."""

    field = serializers.CharField(max_length=200)
    system = serializers.ChoiceField(choices=[(key, value_choice_label(key)) for key in SYSTEM_NAMES])


class AssignInputSerializer(ReasonInputSerializer):
    """One person (a username) or one group (a name)."""

    owner_user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    owner_group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )


class CommentInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=4000)


class MatchDecisionInputSerializer(ReasonInputSerializer):
    """A duplicate suspect's answer: ``link`` one listed candidate (``netsuite_id``) or ``create_new``."""

    choice = serializers.ChoiceField(choices=MatchChoice.choices)
    netsuite_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
