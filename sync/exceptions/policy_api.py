"""The exception policy's API: categories and their escalation paths (/api/v1/exception-categories/),
the ticket endpoint (/api/v1/ticket-endpoint/), and the subsidiaries and other lists read from NetSuite
(/api/v1/subsidiaries/, /api/v1/netsuite-lists/). Every role reads; writes call the services the pages
and commands call, which check the role again and audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import SLUG, ApiReadViewSet, ApiViewSet
from sync.connections.api import ConnectionNameField
from sync.connections.models import Connection, ConnectionKind
from sync.connections.selectors import connection_ids_visible
from sync.exceptions import policy
from sync.exceptions.models import (
    EscalationLevel,
    ExceptionCategory,
    NetSuiteListValue,
    Severity,
    Subsidiary,
)
from sync.exceptions.netsuite_lists import ListsRead, netsuite_lists_read
from sync.exceptions.permissions import can_edit_policy, can_edit_ticket_endpoint, can_read_netsuite_lists
from sync.exceptions.ticket_endpoint import ticket_endpoint_set, ticket_endpoint_test
from sync.exceptions.tickets import ticket_endpoint
from sync.integrations.access import integration_scope


@extend_schema_field(OpenApiTypes.STR)
class DurationField(serializers.Field[timedelta, Any, str, Any]):
    """A duration as people write it (``4h``, ``1d 12h``, ``30m``); answered in the same form."""

    def to_representation(self, value: timedelta) -> str:
        return policy.duration_text(value)

    def to_internal_value(self, data: Any) -> timedelta:
        try:
            return policy.duration_parse(str(data), label=self.field_name or "duration")
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class EscalationLevelSerializer(serializers.ModelSerializer[EscalationLevel]):
    group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="name", read_only=True)
    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    duration = DurationField()

    class Meta:
        model = EscalationLevel
        fields = ["position", "group", "user", "duration"]


class CategorySerializer(serializers.ModelSerializer[ExceptionCategory]):
    sla = DurationField()
    default_owner_group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    default_owner_user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    levels = EscalationLevelSerializer(many=True, read_only=True)

    class Meta:
        model = ExceptionCategory
        fields = [
            "key",
            "name",
            "description",
            "sla",
            "default_severity",
            "default_owner_group",
            "default_owner_user",
            "auto_ticket",
            "runbook",
            "edited_at",
            "levels",
        ]
        read_only_fields = fields


class CategoryInputSerializer(serializers.Serializer[Any]):
    """What may change (only the fields sent). An owner is a group's name or a username; one at a time;
    ``null`` clears it."""

    name = serializers.CharField(required=False, max_length=120)
    sla = DurationField(required=False)
    default_severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    default_owner_group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )
    default_owner_user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    auto_ticket = serializers.BooleanField(required=False)
    runbook = serializers.CharField(required=False, allow_blank=True, max_length=20000, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("default_owner_group") and attrs.get("default_owner_user"):
            raise serializers.ValidationError("Give a default owner group or a default owner user, not both.")
        return attrs


class LevelInputSerializer(serializers.Serializer[Any]):
    """A level's owner (a group's name or a username) and its duration; ``position`` (1 = first)."""

    group: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", queryset=Group.objects.all(), required=False, allow_null=True
    )
    user: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    duration = DurationField(required=False)
    position = serializers.IntegerField(required=False, min_value=1)


class LevelMoveInputSerializer(serializers.Serializer[Any]):
    to = serializers.IntegerField(min_value=1)


class ExceptionCategoryViewSet(ApiReadViewSet):
    """Exception categories with their escalation paths: every role reads; Finance and admins edit."""

    queryset = ExceptionCategory.objects.none()
    serializer_class = CategorySerializer
    lookup_field = "key"
    lookup_value_regex = SLUG
    action_permissions = dict.fromkeys(
        ("partial_update", "level_add", "level_update", "level_remove", "level_move"), can_edit_policy
    )

    def get_queryset(self) -> QuerySet[ExceptionCategory]:
        return ExceptionCategory.objects.select_related(
            "default_owner_group", "default_owner_user"
        ).prefetch_related("levels__group", "levels__user")

    def _answer(self, category: ExceptionCategory) -> Response:
        return Response(CategorySerializer(self.get_queryset().get(pk=category.pk)).data)

    @extend_schema(request=CategoryInputSerializer, responses=CategorySerializer)
    def partial_update(self, request: Request, key: str) -> Response:
        category = self.get_object()
        data = self.input(CategoryInputSerializer, request)
        policy.category_update(category=category, user=self.user, **data)
        return self._answer(category)

    @extend_schema(request=LevelInputSerializer, responses=CategorySerializer)
    @action(detail=True, methods=["post"], url_path="levels")
    def level_add(self, request: Request, key: str) -> Response:
        """Add a level (at ``position``, default last); the levels after it move down."""
        category = self.get_object()
        data = self.input(LevelInputSerializer, request)
        if "duration" not in data:
            raise serializers.ValidationError({"duration": ["A level needs a duration, e.g. 8h."]})
        policy.escalation_level_add(
            category=category,
            user=self.user,
            group=data.get("group"),
            owner_user=data.get("user"),
            duration=data["duration"],
            position=data.get("position"),
        )
        return self._answer(category)

    @extend_schema(request=LevelInputSerializer, responses=CategorySerializer)
    @action(detail=True, methods=["patch"], url_path=r"levels/(?P<position>[0-9]+)")
    def level_update(self, request: Request, key: str, position: str) -> Response:
        """Change a level's owner and/or duration."""
        category = self.get_object()
        data = self.input(LevelInputSerializer, request)
        policy.escalation_level_update(
            category=category,
            user=self.user,
            position=int(position),
            group=data.get("group"),
            owner_user=data.get("user"),
            duration=data.get("duration"),
        )
        return self._answer(category)

    @extend_schema(request=None, responses=CategorySerializer)
    @action(detail=True, methods=["post"], url_path=r"levels/(?P<position>[0-9]+)/remove")
    def level_remove(self, request: Request, key: str, position: str) -> Response:
        category = self.get_object()
        policy.escalation_level_remove(category=category, user=self.user, position=int(position))
        return self._answer(category)

    @extend_schema(request=LevelMoveInputSerializer, responses=CategorySerializer)
    @action(detail=True, methods=["post"], url_path=r"levels/(?P<position>[0-9]+)/move")
    def level_move(self, request: Request, key: str, position: str) -> Response:
        """Move a level to position ``to`` (1 = first)."""
        category = self.get_object()
        to = self.input(LevelMoveInputSerializer, request)["to"]
        policy.escalation_level_move(category=category, user=self.user, position=int(position), to=to)
        return self._answer(category)


class TicketEndpointSerializer(serializers.Serializer[Any]):
    """Where tickets go now, and where each value comes from (``console`` or ``environment``). The
    secret is never shown: only whether one is set."""

    url = serializers.CharField(read_only=True)
    url_source = serializers.CharField(read_only=True)
    secret_set = serializers.BooleanField(read_only=True)
    secret_source = serializers.CharField(read_only=True)


class TicketEndpointInputSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    secret = serializers.CharField(required=False, write_only=True, max_length=500, trim_whitespace=False)
    clear_secret = serializers.BooleanField(required=False, default=False)


class TicketTestSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    message = serializers.CharField()


def _endpoint_data() -> dict[str, Any]:
    endpoint = ticket_endpoint()
    return {
        "url": endpoint.url,
        "url_source": endpoint.url_source,
        "secret_set": bool(endpoint.secret),
        "secret_source": endpoint.secret_source,
    }


class TicketEndpointViewSet(ApiViewSet):
    """The ticket endpoint (one): admins read, change and test it."""

    action_permissions = dict.fromkeys(("retrieve", "partial_update", "test"), can_edit_ticket_endpoint)
    pagination_class = None

    @extend_schema(responses=TicketEndpointSerializer)
    def retrieve(self, request: Request) -> Response:
        return Response(_endpoint_data())

    @extend_schema(request=TicketEndpointInputSerializer, responses=TicketEndpointSerializer)
    def partial_update(self, request: Request) -> Response:
        """Change the URL (``""``: the environment's) and/or the secret (stored encrypted)."""
        data = self.input(TicketEndpointInputSerializer, request)
        ticket_endpoint_set(
            user=self.user, url=data.get("url"), secret=data.get("secret"), clear_secret=data["clear_secret"]
        )
        return Response(_endpoint_data())

    @extend_schema(request=None, responses=TicketTestSerializer)
    def test(self, request: Request) -> Response:
        """Send a signed test ticket now and say what the receiver answered."""
        result = ticket_endpoint_test(user=self.user)
        return Response({"ok": result.ok, "message": result.message})


class SubsidiarySerializer(serializers.ModelSerializer[Subsidiary]):
    netsuite_connection: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    # "parent" is a serializer field's own attribute in DRF: the subsidiary's parent goes by another name.
    parent_subsidiary: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="parent", slug_field="key", read_only=True
    )

    class Meta:
        model = Subsidiary
        fields = [
            "id",
            "key",
            "name",
            "netsuite_connection",
            "netsuite_id",
            "parent_subsidiary",
            "is_inactive",
            "country",
            "currency",
            "read_at",
        ]
        read_only_fields = fields


class ListsReadInputSerializer(serializers.Serializer[Any]):
    connection: serializers.SlugRelatedField[Any] = ConnectionNameField(
        slug_field="name", queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
    )


class ListsReadSerializer(serializers.Serializer[Any]):
    connection = serializers.CharField()
    single_entity = serializers.BooleanField()
    subsidiaries = serializers.IntegerField()
    created = serializers.IntegerField()
    renamed = serializers.IntegerField()
    inactivated = serializers.IntegerField()
    lists = serializers.DictField(child=serializers.IntegerField())
    message = serializers.CharField()


def lists_read_data(result: ListsRead) -> dict[str, Any]:
    return {
        "connection": result.connection,
        "single_entity": result.single_entity,
        "subsidiaries": result.subsidiaries,
        "created": result.created,
        "renamed": result.renamed,
        "inactivated": result.inactivated,
        "lists": result.lists,
        "message": result.message,
    }


class SubsidiaryViewSet(ApiReadViewSet):
    """Subsidiaries (with their NetSuite names) that exceptions are scoped by and people are granted;
    ``read`` reads them (and departments, classes, locations) from a NetSuite connection now."""

    queryset = Subsidiary.objects.none()
    serializer_class = SubsidiarySerializer
    action_permissions = {"read": can_read_netsuite_lists}

    def get_queryset(self) -> QuerySet[Subsidiary]:
        found = Subsidiary.objects.select_related("netsuite_connection", "parent").order_by("key")
        if integration_scope(self.user).limited:
            found = found.filter(netsuite_connection__in=connection_ids_visible(user=self.user))
        return found

    @extend_schema(request=ListsReadInputSerializer, responses=ListsReadSerializer)
    @action(detail=False, methods=["post"])
    def read(self, request: Request) -> Response:
        """Read the lists of one NetSuite connection (by name) now; renames, and marks removed ones
        inactive (their grants stay)."""
        connection = self.input(ListsReadInputSerializer, request)["connection"]
        return Response(lists_read_data(netsuite_lists_read(connection=connection, user=self.user)))


class NetSuiteListValueSerializer(serializers.ModelSerializer[NetSuiteListValue]):
    connection: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = NetSuiteListValue
        fields = [
            "id",
            "connection",
            "kind",
            "netsuite_id",
            "name",
            "parent_netsuite_id",
            "is_inactive",
            "read_at",
        ]
        read_only_fields = fields


class NetSuiteListValueViewSet(ApiReadViewSet):
    """Departments, classes and locations read from NetSuite (``?kind=department``)."""

    queryset = NetSuiteListValue.objects.none()
    serializer_class = NetSuiteListValueSerializer
    filterset_fields = ["kind", "is_inactive"]

    def get_queryset(self) -> QuerySet[NetSuiteListValue]:
        found = NetSuiteListValue.objects.select_related("connection").order_by("connection", "kind", "name")
        return found.filter(connection__in=connection_ids_visible(user=self.user))


policy_urlpatterns = [
    path(
        "ticket-endpoint/",
        TicketEndpointViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="ticket-endpoint",
    ),
    path(
        "ticket-endpoint/test/", TicketEndpointViewSet.as_view({"post": "test"}), name="ticket-endpoint-test"
    ),
]
