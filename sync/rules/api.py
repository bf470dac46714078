"""The business rules API: rules and their versions, through their review (RevOps writes and submits,
Finance approves and publishes). Writes call the services the rules editor calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.serializers import REASON, VersionLabelField, display_label, username_field
from core.api.views import SLUG, ApiReadViewSet
from sync.integrations.access import integration_scope
from sync.integrations.choice import ChosenIntegration
from sync.rules import services as rule_services
from sync.rules.engine.ruleset import PLACEMENTS, SEVERITIES, SUBJECTS
from sync.rules.models import Rule, RuleVersion
from sync.rules.permissions import can_approve_rules, can_edit_rules
from sync.rules.services import CONTENT_FIELDS

RULE_SEVERITY_CHOICES = list(SEVERITIES.items())


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
    integration = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The integration's name (default: the primary integration)",
    )
    key = serializers.SlugField(max_length=80)


class RuleVersionSerializer(serializers.ModelSerializer[RuleVersion]):
    rule: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="key", read_only=True)
    integration = serializers.CharField(source="rule.integration.name", read_only=True)
    created_by = username_field()
    updated_by = username_field()
    submitted_by = username_field()
    approved_by = username_field()
    published_by = username_field()
    version = VersionLabelField(source="number")
    status_label = display_label("status")

    class Meta:
        model = RuleVersion
        fields = [
            "id",
            "integration",
            "rule",
            "number",
            "version",
            "status",
            "status_label",
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
    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    created_by = username_field()
    versions = RuleVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Rule
        fields = ["integration", "key", "created_by", "created_at", "versions"]


class RuleVersionFilterSet(django_filters.FilterSet):
    rule = django_filters.CharFilter(field_name="rule__key", help_text="The rule's key")
    integration = django_filters.CharFilter(
        field_name="rule__integration__name", help_text="The integration's name"
    )

    class Meta:
        model = RuleVersion
        fields = ["rule", "status", "integration"]


class RuleViewSet(ChosenIntegration, ApiReadViewSet):
    """One integration's rules (``?integration=<name>``, the primary integration when none)."""

    queryset = Rule.objects.none()  # for the schema generator; get_queryset reads

    serializer_class = RuleSerializer
    lookup_field = "key"
    lookup_value_regex = SLUG
    action_permissions = {
        "create": can_edit_rules,
        "new_draft": can_edit_rules,
        "install_shipped": can_edit_rules,
    }

    def get_queryset(self) -> QuerySet[Rule]:
        versions = RuleVersion.objects.select_related(
            "rule", "created_by", "updated_by", "submitted_by", "approved_by", "published_by"
        ).order_by("-number")
        rules = Rule.objects.filter(integration=self.chosen_integration())
        return rules.select_related("created_by", "integration").prefetch_related(
            Prefetch("versions", versions)
        )

    @extend_schema(request=RuleCreateInputSerializer, responses={201: RuleVersionSerializer})
    def create(self, request: Request) -> Response:
        """A new rule with its first version, a draft."""
        data = self.input(RuleCreateInputSerializer, request)
        integration = self.chosen_integration(data.pop("integration"))
        version = rule_services.rule_create(user=self.user, integration=integration, **data)
        return Response(RuleVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: RuleVersionSerializer})
    @action(detail=True, methods=["post"], url_path="new-draft")
    def new_draft(self, request: Request, key: str) -> Response:
        """A new draft copying the rule's latest version."""
        draft = rule_services.rule_draft_start(rule=self.get_object(), user=self.user)
        return Response(RuleVersionSerializer(draft).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses={201: RuleVersionSerializer(many=True), 200: RuleVersionSerializer(many=True)}
    )
    @action(detail=False, methods=["post"], url_path="install-shipped")
    def install_shipped(self, request: Request) -> Response:
        """The shipped rules the integration (``?integration=<name>``) lacks, each as a draft by the caller,
        for review (four eyes);
        the rules that exist are left alone (200 with an empty list)."""
        made = rule_services.rules_shipped_install(user=self.user, integration=self.chosen_integration())
        answer = RuleVersionSerializer(made, many=True).data
        return Response(answer, status=status.HTTP_201_CREATED if made else status.HTTP_200_OK)


class RuleVersionViewSet(ApiReadViewSet):
    """Rule versions of every integration the caller may see (``?integration=<name>`` narrows them)."""

    queryset = RuleVersion.objects.none()  # for the schema generator; get_queryset reads

    serializer_class = RuleVersionSerializer
    filterset_class = RuleVersionFilterSet
    action_permissions = {
        "partial_update": can_edit_rules,
        "submit": can_edit_rules,
        "approve": can_approve_rules,
        "send_back": can_approve_rules,
        "publish": can_approve_rules,
    }

    def get_queryset(self) -> QuerySet[RuleVersion]:
        versions = RuleVersion.objects.select_related(
            "rule",
            "rule__integration",
            "created_by",
            "updated_by",
            "submitted_by",
            "approved_by",
            "published_by",
        ).order_by("rule__integration_id", "rule__key", "-number")
        return integration_scope(self.user).filter(versions, integration="rule__integration")

    @extend_schema(request=RuleContentInputSerializer, responses=RuleVersionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a draft's text; fields left out keep their value."""
        data = self.input(RuleContentInputSerializer, request, partial=True)
        version = rule_services.rule_version_update(version=self.get_object(), user=self.user, **data)
        return Response(RuleVersionSerializer(version).data)

    def _move(self, request: Request, service: Callable[..., RuleVersion]) -> Response:
        version = service(version=self.get_object(), user=self.user, reason=self.reason(request))
        return Response(RuleVersionSerializer(version).data)

    @REASON
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_submit)

    @REASON
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_approve)

    @REASON
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_send_back)

    @REASON
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        return self._move(request, rule_services.rule_version_publish)


router = SimpleRouter()
router.register("rules", RuleViewSet, basename="rule")
router.register("rule-versions", RuleVersionViewSet, basename="rule-version")
urlpatterns = router.urls
