"""Grants over the API, admins granting and revoking as on the user's and the group's pages, through the
same service (:mod:`governance.access_grants`: one audit entry per change, no self-grant, no role group);
people who see users (admins, auditors) read them:

- /api/v1/subsidiary-grants/: who may handle which subsidiary's exceptions;
- /api/v1/integration-grants/: who is limited to which integrations;
- /api/v1/flow-grants/: who may edit which flows' mapping drafts ("acme · opportunity_to_netsuite").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, Permission, User
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import ApiViewSet
from core.roles import ROLES_BY_NAME
from governance import access_grants
from governance.access_grants import EVERY, GrantKind, flow_find, flow_label
from governance.permissions import can_manage_users, can_see_people
from sync.exceptions.models import Subsidiary, SubsidiaryGroupPermission, SubsidiaryUserPermission
from sync.exceptions.selectors import subsidiary_find
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration, IntegrationGroupPermission, IntegrationUserPermission
from sync.mappings.models import Flow, FlowGroupPermission, FlowUserPermission
from sync.mappings.permissions import OPERATE_FLOW


class GrantSerializer(serializers.Serializer[Any]):
    subsidiary = serializers.CharField(help_text='Its key, or "all" for every subsidiary')
    subsidiary_name = serializers.CharField()
    user = serializers.CharField(allow_null=True)
    group = serializers.CharField(allow_null=True)


class HolderInputSerializer(serializers.Serializer[Any]):
    """One holder of a grant: a username or an access group's name (one of them); ``revoke`` takes the
    grant back."""

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


class GrantInputSerializer(HolderInputSerializer):
    """A subsidiary by name as read from NetSuite ("EMEA"), key or NetSuite id (``all``: every one),
    and one holder: a username or an access group's name. ``revoke`` takes the grant back."""

    subsidiary = serializers.CharField(max_length=200)


Row = Callable[..., dict[str, Any]]


def _grant_rows(user_grants: Any, group_grants: Any, row: Row, order: str) -> list[dict[str, Any]]:
    """Every per-object grant of one kind as rows (``row(object, user=|group=)``), people's and groups',
    sorted by the object's ``order`` key, then the holder."""
    rows: list[dict[str, Any]] = []
    for permission in user_grants.objects.select_related("content_object", "user"):
        rows.append(row(permission.content_object, user=permission.user.get_username()))
    for group_permission in group_grants.objects.select_related("content_object", "group"):
        rows.append(row(group_permission.content_object, group=group_permission.group.name))
    return sorted(rows, key=lambda found: (found[order], found["user"] or "", found["group"] or ""))


def _holder_rows(rows: list[dict[str, Any]], data: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the holder a change named."""
    holder = data.get("user") or data.get("group")
    return [row for row in rows if holder and str(holder) in (row["user"], row["group"])]


def _holder_change(data: dict[str, Any], *, kind: GrantKind, target: Any, actor: User) -> None:
    """Grant (or, with ``revoke``, take back) ``target`` to the user or the group ``data`` names."""
    if data.get("user"):
        change = access_grants.user_access_revoke if data["revoke"] else access_grants.user_access_grant
        change(user=data["user"], kind=kind, target=target, actor=actor)
    else:
        change_group = (
            access_grants.group_access_revoke if data["revoke"] else access_grants.group_access_grant
        )
        change_group(group=data["group"], kind=kind, target=target, actor=actor)


def _grants() -> list[dict[str, Any]]:
    return _grant_rows(SubsidiaryUserPermission, SubsidiaryGroupPermission, _row, "subsidiary")


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
        _holder_change(data, kind="subsidiary", target=target, actor=self.user)
        return Response(_holder_rows(_grants(), data))


class IntegrationGrantSerializer(serializers.Serializer[Any]):
    integration = serializers.CharField(help_text="The integration's name")
    integration_label = serializers.CharField()
    user = serializers.CharField(allow_null=True)
    group = serializers.CharField(allow_null=True)


class IntegrationGrantInputSerializer(HolderInputSerializer):
    """An integration by name and one holder (a username or an access group's name); ``revoke`` takes the
    grant back. A person holding any integration grant sees only those integrations."""

    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Integration.objects.all()
    )


def _integration_grants() -> list[dict[str, Any]]:
    return _grant_rows(IntegrationUserPermission, IntegrationGroupPermission, _integration_row, "integration")


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
        _holder_change(data, kind="integration", target=data["integration"], actor=self.user)
        return Response(_holder_rows(_integration_grants(), data))


class FlowGrantSerializer(serializers.Serializer[Any]):
    flow = serializers.CharField(help_text='The flow\'s key, or "all" for every flow')
    integration = serializers.CharField(allow_null=True, help_text="The flow's integration (null: all)")
    flow_label = serializers.CharField(help_text='As the pickers show it: "acme · opportunity_to_netsuite"')
    user = serializers.CharField(allow_null=True)
    group = serializers.CharField(allow_null=True)


class FlowGrantInputSerializer(HolderInputSerializer):
    """A flow by its key (in ``integration``, by name; the primary integration when none) or by its label
    ("acme · opportunity_to_netsuite"); ``all`` for every flow. One holder (a username or an access
    group's name); ``revoke`` takes the grant back."""

    flow = serializers.CharField(max_length=200)
    integration = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


def _flow_row(flow: Flow | None, *, user: str | None = None, group: str | None = None) -> dict[str, Any]:
    if flow is None:
        return {"flow": EVERY, "integration": None, "flow_label": "every flow", "user": user, "group": group}
    label = flow_label(flow)
    return {
        "flow": flow.key,
        "integration": flow.integration.name,
        "flow_label": label,
        "user": user,
        "group": group,
    }


def _flow_grants(viewer: User) -> list[dict[str, Any]]:
    """Every flow grant: per flow (of the integrations ``viewer`` sees) and for every flow (a model-wide
    permission held by a person or an access group of its own), sorted by flow, then holder."""
    scope = integration_scope(viewer)
    rows: list[dict[str, Any]] = []
    for permission in FlowUserPermission.objects.select_related("content_object__integration", "user"):
        if scope.allows(permission.content_object.integration_id):
            rows.append(_flow_row(permission.content_object, user=permission.user.get_username()))
    for held in FlowGroupPermission.objects.select_related("content_object__integration", "group"):
        if scope.allows(held.content_object.integration_id):
            rows.append(_flow_row(held.content_object, group=held.group.name))
    app_label, _, codename = OPERATE_FLOW.partition(".")
    wide = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    for person in User.objects.filter(user_permissions__in=wide).distinct():
        rows.append(_flow_row(None, user=person.get_username()))
    for group in Group.objects.filter(permissions__in=wide).exclude(name__in=ROLES_BY_NAME).distinct():
        rows.append(_flow_row(None, group=group.name))
    return sorted(rows, key=lambda row: (row["flow_label"], row["user"] or "", row["group"] or ""))


class FlowGrantViewSet(ApiViewSet):
    """Who may edit which flows' mapping drafts beyond their role (RevOps edits every flow without one)."""

    queryset = FlowUserPermission.objects.none()  # for the schema generator; list() reads
    action_permissions = {"list": can_see_people, "create": can_manage_users}
    pagination_class = None

    @extend_schema(responses=FlowGrantSerializer(many=True), operation_id="flow_grants_list")
    def list(self, request: Request) -> Response:
        return Response(_flow_grants(self.user))

    @extend_schema(
        request=FlowGrantInputSerializer,
        responses=FlowGrantSerializer(many=True),
        operation_id="flow_grants_create",
    )
    def create(self, request: Request) -> Response:
        """Grant (or, with ``revoke``, take back) a flow; answers the holder's flow grants."""
        data = self.input(FlowGrantInputSerializer, request)
        text = data["flow"].strip()
        target = None if text == EVERY else flow_find(text, integration=data["integration"], user=self.user)
        _holder_change(data, kind="flow", target=target, actor=self.user)
        return Response(_holder_rows(_flow_grants(self.user), data))


__all__ = ["FlowGrantViewSet", "IntegrationGrantViewSet", "SubsidiaryGrantViewSet"]
