"""The connections API (/api/v1/connections/): every role reads them, secrets never leave; admins create
and change them through the services the pages call."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.views import ApiReadViewSet
from sync.connections import services as connections
from sync.connections.forms import SECRET_NAMES
from sync.connections.metadata import services as metadata_services
from sync.connections.metadata.api import (
    MetadataObjectSerializer,
    MetadataRefreshInputSerializer,
    MetadataRefreshSerializer,
    MetadataSummarySerializer,
    object_as_json,
    summary_as_json,
)
from sync.connections.metadata.selectors import metadata_object_for_user, metadata_summary
from sync.connections.models import Connection, ConnectionHealth
from sync.connections.permissions import can_manage_connections, can_refresh_metadata
from sync.connections.selectors import connection_get_for_user, connection_ids_visible, connections_visible
from sync.connections.services import EDITABLE_FIELDS


class ConnectionNameField(serializers.SlugRelatedField):
    """A connection named by its name, among those the person asking may see (their integrations' when
    they are limited to some): another integration's connection is "not found", as everywhere else."""

    def to_internal_value(self, data: Any) -> Connection:
        # PostgreSQL refuses a NUL in a string literal: such a name can match no connection.
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\0"))
        found: Connection = super().to_internal_value(data)
        return found

    def get_queryset(self) -> QuerySet[Connection]:
        queryset = super().get_queryset()
        found: QuerySet[Connection] = Connection.objects.none() if queryset is None else queryset
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return found
        return found.filter(pk__in=connection_ids_visible(user=user))


def connection_name_field(kind: str, help_text: str = "") -> serializers.SlugRelatedField[Any]:
    """An optional input naming an active connection of ``kind`` by its name (None when left out)."""
    return ConnectionNameField(
        slug_field="name",
        queryset=Connection.objects.filter(kind=kind, is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text=help_text or None,
    )


class ConnectionHealthSerializer(serializers.ModelSerializer[ConnectionHealth]):
    """What the connection watch last found (sync/connections/watch.py); null before its first check."""

    class Meta:
        model = ConnectionHealth
        fields = ["state", "since", "checked_at", "diagnosis", "message"]
        read_only_fields = fields


class ConnectionSerializer(serializers.ModelSerializer[Connection]):
    """A connection as everyone with a role reads it: the names of the secrets that are set, no values."""

    health = ConnectionHealthSerializer(read_only=True, allow_null=True)

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
            "health",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


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


class ConnectionFilterSet(django_filters.FilterSet):
    class Meta:
        model = Connection
        fields = ["kind", "environment", "is_active"]


class ConnectionViewSet(ApiReadViewSet):
    """Connections: every role reads them (secrets never leave); admins create and change them."""

    queryset = Connection.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = ConnectionSerializer
    filterset_class = ConnectionFilterSet
    action_permissions = {
        "create": can_manage_connections,
        "partial_update": can_manage_connections,
        "metadata_refresh": can_refresh_metadata,
    }

    def get_queryset(self) -> QuerySet[Connection]:
        return connections_visible(user=self.user)

    def get_object(self) -> Connection:
        connection = connection_get_for_user(user=self.user, connection_id=self.kwargs["pk"])
        self.check_object_permissions(self.request, connection)
        return connection

    @extend_schema(request=ConnectionInputSerializer, responses={201: ConnectionSerializer})
    def create(self, request: Request) -> Response:
        data = self.input(ConnectionInputSerializer, request)
        connection = connections.connection_create(actor=self.user, secrets=data.pop("secrets", None), **data)
        return Response(ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConnectionInputSerializer, responses=ConnectionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        connection = self.get_object()
        serializer = ConnectionInputSerializer(connection, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        updated = connections.connection_update(
            actor=self.user, connection=connection, secrets=data.pop("secrets", None), **data
        )
        return Response(ConnectionSerializer(updated).data)

    # The metadata routes: refresh is declared before the per-object route, whose pattern would match it.
    @extend_schema(responses=MetadataSummarySerializer)
    @action(detail=True, methods=["get"], url_path="metadata")
    def metadata(self, request: Request, pk: str) -> Response:
        """The cached metadata: when it was read, the last refresh's error, and the objects it holds."""
        return Response(summary_as_json(metadata_summary(user=self.user, connection_id=pk)))

    @extend_schema(request=MetadataRefreshInputSerializer, responses=MetadataRefreshSerializer)
    @action(detail=True, methods=["post"], url_path="metadata/refresh")
    def metadata_refresh(self, request: Request, pk: str) -> Response:
        """Read the metadata again from the system (admins and mapping editors). Like a listener's test,
        the answer says whether it worked: ``ok`` false with ``message`` saying why when the system could
        not be read (the previous cache is kept); 400 for an object name the system does not list."""
        connection = self.get_object()
        objects = self.input(MetadataRefreshInputSerializer, request).get("objects") or []
        try:
            result = metadata_services.metadata_refresh(
                connection=connection, actor=self.user, objects=objects
            )
        except ValidationError as exc:
            raise ApiValidationError({"objects": exc.messages}) from exc
        except metadata_services.MetadataRefreshFailed as exc:
            failed = {"ok": False, "message": str(exc), "fetched_at": None, "objects": [], "missing": []}
            return Response(failed)
        body = {
            "ok": True,
            "message": result.message,
            "fetched_at": result.fetched_at,
            "objects": result.objects,
            "missing": result.missing,
        }
        return Response(body)

    @extend_schema(responses=MetadataObjectSerializer, operation_id="connections_metadata_object_retrieve")
    @action(detail=True, methods=["get"], url_path=r"metadata/(?P<object_name>[A-Za-z0-9_]+)")
    def metadata_show(self, request: Request, pk: str, object_name: str) -> Response:
        """One cached object's fields: label, API name, type, flags, picklist values, references."""
        connection, info = metadata_object_for_user(user=self.user, connection_id=pk, name=object_name)
        if info is None:
            raise Http404(f"{object_name} is not in the cached metadata of {connection.name}")
        return Response(object_as_json(info))


router = SimpleRouter()
router.register("connections", ConnectionViewSet, basename="connection")
urlpatterns = router.urls
