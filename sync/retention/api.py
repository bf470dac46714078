"""The retention API: the policy (/api/v1/retention/: GET, PATCH) and a prune now
(/api/v1/retention/run/: POST, ``dry_run`` to count only). Every role reads; admins change and run."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import ApiViewSet
from sync.retention.policy import (
    FIELDS,
    MAXIMUM_DAYS,
    can_change_retention,
    retention_policy,
    retention_policy_set,
)
from sync.retention.prune import retention_prune


class RetentionPolicySerializer(serializers.Serializer[Any]):
    jobs_days = serializers.IntegerField(allow_null=True, help_text="Jobs and their records; null: for ever")
    inbox_days = serializers.IntegerField(allow_null=True, help_text="Done inbox messages; null: for ever")
    exceptions_days = serializers.IntegerField(
        allow_null=True, help_text="Resolved and ignored exceptions, from when they closed; null: for ever"
    )
    rolled_up_through = serializers.DateField(read_only=True, allow_null=True)
    last_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_run_counts = serializers.DictField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_by = serializers.CharField(read_only=True, allow_null=True)


class RetentionPolicyInputSerializer(serializers.Serializer[Any]):
    jobs_days = serializers.IntegerField(allow_null=True, required=False, min_value=0, max_value=MAXIMUM_DAYS)
    inbox_days = serializers.IntegerField(
        allow_null=True, required=False, min_value=0, max_value=MAXIMUM_DAYS
    )
    exceptions_days = serializers.IntegerField(
        allow_null=True, required=False, min_value=0, max_value=MAXIMUM_DAYS
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RetentionRunInputSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField(default=False)


class RetentionRunSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    jobs = serializers.IntegerField()
    records = serializers.IntegerField()
    inbox = serializers.IntegerField()
    exceptions = serializers.IntegerField()
    cutoffs = serializers.DictField(child=serializers.CharField(allow_null=True))


def _policy_data() -> dict[str, Any]:
    policy = retention_policy()
    return {
        **{field: getattr(policy, field) for field in FIELDS},
        "rolled_up_through": policy.rolled_up_through,
        "last_run_at": policy.last_run_at,
        "last_run_counts": policy.last_run_counts,
        "updated_at": policy.updated_at,
        "updated_by": policy.updated_by.get_username() if policy.updated_by else None,
    }


class RetentionPolicyViewSet(ApiViewSet):
    """How long finished sync history is kept (one policy)."""

    action_permissions = {"partial_update": can_change_retention, "run": can_change_retention}
    pagination_class = None

    @extend_schema(responses=RetentionPolicySerializer, operation_id="retention_policy_retrieve")
    def retrieve(self, request: Request) -> Response:
        return Response(_policy_data())

    @extend_schema(
        request=RetentionPolicyInputSerializer,
        responses=RetentionPolicySerializer,
        operation_id="retention_policy_update",
    )
    def partial_update(self, request: Request) -> Response:
        """Days per kind (at least the documented minimum; null keeps for ever); audited with the reason."""
        data = self.input(RetentionPolicyInputSerializer, request)
        reason = data.pop("reason")
        retention_policy_set(user=self.user, reason=reason, **data)
        return Response(_policy_data())

    @extend_schema(
        request=RetentionRunInputSerializer, responses=RetentionRunSerializer, operation_id="retention_run"
    )
    def run(self, request: Request) -> Response:
        """Prune now (``dry_run``: count what would go, change nothing); audited with the counts."""
        data = self.input(RetentionRunInputSerializer, request)
        return Response(retention_prune(user=self.user, dry_run=data["dry_run"]).as_dict())


urlpatterns = [
    path(
        "retention/",
        RetentionPolicyViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="retention-policy",
    ),
    path("retention/run/", RetentionPolicyViewSet.as_view({"post": "run"}), name="retention-run"),
]
