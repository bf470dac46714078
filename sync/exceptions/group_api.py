"""Exception groups in the API (/api/v1/exception-groups/): the same reads as the group pages, scoped to
the caller (a group they may not see is a 404), and the same group actions, which check the role again
and audit."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.serializers import ReasonInputSerializer
from core.api.views import SLUG, ApiViewSet
from sync.exceptions import group_actions, groups
from sync.exceptions.models import ExceptionItem
from sync.exceptions.permissions import AnyUser, can_act
from sync.mappings.permissions import can_edit_mappings

MEMBERS_LIMIT = 500


def can_draft_lookup(user: AnyUser) -> bool:
    """Act on exceptions and edit lookup tables (RevOps): what a group's lookup draft needs."""
    return can_act(user) and can_edit_mappings(user)


class LookupMissSerializer(serializers.Serializer[Any]):
    table = serializers.CharField()
    key = serializers.CharField()


class ExceptionGroupSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="The cause key the group's exceptions share")
    kind = serializers.CharField(help_text="lookup, recon or error")
    description = serializers.CharField()
    size = serializers.IntegerField(help_text="Active exceptions of this cause that you may see")
    retryable = serializers.IntegerField(help_text="Of them, those a group retry would retry now")
    category = serializers.CharField(source="sample.category.key")
    integration = serializers.CharField(source="sample.integration.name", default=None, allow_null=True)
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    lookup_miss = LookupMissSerializer(allow_null=True, help_text="The key missing from a lookup table")


class GroupMemberSerializer(serializers.ModelSerializer[ExceptionItem]):
    class Meta:
        model = ExceptionItem
        fields = ["id", "title", "status", "severity", "last_seen"]


class ExceptionGroupDetailSerializer(ExceptionGroupSerializer):
    members = serializers.SerializerMethodField()

    def get_members(self, group: groups.ExceptionGroup) -> list[dict[str, Any]]:
        members = self.context["members"]
        return list(GroupMemberSerializer(members, many=True).data)


class GroupRetryReportSerializer(serializers.Serializer[Any]):
    group = serializers.CharField()
    retried = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.DictField(child=serializers.CharField(), help_text="Exception id: why not")


class GroupLookupDraftInputSerializer(ReasonInputSerializer):
    value = serializers.JSONField(help_text='What the missing key maps to: "3", {"id": "3"}...')


class GroupLookupDraftResultSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(source="version.pk", help_text="The lookup version (a draft)")
    version_number = serializers.IntegerField(source="version.number")
    table = serializers.CharField(source="version.table.name")
    key = serializers.CharField(source="entry.key")
    value = serializers.JSONField(source="entry.value")
    members = serializers.ListField(child=serializers.IntegerField())


class ExceptionGroupViewSet(ApiViewSet):
    """Causes shared by two or more active exceptions, the largest first; one group with its members;
    retry a whole group; put a lookup table's missing key into a draft."""

    queryset = ExceptionItem.objects.none()  # for the schema generator; the reads go through selectors
    lookup_field = "key"
    lookup_value_regex = SLUG
    serializer_class = ExceptionGroupSerializer
    action_permissions = {"retry": can_act, "lookup_draft": can_draft_lookup}

    def get_queryset(self) -> QuerySet[ExceptionItem]:
        return ExceptionItem.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("integration", str, description="An integration's name"),
            OpenApiParameter("category", str, description="A category key"),
        ],
        responses=ExceptionGroupSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        found = groups.exception_groups(
            user=self.user,
            integration=request.query_params.get("integration", "").strip(),
            category=request.query_params.get("category", "").strip(),
        )
        page: list[Any] | None = self.paginate_queryset(found)  # type: ignore[arg-type]
        if page is not None:
            return self.get_paginated_response(ExceptionGroupSerializer(page, many=True).data)
        return Response(ExceptionGroupSerializer(found, many=True).data)

    @extend_schema(responses=ExceptionGroupDetailSerializer)
    def retrieve(self, request: Request, key: str) -> Response:
        group = groups.exception_group_get(user=self.user, key=key)
        members = groups.exception_group_members(user=self.user, key=key)[:MEMBERS_LIMIT]
        return Response(ExceptionGroupDetailSerializer(group, context={"members": members}).data)

    @extend_schema(request=ReasonInputSerializer, responses=GroupRetryReportSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, key: str) -> Response:
        """Retry every active exception of the group ("sync these 47 now"); each keeps its own history.
        Those that cannot be retried (waiting for an approval, no retry) are listed with the reason."""
        report = group_actions.exception_group_retry(key=key, user=self.user, reason=self.reason(request))
        return Response(GroupRetryReportSerializer(report).data)

    @extend_schema(request=GroupLookupDraftInputSerializer, responses=GroupLookupDraftResultSerializer)
    @action(detail=True, methods=["post"], url_path="lookup-draft")
    def lookup_draft(self, request: Request, key: str) -> Response:
        """Put the key the group misses, with ``value``, into its lookup table's draft (four eyes before
        it maps: RevOps submit it, someone else approves and publishes)."""
        data = self.input(GroupLookupDraftInputSerializer, request)
        draft = group_actions.exception_group_lookup_draft(
            key=key, user=self.user, value=data["value"], reason=data["reason"]
        )
        return Response(GroupLookupDraftResultSerializer(draft).data)


router = SimpleRouter()
router.register("exception-groups", ExceptionGroupViewSet, basename="exception-group")
urlpatterns = router.urls
