"""Subsidiary grants over the API (/api/v1/subsidiary-grants/): who may handle which subsidiary's
exceptions; integration grants (/api/v1/integration-grants/): who is limited to which integrations.
Admins grant and revoke, as on the user's and the group's pages, through the same service
(:mod:`governance.access_grants`: one audit entry per change, no self-grant, no role group); people who
see users (admins, auditors) read them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import ApiViewSet
from governance import access_grants
from governance.permissions import can_manage_users, can_see_people
from sync.exceptions.models import Subsidiary, SubsidiaryGroupPermission, SubsidiaryUserPermission
from sync.exceptions.selectors import subsidiary_find
from sync.integrations.models import Integration, IntegrationGroupPermission, IntegrationUserPermission


class GrantSerializer(serializers.Serializer[Any]):
    subsidiary = serializers.CharField(help_text='Its key, or "all" for every subsidiary')
    subsidiary_name = serializers.CharField()
    user = serializers.CharField(allow_null=True)
    group = serializers.CharField(allow_null=True)


class GrantInputSerializer(serializers.Serializer[Any]):
    """A subsidiary by name as read from NetSuite ("EMEA"), key or NetSuite id (``all``: every one),
    and one holder: a username or an access group's name. ``revoke`` takes the grant back."""

    subsidiary = serializers.CharField(max_length=200)
    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )
    revoke = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("user")) == bool(attrs.get("group")):
            raise serializers.ValidationError("Give a user or a group (one of them).")
        return attrs


def _grants() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for permission in SubsidiaryUserPermission.objects.select_related("content_object", "user"):
        rows.append(_row(permission.content_object, user=permission.user.get_username()))
    for group_permission in SubsidiaryGroupPermission.objects.select_related("content_object", "group"):
        rows.append(_row(group_permission.content_object, group=group_permission.group.name))
    return sorted(rows, key=lambda row: (row["subsidiary"], row["user"] or "", row["group"] or ""))


def _row(subsidiary: Subsidiary, *, user: str | None = None, group: str | None = None) -> dict[str, Any]:
    return {"subsidiary": subsidiary.key, "subsidiary_name": str(subsidiary), "user": user, "group": group}


class SubsidiaryGrantViewSet(ApiViewSet):
    """Per-subsidiary grants (model-wide "every subsidiary" grants show on each user's page)."""

    queryset = SubsidiaryUserPermission.objects.none()  # for the schema generator; list() reads
    action_permissions = {"list": can_see_people, "create": can_manage_users}
    pagination_class = None

    @extend_schema(responses=GrantSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(_grants())

    @extend_schema(request=GrantInputSerializer, responses=GrantSerializer(many=True))
    def create(self, request: Request) -> Response:
        """Grant (or, with ``revoke``, take back) a subsidiary's exceptions; answers the holder's grants."""
        data = self.input(GrantInputSerializer, request)
        text = data["subsidiary"].strip()
        target = None if text == "all" else subsidiary_find(text)
        if data.get("user"):
            change = access_grants.user_access_revoke if data["revoke"] else access_grants.user_access_grant
            change(user=data["user"], kind="subsidiary", target=target, actor=self.user)
        else:
            change_group = (
                access_grants.group_access_revoke if data["revoke"] else access_grants.group_access_grant
            )
            change_group(group=data["group"], kind="subsidiary", target=target, actor=self.user)
        holder = data.get("user") or data.get("group")
        return Response([row for row in _grants() if holder and str(holder) in (row["user"], row["group"])])


class IntegrationGrantSerializer(serializers.Serializer[Any]):
    integration = serializers.CharField(help_text="The integration's name")
    integration_label = serializers.CharField()
    user = serializers.CharField(allow_null=True)
    group = serializers.CharField(allow_null=True)


class IntegrationGrantInputSerializer(serializers.Serializer[Any]):
    """An integration by name and one holder (a username or an access group's name); ``revoke`` takes the
    grant back. A person holding any integration grant sees only those integrations."""

    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Integration.objects.all()
    )
    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )
    revoke = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("user")) == bool(attrs.get("group")):
            raise serializers.ValidationError("Give a user or a group (one of them).")
        return attrs


def _integration_grants() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for permission in IntegrationUserPermission.objects.select_related("content_object", "user"):
        rows.append(_integration_row(permission.content_object, user=permission.user.get_username()))
    for group_permission in IntegrationGroupPermission.objects.select_related("content_object", "group"):
        rows.append(_integration_row(group_permission.content_object, group=group_permission.group.name))
    return sorted(rows, key=lambda row: (row["integration"], row["user"] or "", row["group"] or ""))


def _integration_row(
    integration: Integration, *, user: str | None = None, group: str | None = None
) -> dict[str, Any]:
    label = integration.label or integration.name
    return {"integration": integration.name, "integration_label": label, "user": user, "group": group}


class IntegrationGrantViewSet(ApiViewSet):
    """Who is limited to which integrations (people and groups holding none see every integration)."""

    queryset = IntegrationUserPermission.objects.none()  # for the schema generator; list() reads
    action_permissions = {"list": can_see_people, "create": can_manage_users}
    pagination_class = None

    @extend_schema(responses=IntegrationGrantSerializer(many=True), operation_id="integration_grants_list")
    def list(self, request: Request) -> Response:
        return Response(_integration_grants())

    @extend_schema(
        request=IntegrationGrantInputSerializer,
        responses=IntegrationGrantSerializer(many=True),
        operation_id="integration_grants_create",
    )
    def create(self, request: Request) -> Response:
        """Grant (or, with ``revoke``, take back) an integration; answers the holder's integration grants."""
        data = self.input(IntegrationGrantInputSerializer, request)
        if data.get("user"):
            change = access_grants.user_access_revoke if data["revoke"] else access_grants.user_access_grant
            change(user=data["user"], kind="integration", target=data["integration"], actor=self.user)
        else:
            change_group = (
                access_grants.group_access_revoke if data["revoke"] else access_grants.group_access_grant
            )
            change_group(group=data["group"], kind="integration", target=data["integration"], actor=self.user)
        holder = data.get("user") or data.get("group")
        return Response(
            [row for row in _integration_grants() if holder and str(holder) in (row["user"], row["group"])]
        )


__all__ = ["IntegrationGrantViewSet", "SubsidiaryGrantViewSet"]
