"""The pipeline's API: jobs, their records, backfills (re-runs for RevOps and Admin), and the dry run of a
mapping version. Writes call the services the pages call, which check the role again and audit."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import BaseSerializer

from core import labels
from core.api.serializers import KeyLabelField, ReasonInputSerializer, VersionLabelField, display_label
from core.api.views import ApiReadViewSet, ApiViewSet
from sync.integrations.access import integration_scope
from sync.integrations.choice import integration_chosen
from sync.mappings.api import MappingVersionFilterSet
from sync.mappings.models import MappingVersion
from sync.mappings.permissions import can_preview_mappings
from sync.pipeline import jobs
from sync.pipeline import preview as mapping_preview
from sync.pipeline.backfills import backfill_resume
from sync.pipeline.flow_api import urlpatterns as flow_urls
from sync.pipeline.ledger_api import urlpatterns as ledger_urls
from sync.pipeline.listener.api import urlpatterns as listener_urls
from sync.pipeline.models import Backfill, SyncFailure, SyncJob, SyncRecord
from sync.pipeline.permissions import can_rerun
from sync.pipeline.selectors import backfills_visible, jobs_visible, records_visible


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
    flow_label = KeyLabelField(labels.FLOW, source="flow")
    status_label = display_label("status")
    mapping_version = VersionLabelField(source="mapping_version_number")

    class Meta:
        model = SyncJob
        fields = [
            "id",
            "flow",
            "flow_label",
            "trigger",
            "status",
            "status_label",
            "salesforce_connection",
            "netsuite_connection",
            "mapping_version_id",
            "mapping_version",
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
    integration = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        default="",
        help_text="Search this integration's sandbox org (default: the primary integration's)",
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


class SyncJobFilterSet(django_filters.FilterSet):
    class Meta:
        model = SyncJob
        fields = ["status", "flow", "trigger"]


class SyncRecordFilterSet(django_filters.FilterSet):
    class Meta:
        model = SyncRecord
        fields = ["job", "status", "opportunity_id"]


class SyncJobViewSet(ApiReadViewSet):
    serializer_class = SyncJobSerializer
    filterset_class = SyncJobFilterSet
    queryset = SyncJob.objects.none()  # for the schema generator; get_queryset reads
    action_permissions = {"requeue": can_rerun}

    def get_queryset(self) -> QuerySet[SyncJob]:
        return jobs_visible(user=self.user).order_by("-started_at", "-id")

    @extend_schema(
        request=ReasonInputSerializer,
        responses={
            202: inline_serializer(
                "JobRequeued", {"inbox_messages": serializers.ListField(child=serializers.CharField())}
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def requeue(self, request: Request, pk: str) -> Response:
        """Queue an interrupted job's unfinished opportunities again (new inbox events)."""
        job = self.get_object()
        queued = jobs.job_requeue_unfinished(job=job, user=self.user, reason=self.reason(request))
        names = [message.notification_id for message in queued]
        return Response({"inbox_messages": names}, status=status.HTTP_202_ACCEPTED)


class BackfillViewSet(ApiReadViewSet):
    """Backfills and their progress; an interrupted or failed one can be resumed from its cursor."""

    serializer_class = BackfillSerializer
    queryset = Backfill.objects.none()  # for the schema generator; get_queryset reads
    action_permissions = {"resume": can_rerun}

    def get_queryset(self) -> QuerySet[Backfill]:
        return backfills_visible(user=self.user).order_by("-created_at", "-id")

    @extend_schema(request=ReasonInputSerializer, responses={202: BackfillSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str) -> Response:
        """Queue the backfill's next batch again, from its cursor."""
        backfill = backfill_resume(backfill=self.get_object(), actor=self.user, reason=self.reason(request))
        return Response(BackfillSerializer(backfill).data, status=status.HTTP_202_ACCEPTED)


class SyncRecordViewSet(ApiReadViewSet):
    queryset = SyncRecord.objects.none()  # for the schema generator; get_queryset reads
    filterset_class = SyncRecordFilterSet
    action_permissions = {"rerun": can_rerun}

    def get_queryset(self) -> QuerySet[SyncRecord]:
        records = records_visible(user=self.user).order_by("-id")
        return records.prefetch_related("failures") if self.action == "retrieve" else records

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return SyncRecordDetailSerializer if self.action == "retrieve" else SyncRecordSerializer

    @extend_schema(
        request=ReasonInputSerializer,
        responses={
            202: inline_serializer("RerunQueued", {"inbox_message": serializers.CharField()}),
        },
    )
    @action(detail=True, methods=["post"])
    def rerun(self, request: Request, pk: str) -> Response:
        """Queue the record's opportunity again (a new inbox event; the pipeline is idempotent)."""
        message = jobs.record_rerun(record=self.get_object(), user=self.user, reason=self.reason(request))
        return Response({"inbox_message": message.notification_id}, status=status.HTTP_202_ACCEPTED)


class MappingDryRunViewSet(ApiViewSet):
    """The dry run of a mapping version, at mapping-versions/{id}/dry-run/ beside the versions' own API:
    it runs the pipeline's stages against the sandboxes (and writes nothing), so it lives here."""

    queryset = MappingVersion.objects.none()  # for the schema generator; get_queryset reads

    filterset_class = MappingVersionFilterSet  # as on the versions' own API: the same query, the same schema
    # The dry run reads both sandboxes: for the people who make or approve mappings.
    action_permissions = {"dry_run": can_preview_mappings, "opportunities": can_preview_mappings}

    def get_queryset(self) -> QuerySet[MappingVersion]:
        versions = MappingVersion.objects.select_related("flow", "flow__integration")
        return integration_scope(self.user).filter(versions, integration="flow__integration")

    @extend_schema(
        parameters=[DryRunQuerySerializer],
        responses={
            200: PreviewSerializer,
            400: OpenApiResponse(description="{detail}: why it cannot run"),
        },
    )
    @action(detail=True, methods=["get"], url_path="dry-run")
    def dry_run(self, request: Request, pk: str) -> Response:
        """Map one sandbox opportunity (by id or name) with this version and compare with NetSuite's
        sandbox; writes nothing."""
        version = self.get_object()
        query = DryRunQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            preview = mapping_preview.mapping_dry_run(
                version=version, opportunity=query.validated_data["opportunity"]
            )
        except mapping_preview.PreviewUnavailable as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(PreviewSerializer(preview).data)

    @extend_schema(
        parameters=[OpportunitySearchQuerySerializer],
        responses={200: OpportunityChoiceSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def opportunities(self, request: Request) -> Response:
        """Sandbox opportunities to dry-run: those whose name contains ``q``, or whose id it is, in the
        sandbox org of ``integration`` (404 for one outside the caller's scope)."""
        query = OpportunitySearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        integration = integration_chosen(self.user, query.validated_data["integration"])
        try:
            choices = mapping_preview.opportunity_search(
                term=query.validated_data["q"], integration=integration
            )
        except mapping_preview.PreviewUnavailable as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(OpportunityChoiceSerializer(choices, many=True).data)


router = SimpleRouter()
router.register("mapping-versions", MappingDryRunViewSet, basename="mapping-version")
router.register("jobs", SyncJobViewSet, basename="job")
router.register("backfills", BackfillViewSet, basename="backfill")
router.register("records", SyncRecordViewSet, basename="record")
urlpatterns = [*listener_urls, *flow_urls, *ledger_urls, *router.urls]
