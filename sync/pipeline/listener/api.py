"""The listeners API (/api/v1/listeners/): every role reads them; admins create them and rotate their URLs.
A URL carries the listener's secret token and is shown once, in the answer that made it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.views import ApiReadViewSet
from sync.connections.models import Connection, ConnectionKind
from sync.connections.permissions import can_manage_connections
from sync.pipeline.listener import services as listeners
from sync.pipeline.listener.selectors import listeners_all
from sync.pipeline.models import Listener, ListenerKind


class ListenerSerializer(serializers.ModelSerializer[Listener]):
    """A listener as everyone with a role reads it: never its URL (only its hash is kept)."""

    salesforce_connection: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    netsuite_connection: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = Listener
        fields = [
            "id",
            "name",
            "kind",
            "allowed_org_id",
            "salesforce_connection",
            "netsuite_connection",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class ListenerInputSerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=80)
    kind = serializers.ChoiceField(choices=ListenerKind.choices, default=ListenerKind.OUTBOUND_MESSAGE)
    salesforce_connection = serializers.SlugRelatedField(
        slug_field="name", queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True)
    )
    netsuite_connection = serializers.SlugRelatedField(
        slug_field="name", queryset=Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
    )
    allowed_org_id = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    signing_secret = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", write_only=True, trim_whitespace=False
    )
    base_url = serializers.URLField(
        required=False, help_text="The console's address as the sender reaches it (default: this request's)"
    )


class ListenerBaseUrlSerializer(serializers.Serializer[Any]):
    base_url = serializers.URLField(
        required=False, help_text="The console's address as the sender reaches it (default: this request's)"
    )


class ListenerCreatedSerializer(ListenerSerializer):
    url = serializers.CharField(read_only=True, help_text="The listener's URL, shown only in this answer")

    class Meta(ListenerSerializer.Meta):
        fields = [*ListenerSerializer.Meta.fields, "url"]
        read_only_fields = fields


class ListenerUrlSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(read_only=True, help_text="The listener's new URL, shown only in this answer")


class ListenerViewSet(ApiReadViewSet):
    """Inbound listeners: every role reads them; admins create them and rotate their URLs. A URL carries
    the listener's secret token and is shown once, in the answer that made it."""

    queryset = listeners_all().order_by("name")
    serializer_class = ListenerSerializer
    action_permissions = {"create": can_manage_connections, "rotate_token": can_manage_connections}

    @extend_schema(request=ListenerInputSerializer, responses={201: ListenerCreatedSerializer})
    def create(self, request: Request) -> Response:
        data = self.input(ListenerInputSerializer, request)
        base_url = data.pop("base_url", None) or request.build_absolute_uri("/")
        listener, token = listeners.listener_create(user=self.user, **data)
        body = dict(ListenerSerializer(listener).data)
        body["url"] = listeners.listener_url(listener=listener, token=token, base_url=base_url)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=ListenerBaseUrlSerializer, responses=ListenerUrlSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request: Request, pk: str) -> Response:
        listener = self.get_object()
        base_url = self.input(ListenerBaseUrlSerializer, request).get(
            "base_url"
        ) or request.build_absolute_uri("/")
        token = listeners.listener_token_rotate(listener=listener, user=self.user)
        return Response({"url": listeners.listener_url(listener=listener, token=token, base_url=base_url)})


router = SimpleRouter()
router.register("listeners", ListenerViewSet, basename="listener")
urlpatterns = router.urls
