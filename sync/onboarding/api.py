"""The integrations API (/api/v1/integrations/): every role reads the integrations it may see (a person
limited to some integrations sees only those; another is a 404); admins create, change, deactivate and
onboard them through the services the pages and commands call."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.serializers import REASON
from core.api.views import ApiReadViewSet
from sync.connections.models import Connection
from sync.golive.models import GoLiveRun
from sync.integrations.models import Integration
from sync.onboarding import services
from sync.onboarding.permissions import can_manage_integrations, can_publish_config, can_submit_config
from sync.onboarding.review import config_publish_all, config_submit_all
from sync.onboarding.selectors import (
    integration_get_for_user,
    integrations_visible,
    onboarding_plan,
    onboarding_runs,
)
from sync.pipeline.listener.setup import setup_guide

CONNECTION_FIELDS = list(services.CONNECTION_FIELDS)


def _connection_field(**extra: Any) -> serializers.SlugRelatedField[Any]:
    # Any connection by name: the service says when one is of the wrong kind or environment.
    return serializers.SlugRelatedField(slug_field="name", queryset=Connection.objects.all(), **extra)


def _name_of() -> serializers.SlugRelatedField[Any]:
    return serializers.SlugRelatedField(slug_field="name", read_only=True)


class IntegrationSerializer(serializers.ModelSerializer[Integration]):
    """An integration: its namespace, connections (by name) and state."""

    salesforce_connection = _name_of()
    netsuite_connection = _name_of()
    sandbox_salesforce_connection = _name_of()
    sandbox_netsuite_connection = _name_of()
    based_on = _name_of()

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "label",
            "namespace",
            "is_primary",
            "is_active",
            *CONNECTION_FIELDS,
            "status_fields",
            "based_on",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class IntegrationCreateSerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=80)
    # ``label`` is also an attribute of every DRF field (a serializer is one): the stubs type it so.
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=200, required=False, allow_blank=True, default=""
    )
    namespace = serializers.CharField(max_length=10, help_text="prefix of its external ids, e.g. ACQ")
    salesforce = _connection_field()
    netsuite = _connection_field()
    sandbox_salesforce = _connection_field(required=False, allow_null=True, default=None)
    sandbox_netsuite = _connection_field(required=False, allow_null=True, default=None)
    copy_from = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Integration.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="start with a draft copy of this integration's mappings, lookups and rules",
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    org_id = serializers.CharField(
        max_length=18, required=False, allow_blank=True, default="", help_text="Salesforce org id"
    )
    base_url = serializers.URLField(
        required=False, help_text="the console's address as Salesforce reaches it (for the listener URL)"
    )


class IntegrationUpdateSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)  # type: ignore[assignment]
    namespace = serializers.CharField(max_length=10, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    salesforce_connection = _connection_field(required=False, allow_null=True)
    netsuite_connection = _connection_field(required=False, allow_null=True)
    sandbox_salesforce_connection = _connection_field(required=False, allow_null=True)
    sandbox_netsuite_connection = _connection_field(required=False, allow_null=True)
    status_fields = serializers.JSONField(
        required=False, help_text="the org's and account's own sync status fields over the install's"
    )


class ConfigReviewSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ConfigReviewedSerializer(serializers.Serializer[Any]):
    moved = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()


class IntegrationCreatedSerializer(IntegrationSerializer):
    """The new integration, its listener's URL (shown this once) and setup steps, the schedules."""

    listener = serializers.CharField(read_only=True, allow_null=True)
    listener_url = serializers.CharField(read_only=True)
    listener_setup = serializers.ListField(child=serializers.DictField(), read_only=True)
    schedules = serializers.ListField(child=serializers.CharField(), read_only=True)
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    copied = serializers.CharField(read_only=True, help_text="what the configuration copy made, if any")

    class Meta(IntegrationSerializer.Meta):
        fields = [
            *IntegrationSerializer.Meta.fields,
            "listener",
            "listener_url",
            "listener_setup",
            "schedules",
        ]
        fields += ["warnings", "copied"]
        read_only_fields = fields


class OnboardingRunSerializer(serializers.ModelSerializer[GoLiveRun]):
    """An onboarding scan (a go-live run of the integration's pair) and its counts."""

    class Meta:
        model = GoLiveRun
        fields = [
            "id",
            "status",
            "total",
            "done",
            "linked",
            "shared",
            "suspects",
            "unmatched",
            "already_linked",
            "links_applied",
            "links_failed",
            "exceptions_raised",
            "error",
            "created_at",
            "scanned_at",
            "finished_at",
        ]
        read_only_fields = fields


class OnboardingPlanSerializer(serializers.Serializer[Any]):
    """Counts per action (link, shared_link, duplicate_suspect, create, already_linked) and the rows."""

    integration = serializers.CharField()
    run = serializers.IntegerField()
    status = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))
    shown = serializers.IntegerField()


class OnboardingApplyInputSerializer(serializers.Serializer[Any]):
    run = serializers.IntegerField(required=False, help_text="the scan to apply (default: the latest)")


RUN_PARAMETER = OpenApiParameter("run", int, required=False, description="the scan (default: the latest)")


class IntegrationViewSet(ApiReadViewSet):
    """Integrations: every role reads the ones it may see; admins create, change, deactivate, onboard."""

    queryset = Integration.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = IntegrationSerializer
    action_permissions = {
        "create": can_manage_integrations,
        "partial_update": can_manage_integrations,
        "deactivate": can_manage_integrations,
        "activate": can_manage_integrations,
        "onboarding_scan": can_manage_integrations,
        "onboarding_apply": can_manage_integrations,
        "config_submit": can_submit_config,
        "config_publish": can_publish_config,
    }

    def get_queryset(self) -> QuerySet[Integration]:
        return integrations_visible(user=self.user)

    def get_object(self) -> Integration:
        integration = integration_get_for_user(user=self.user, key=self.kwargs["pk"])
        self.check_object_permissions(self.request, integration)
        return integration

    @extend_schema(request=IntegrationCreateSerializer, responses={201: IntegrationCreatedSerializer})
    def create(self, request: Request) -> Response:
        data = self.input(IntegrationCreateSerializer, request)
        base_url = data.pop("base_url", None) or request.build_absolute_uri("/")
        setup = services.integration_create(actor=self.user, **data)
        body = dict(IntegrationSerializer(setup.integration).data)
        body.update(
            {"listener": None, "listener_url": "", "listener_setup": [], "schedules": list(setup.schedules)}
        )
        body["warnings"] = list(setup.warnings)
        body["copied"] = setup.copy_report.summary if setup.copy_report is not None else ""
        if setup.listener is not None:
            guide = setup_guide(listener=setup.listener, base_url=base_url, token=setup.listener_token)
            body.update({"listener": setup.listener.name, "listener_url": guide.url})
            body["listener_setup"] = guide.as_json()
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=IntegrationUpdateSerializer, responses=IntegrationSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        integration = self.get_object()
        data = self.input(IntegrationUpdateSerializer, request, partial=True)
        updated = services.integration_update(integration=integration, actor=self.user, **data)
        return Response(IntegrationSerializer(updated).data)

    @REASON
    @extend_schema(responses=IntegrationSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        """Stop the integration: its listeners are disabled (the primary one cannot be deactivated)."""
        integration = services.integration_deactivate(
            integration=self.get_object(), actor=self.user, reason=self.reason(request)
        )
        return Response(IntegrationSerializer(integration).data)

    @extend_schema(request=None, responses=IntegrationSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str) -> Response:
        """Start a deactivated integration again (its listeners enabled)."""
        integration = services.integration_activate(integration=self.get_object(), actor=self.user)
        return Response(IntegrationSerializer(integration).data)

    @extend_schema(request=None, responses={202: OnboardingRunSerializer})
    @action(detail=True, methods=["post"], url_path="onboarding-scan")
    def onboarding_scan(self, request: Request, pk: str) -> Response:
        """Queue the go-live scan of the integration's org against its NetSuite account (nothing is
        written); follow it with the plan."""
        run = services.onboarding_scan(integration=self.get_object(), actor=self.user)
        return Response(OnboardingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(parameters=[RUN_PARAMETER], responses=OnboardingPlanSerializer)
    @action(detail=True, methods=["get"], url_path="onboarding-plan")
    def onboarding_plan(self, request: Request, pk: str) -> Response:
        """The plan of the latest (or the named) scan: link / shared_link / duplicate_suspect / create."""
        run = self._run(self.get_object(), request.query_params.get("run"))
        return Response(onboarding_plan(run).as_json())

    @extend_schema(request=OnboardingApplyInputSerializer, responses={202: OnboardingRunSerializer})
    @action(detail=True, methods=["post"], url_path="onboarding-apply")
    def onboarding_apply(self, request: Request, pk: str) -> Response:
        """Apply the reviewed scan (latest, or ``run``): a worker writes the links; shared links are
        never re-keyed; suspects go to the exception queue."""
        integration = self.get_object()
        data = self.input(OnboardingApplyInputSerializer, request)
        run = services.onboarding_apply(run=self._run(integration, data.get("run")), actor=self.user)
        return Response(OnboardingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ConfigReviewSerializer, responses=ConfigReviewedSerializer)
    @action(detail=True, methods=["post"], url_path="config-submit")
    def config_submit(self, request: Request, pk: str) -> Response:
        """Submit every draft of the integration's mappings, lookup tables and rules for approval (its
        maker; each version's own checks apply)."""
        data = self.input(ConfigReviewSerializer, request)
        report = config_submit_all(integration=self.get_object(), user=self.user, reason=data["reason"])
        return Response(report.as_dict())

    @extend_schema(request=ConfigReviewSerializer, responses=ConfigReviewedSerializer)
    @action(detail=True, methods=["post"], url_path="config-publish")
    def config_publish(self, request: Request, pk: str) -> Response:
        """Approve and publish every submitted version of the integration's configuration (four eyes:
        not by anyone who made one); all or nothing."""
        data = self.input(ConfigReviewSerializer, request)
        report = config_publish_all(integration=self.get_object(), user=self.user, reason=data["reason"])
        return Response(report.as_dict())

    def _run(self, integration: Integration, run_id: Any) -> GoLiveRun:
        runs = onboarding_runs(integration)
        if run_id not in (None, ""):
            if not str(run_id).isdigit():
                raise serializers.ValidationError({"run": ["a scan id (a number)"]})
            runs = runs.filter(pk=int(run_id))
        run = runs.first()
        if run is None:
            raise serializers.ValidationError(
                {"run": [f"no onboarding scan of {integration.name} yet: start one (onboarding-scan)"]}
            )
        return run


router = SimpleRouter()
router.register("integrations", IntegrationViewSet, basename="integration")
urlpatterns = router.urls
