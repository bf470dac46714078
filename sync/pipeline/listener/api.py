"""The listeners API (/api/v1/listeners/): every role reads them; admins create them, rotate their URLs,
enable and disable them and send them a test notification. A URL carries the listener's secret token and
is shown once, in the answer that made it, with the steps to set up the sender (``setup``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.serializers import REASON
from core.api.views import ApiReadViewSet
from sync.connections.api import ConnectionNameField
from sync.connections.models import Connection, ConnectionKind
from sync.connections.permissions import can_manage_connections
from sync.pipeline.listener import services as listeners
from sync.pipeline.listener.probe import listener_test_send
from sync.pipeline.listener.selectors import listeners_all, listeners_visible
from sync.pipeline.listener.setup import SetupGuide, setup_guide
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
            "last_received_at",
            "last_test_at",
        ]
        read_only_fields = fields


class ListenerInputSerializer(serializers.Serializer[Any]):
    name = serializers.SlugField(max_length=80)
    kind = serializers.ChoiceField(choices=ListenerKind.choices, default=ListenerKind.OUTBOUND_MESSAGE)
    salesforce_connection = ConnectionNameField(
        slug_field="name", queryset=Connection.objects.filter(kind=ConnectionKind.SALESFORCE, is_active=True)
    )
    netsuite_connection = ConnectionNameField(
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


class SetupStepSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(read_only=True)
    lines = serializers.ListField(child=serializers.CharField(), read_only=True)
    example = serializers.CharField(read_only=True, help_text="A block to copy as is (may be empty)")


class ListenerCreatedSerializer(ListenerSerializer):
    url = serializers.CharField(read_only=True, help_text="The listener's URL, shown only in this answer")
    setup = SetupStepSerializer(many=True, read_only=True, help_text="The steps to set up the sender")

    class Meta(ListenerSerializer.Meta):
        fields = [*ListenerSerializer.Meta.fields, "url", "setup"]
        read_only_fields = fields


class ListenerUrlSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(read_only=True, help_text="The listener's new URL, shown only in this answer")
    setup = SetupStepSerializer(many=True, read_only=True, help_text="The steps to set up the sender")


class ListenerTestInputSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(
        max_length=2000, help_text="The listener's current URL, as configured in the sender"
    )


class ListenerTestResultSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField(help_text="Reached and acknowledged")
    url = serializers.CharField(help_text="The URL tested, its token masked")
    reached = serializers.BooleanField()
    status = serializers.IntegerField(allow_null=True, help_text="The HTTP status, if any answer came")
    acknowledged = serializers.BooleanField()
    elapsed_ms = serializers.IntegerField()
    error = serializers.CharField(help_text="The exact failure (empty when acknowledged)")
    summary = serializers.CharField()


def _shown(guide: SetupGuide) -> dict[str, Any]:
    return {"url": guide.url, "setup": guide.as_json()}


class ListenerViewSet(ApiReadViewSet):
    """Inbound listeners: every role reads them; admins create them, rotate their URLs, enable and
    disable them and test them. A URL carries the listener's secret token and is shown once, in the
    answer that made it."""

    queryset = listeners_all().none()  # for the schema generator; get_queryset reads
    serializer_class = ListenerSerializer
    action_permissions = {
        "create": can_manage_connections,
        "rotate_token": can_manage_connections,
        "enable": can_manage_connections,
        "disable": can_manage_connections,
        "send_test": can_manage_connections,
    }

    def get_queryset(self) -> QuerySet[Listener]:
        return listeners_visible(user=self.user).order_by("name")

    @extend_schema(request=ListenerInputSerializer, responses={201: ListenerCreatedSerializer})
    def create(self, request: Request) -> Response:
        data = self.input(ListenerInputSerializer, request)
        base_url = data.pop("base_url", None) or request.build_absolute_uri("/")
        listener, token = listeners.listener_create(user=self.user, **data)
        body = dict(ListenerSerializer(listener).data)
        body.update(_shown(setup_guide(listener=listener, base_url=base_url, token=token)))
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=ListenerBaseUrlSerializer, responses=ListenerUrlSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request: Request, pk: str) -> Response:
        listener = self.get_object()
        base_url = self.input(ListenerBaseUrlSerializer, request).get(
            "base_url"
        ) or request.build_absolute_uri("/")
        token = listeners.listener_token_rotate(listener=listener, user=self.user)
        response = Response(_shown(setup_guide(listener=listener, base_url=base_url, token=token)))
        response["Cache-Control"] = "no-store"
        return response

    @REASON
    @extend_schema(responses=ListenerSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str) -> Response:
        """Accept notifications again (doing it twice is harmless); the sender's retries land."""
        listener = self.get_object()
        listeners.listener_set_active(
            listener=listener, is_active=True, user=self.user, reason=self.reason(request)
        )
        return Response(ListenerSerializer(listener).data)

    @REASON
    @extend_schema(responses=ListenerSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str) -> Response:
        """Answer 503 to the sender, which keeps and retries its notifications (Salesforce: 24 hours)."""
        listener = self.get_object()
        listeners.listener_set_active(
            listener=listener, is_active=False, user=self.user, reason=self.reason(request)
        )
        return Response(ListenerSerializer(listener).data)

    @extend_schema(request=ListenerTestInputSerializer, responses=ListenerTestResultSerializer)
    @action(detail=True, methods=["post"], url_path="test")
    def send_test(self, request: Request, pk: str) -> Response:
        """Send a test notification to the listener's current URL (400 when it is not) and say how far
        it got; ``ok`` false with the failure when it was not acknowledged."""
        listener = self.get_object()
        url = self.input(ListenerTestInputSerializer, request)["url"]
        result = listener_test_send(listener=listener, url=url, user=self.user)
        return Response(result.as_json())


router = SimpleRouter()
router.register("listeners", ListenerViewSet, basename="listener")
urlpatterns = router.urls
