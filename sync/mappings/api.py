"""The mappings API: flows, mapping versions and lookup table versions, each through its review:
draft (RevOps) -> submitted -> approved (someone else) -> published. Writes call the services the editor
calls, which check the role again and write the audit entry. ``lookup-tables/<table>/import/`` drafts a
table from NetSuite (:mod:`sync.mappings.services.lookup_import`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import BaseSerializer

from core import labels
from core.api.serializers import REASON, KeyLabelField, VersionLabelField, display_label, username_field
from core.api.views import SLUG, ApiReadViewSet
from sync.connections.connectors.errors import ConnectorError
from sync.connections.services import ConnectionMisconfigured, NoSandboxConnection
from sync.integrations.access import integration_scope
from sync.integrations.choice import ChosenIntegration
from sync.mappings.models import Flow, LookupTable, LookupVersion, MappingVersion
from sync.mappings.permissions import can_approve_mappings, can_edit_mappings
from sync.mappings.services import lookup_versions as lookup_services
from sync.mappings.services import versions as mapping_services
from sync.mappings.services.lookup_import import import_connection, lookup_import
from sync.mappings.services.seed import mapping_shipped_install
from sync.mappings.services.specs import problem_json, spec_all_problems, version_spec

INTEGRATION_HELP = "The integration's name (default: the primary integration)"


def _integration_field() -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", help_text=INTEGRATION_HELP)


class FlowSerializer(serializers.ModelSerializer[Flow]):
    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    key_label = KeyLabelField(labels.FLOW, source="key")

    class Meta:
        model = Flow
        fields = ["integration", "key", "key_label", "source", "target_system", "direction", "description"]


# The review trail every reviewed version has (sync.mappings.models.ReviewedVersion), after its own fields.
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

    created_by = username_field()
    submitted_by = username_field()
    approved_by = username_field()
    published_by = username_field()
    version = VersionLabelField(source="number")
    status_label = display_label("status")


class MappingVersionSerializer(ReviewedVersionSerializer):
    flow: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="key", read_only=True)
    integration = serializers.CharField(source="flow.integration.name", read_only=True)
    flow_label = KeyLabelField(labels.FLOW, source="flow.key")

    class Meta:
        model = MappingVersion
        fields = [
            "id",
            "integration",
            "flow",
            "flow_label",
            "number",
            "version",
            "status",
            "status_label",
            "description",
            *REVIEW_FIELDS,
        ]


class MappingVersionDetailSerializer(MappingVersionSerializer):
    spec = serializers.SerializerMethodField(help_text="The engine's JSON spec the version's rows describe")

    class Meta(MappingVersionSerializer.Meta):
        fields = [*MappingVersionSerializer.Meta.fields, "spec"]

    def get_spec(self, version: MappingVersion) -> dict[str, Any]:
        return version_spec(version)


class MappingDraftInputSerializer(serializers.Serializer[Any]):
    integration = _integration_field()
    flow = serializers.SlugField(help_text="The flow's key")
    based_on = serializers.PrimaryKeyRelatedField(
        queryset=MappingVersion.objects.all(), required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MappingImportInputSerializer(serializers.Serializer[Any]):
    spec = serializers.JSONField(help_text="The whole mapping as its JSON export: format, flow and objects.")


class LookupVersionSerializer(ReviewedVersionSerializer):
    table: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="name", read_only=True)
    integration = serializers.CharField(source="table.integration.name", read_only=True)

    class Meta:
        model = LookupVersion
        fields = ["id", "integration", "table", "number", "version", "status", "status_label", *REVIEW_FIELDS]


class LookupVersionDetailSerializer(LookupVersionSerializer):
    entries = serializers.SerializerMethodField(help_text="{key: value} of this version")

    class Meta(LookupVersionSerializer.Meta):
        fields = [*LookupVersionSerializer.Meta.fields, "entries"]

    def get_entries(self, version: LookupVersion) -> dict[str, Any]:
        return dict(version.entries.order_by("key").values_list("key", "value"))


class LookupDraftInputSerializer(serializers.Serializer[Any]):
    integration = _integration_field()
    table = serializers.SlugField(help_text="The lookup table's name")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    entries = serializers.JSONField(
        required=False, help_text='Replace the copied entries: {"key": value} or [{"key": ..., "value": ...}]'
    )


class LookupEntriesInputSerializer(serializers.Serializer[Any]):
    entries = serializers.JSONField(help_text='{"key": value} or [{"key": ..., "value": ...}]')


class MappingVersionFilterSet(django_filters.FilterSet):
    flow = django_filters.CharFilter(field_name="flow__key", help_text="The flow's key")
    integration = django_filters.CharFilter(field_name="flow__integration__name", help_text=INTEGRATION_HELP)

    class Meta:
        model = MappingVersion
        fields = ["flow", "status", "integration"]


class LookupVersionFilterSet(django_filters.FilterSet):
    table = django_filters.CharFilter(field_name="table__name", help_text="The lookup table's name")
    integration = django_filters.CharFilter(field_name="table__integration__name", help_text=INTEGRATION_HELP)

    class Meta:
        model = LookupVersion
        fields = ["table", "status", "integration"]


class InstalledDraftSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["mapping", "lookup"])
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The flow's key or the lookup table's name")
    number = serializers.IntegerField()


class InstalledDraftsSerializer(serializers.Serializer[Any]):
    drafts = InstalledDraftSerializer(many=True)


class FlowViewSet(ChosenIntegration, ApiReadViewSet):
    """One integration's flows (``?integration=<name>``, the primary integration when none)."""

    serializer_class = FlowSerializer
    lookup_field = "key"
    lookup_value_regex = SLUG
    action_permissions = {"install_shipped": can_edit_mappings}

    def get_queryset(self) -> QuerySet[Flow]:
        return self.of_chosen(Flow.objects.select_related("integration"))

    @extend_schema(request=None, responses={201: InstalledDraftsSerializer, 200: InstalledDraftsSerializer})
    @action(detail=False, methods=["post"], url_path="install-shipped")
    def install_shipped(self, request: Request) -> Response:
        """The shipped flows and lookup tables the integration (``?integration=<name>``) is missing, each
        as a draft version 1 by the caller, for review (four eyes); what exists is left alone (200 with no
        drafts)."""
        made = mapping_shipped_install(user=self.user, integration=self.chosen_integration())
        drafts = [
            {
                "kind": "mapping" if isinstance(version, MappingVersion) else "lookup",
                "id": version.pk,
                "name": version.flow.key if isinstance(version, MappingVersion) else version.table.name,
                "number": version.number,
            }
            for version in made
        ]
        answer = InstalledDraftsSerializer({"drafts": drafts}).data
        return Response(answer, status=status.HTTP_201_CREATED if made else status.HTTP_200_OK)


class VersionProblemSerializer(serializers.Serializer[Any]):
    severity = serializers.ChoiceField(choices=["error", "warning", "info"])
    object_key = serializers.CharField()
    field = serializers.CharField(help_text="The row id (group/row inside a group)")
    target = serializers.CharField()
    message = serializers.CharField(help_text="What is wrong and what to change")
    text = serializers.CharField(help_text="The problem as the console shows it")


class VersionProblemsSerializer(serializers.Serializer[Any]):
    problems = VersionProblemSerializer(many=True)


class MappingVersionViewSet(ChosenIntegration, ApiReadViewSet):
    """Mapping versions of every integration the caller may see (``?integration=<name>`` narrows them):
    draft (RevOps) -> submitted -> approved (someone else) -> published."""

    queryset = MappingVersion.objects.none()  # for the schema generator; get_queryset reads

    filterset_class = MappingVersionFilterSet
    # Creating and submitting also checks per-flow access in the service (flow_edit_allowed); the dry run
    # is served by sync.pipeline.api at the same address (mapping-versions/{id}/dry-run/).
    action_permissions = {
        "create": can_edit_mappings,
        "import_spec": can_edit_mappings,
        "submit": can_edit_mappings,
        "approve": can_approve_mappings,
        "reject": can_approve_mappings,
        "publish": can_approve_mappings,
        "rollback": can_approve_mappings,
    }

    def get_queryset(self) -> QuerySet[MappingVersion]:
        versions = MappingVersion.objects.select_related(
            "flow", "flow__integration", "created_by", "submitted_by", "approved_by", "published_by"
        ).order_by("flow__integration_id", "flow__key", "-number")
        return integration_scope(self.user).filter(versions, integration="flow__integration")

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return MappingVersionSerializer
        return MappingVersionDetailSerializer

    @extend_schema(request=MappingDraftInputSerializer, responses={201: MappingVersionDetailSerializer})
    def create(self, request: Request) -> Response:
        """A new draft of a flow: a copy of ``based_on``, or of the published version."""
        data = self.input(MappingDraftInputSerializer, request)
        integration = self.chosen_integration(data["integration"])
        flow = Flow.objects.filter(integration=integration, key=data["flow"]).first()
        if flow is None:
            raise ValidationError({"flow": [f"No flow {data['flow']!r} in integration {integration.name}."]})
        draft = mapping_services.version_create_draft(
            flow=flow, user=self.user, based_on=data.get("based_on"), notes=data["notes"]
        )
        return Response(MappingVersionDetailSerializer(draft).data, status=status.HTTP_201_CREATED)

    def _move(self, request: Request, service: Callable[..., MappingVersion], **kwargs: Any) -> Response:
        version = service(user=self.user, reason=self.reason(request), **kwargs)
        return Response(MappingVersionDetailSerializer(version).data)

    @extend_schema(request=MappingImportInputSerializer, responses={200: MappingVersionDetailSerializer})
    @action(detail=True, methods=["post"], url_path="import")
    def import_spec(self, request: Request, pk: str) -> Response:
        """Replace a draft's rows with a whole mapping (its JSON export, edited): every row, its
        conditions, transforms and the ``optional`` flag. Refused, with every problem listed, when the
        engine finds the mapping invalid; only drafts can change."""
        data = self.input(MappingImportInputSerializer, request)
        version = mapping_services.version_import(
            version=self.get_object(), spec=data["spec"], user=self.user
        )
        return Response(MappingVersionDetailSerializer(version).data)

    @REASON
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_submit, version=self.get_object())

    @extend_schema(responses={200: VersionProblemsSerializer})
    @action(detail=True, methods=["get"])
    def problems(self, request: Request, pk: str) -> Response:
        """The version's problems: the engine's, then the check against the sandbox connections' metadata
        (``error`` refuses submit and publish; ``warning`` and ``info`` do not)."""
        version = self.get_object()
        found = spec_all_problems(version_spec(version), version.flow.integration)
        return Response(VersionProblemsSerializer({"problems": [problem_json(p) for p in found]}).data)

    @REASON
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_approve, version=self.get_object())

    @REASON
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_reject, version=self.get_object())

    @REASON
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._move(request, mapping_services.version_publish, version=self.get_object())

    @REASON
    @action(detail=True, methods=["post"])
    def rollback(self, request: Request, pk: str) -> Response:
        """Republish this (superseded) version's content as a new version."""
        return self._move(request, mapping_services.version_rollback, to=self.get_object())


class LookupVersionViewSet(ChosenIntegration, ApiReadViewSet):
    """Lookup table versions of every integration the caller may see (``?integration=<name>`` narrows
    them): draft (RevOps) -> submitted -> approved (someone else) -> published. The sync maps with a
    table's published version only."""

    queryset = LookupVersion.objects.none()  # for the schema generator; get_queryset reads

    filterset_class = LookupVersionFilterSet
    action_permissions = {
        "create": can_edit_mappings,
        "entries": can_edit_mappings,
        "submit": can_edit_mappings,
        "approve": can_approve_mappings,
        "reject": can_approve_mappings,
        "publish": can_approve_mappings,
    }

    def get_queryset(self) -> QuerySet[LookupVersion]:
        queryset = LookupVersion.objects.select_related(
            "table", "table__integration", "created_by", "submitted_by", "approved_by", "published_by"
        ).order_by("table__integration_id", "table__name", "-number")
        return integration_scope(self.user).filter(queryset, integration="table__integration")

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return LookupVersionSerializer
        return LookupVersionDetailSerializer

    @extend_schema(request=LookupDraftInputSerializer, responses={201: LookupVersionDetailSerializer})
    def create(self, request: Request) -> Response:
        """A new draft of a table (a copy of its published version), its entries replaced if given."""
        data = self.input(LookupDraftInputSerializer, request)
        integration = self.chosen_integration(data["integration"])
        table = LookupTable.objects.filter(integration=integration, name=data["table"]).first()
        if table is None:
            raise ValidationError(
                {"table": [f"No lookup table {data['table']!r} in integration {integration.name}."]}
            )
        draft = lookup_services.lookup_version_create_draft(
            table=table, user=self.user, notes=data["notes"], entries=data.get("entries")
        )
        return Response(LookupVersionDetailSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LookupEntriesInputSerializer, responses={200: LookupVersionDetailSerializer})
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, pk: str) -> Response:
        """Replace a draft's entries."""
        data = self.input(LookupEntriesInputSerializer, request)
        version = lookup_services.lookup_version_import(
            version=self.get_object(), entries=data["entries"], user=self.user
        )
        return Response(LookupVersionDetailSerializer(version).data)

    def _move(self, request: Request, service: Callable[..., LookupVersion]) -> Response:
        version = service(version=self.get_object(), user=self.user, reason=self.reason(request))
        return Response(LookupVersionDetailSerializer(version).data)

    @REASON
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_submit)

    @REASON
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_approve)

    @REASON
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_reject)

    @REASON
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._move(request, lookup_services.lookup_version_publish)


class LookupTableSerializer(serializers.ModelSerializer[LookupTable]):
    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = LookupTable
        fields = ["integration", "name", "description", "revision", "updated_at"]


class LookupImportInputSerializer(serializers.Serializer[Any]):
    connection = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=80,
        help_text="The NetSuite connection's name (default: the sandbox connection)",
    )


class LookupImportRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    value = serializers.JSONField(required=False)
    before = serializers.JSONField(required=False)
    after = serializers.JSONField(required=False)
    netsuite_name = serializers.CharField()


class LookupImportSerializer(serializers.Serializer[Any]):
    table = serializers.CharField()
    connection = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["drafted", "already_proposed", "no_change"],
        help_text="drafted: a new draft; already_proposed: a pending version holds it; no_change: the "
        "published entries are NetSuite's",
    )
    version = serializers.IntegerField(allow_null=True, help_text="The draft's id (lookup-versions/<id>/)")
    number = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()
    added = LookupImportRowSerializer(many=True)
    removed = LookupImportRowSerializer(many=True)
    changed = LookupImportRowSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField(), help_text="Ambiguities, inactive records")


class LookupTableViewSet(ChosenIntegration, ApiReadViewSet):
    """One integration's lookup tables (``?integration=<name>``, the primary integration when none; their
    entries are in ``lookup-versions/``); ``import/`` drafts one from NetSuite."""

    serializer_class = LookupTableSerializer
    lookup_field = "name"
    lookup_value_regex = SLUG
    action_permissions = {"netsuite_import": can_edit_mappings}

    def get_queryset(self) -> QuerySet[LookupTable]:
        return self.of_chosen(LookupTable.objects.select_related("integration").order_by("name"))

    @extend_schema(
        request=LookupImportInputSerializer,
        responses={201: LookupImportSerializer, 200: LookupImportSerializer},
    )
    @action(detail=True, methods=["post"], url_path="import", url_name="import")
    def netsuite_import(self, request: Request, name: str) -> Response:
        """Read the table's ids from NetSuite by SuiteQL and draft them for review (four eyes): 201 with
        the draft and its diff against the published version, or 200 when nothing changed (no draft) or
        a pending version already holds them. A table the account cannot give is 400 with the reason;
        NetSuite not answering is 502. Tables not made yet (``item_id_by_sku``, ``price_level_to_id``)
        are made by their first import."""
        data = self.input(LookupImportInputSerializer, request)
        try:
            integration = self.chosen_integration()
            connection = import_connection(data["connection"] or None, integration)
            result = lookup_import(
                table_name=name, user=self.user, connection=connection, integration=integration
            )
        except (NoSandboxConnection, ConnectionMisconfigured) as error:
            return Response({"non_field_errors": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        except ConnectorError as error:
            return Response(
                {"detail": f"NetSuite did not answer: {error}"}, status=status.HTTP_502_BAD_GATEWAY
            )
        answer = LookupImportSerializer(result.as_dict()).data
        return Response(answer, status=status.HTTP_201_CREATED if result.status == "drafted" else 200)


router = SimpleRouter()
router.register("flows", FlowViewSet, basename="flow")
router.register("mapping-versions", MappingVersionViewSet, basename="mapping-version")
router.register("lookup-versions", LookupVersionViewSet, basename="lookup-version")
router.register("lookup-tables", LookupTableViewSet, basename="lookup-table")
urlpatterns = router.urls
