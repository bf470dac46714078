"""/api/v1/notification-channels/, -deliveries/, -events/, -preferences/ and /api/v1/notification-policy/.

The same selectors (scoped to the person's integrations) and services (permission checks, audit) as the
pages. A webhook URL is write-only: answers show ``url_hint``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.serializers import ReasonInputSerializer
from core.api.views import ApiReadViewSet, ApiViewSet
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration
from sync.notifications import selectors, services
from sync.notifications.events import notification_policy
from sync.notifications.models import (
    ChannelKind,
    DeliveryStatus,
    EventKind,
    NotificationChannel,
    NotificationDelivery,
    NotificationEvent,
    NotificationPolicy,
    NotificationPreference,
)
from sync.notifications.permissions import can_manage_notifications


@extend_schema_field(OpenApiTypes.STR)
class IntegrationNameField(serializers.SlugRelatedField):
    """An integration by name, among those the person may see."""

    def get_queryset(self) -> QuerySet[Integration]:
        return integration_scope(self.context["request"].user).integrations()


class ChannelSerializer(serializers.ModelSerializer[NotificationChannel]):
    integration = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = NotificationChannel
        fields = [
            "id",
            "name",
            "kind",
            "url_hint",
            "email_to",
            "integration",
            "events",
            "is_active",
            "updated_at",
        ]
        read_only_fields = fields


class ChannelInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=80, required=False)
    kind = serializers.ChoiceField(choices=ChannelKind.choices, required=False)
    webhook_url = serializers.CharField(max_length=1000, required=False, allow_blank=True, write_only=True)
    email_to = serializers.CharField(max_length=500, required=False, allow_blank=True)
    integration = IntegrationNameField(slug_field="name", required=False, allow_null=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventKind.choices), required=False)
    is_active = serializers.BooleanField(required=False)


class ChannelTestSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    message = serializers.CharField()


class ChannelViewSet(mixins.DestroyModelMixin, ApiReadViewSet):
    """Team channels (Slack, Teams, e-mail): every role reads its integrations'; admins change them."""

    queryset = NotificationChannel.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = ChannelSerializer
    action_permissions = dict.fromkeys(
        ("create", "partial_update", "destroy", "test"), can_manage_notifications
    )

    def get_queryset(self) -> QuerySet[NotificationChannel]:
        return selectors.channels_visible_to(self.user)

    @extend_schema(request=ChannelInputSerializer, responses=ChannelSerializer)
    def create(self, request: Request) -> Response:
        data = self.input(ChannelInputSerializer, request)
        missing = [name for name in ("name", "kind", "events") if name not in data]
        if missing:
            raise serializers.ValidationError({name: ["This field is required."] for name in missing})
        channel = services.channel_create(
            user=self.user,
            name=data["name"],
            kind=data["kind"],
            events=data["events"],
            webhook_url=data.get("webhook_url", ""),
            email_to=data.get("email_to", ""),
            integration=data.get("integration"),
        )
        return Response(ChannelSerializer(channel).data, status=201)

    @extend_schema(request=ChannelInputSerializer, responses=ChannelSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        channel = self.get_object()
        data = self.input(ChannelInputSerializer, request, partial=True)
        if "kind" in data and data["kind"] != channel.kind:
            raise serializers.ValidationError({"kind": ["A channel's kind cannot change: add another."]})
        channel = services.channel_update(
            user=self.user,
            channel=channel,
            name=data.get("name"),
            events=data.get("events"),
            webhook_url=data.get("webhook_url", ""),
            email_to=data.get("email_to"),
            is_active=data.get("is_active"),
            integration=data["integration"] if "integration" in data else "unchanged",
        )
        return Response(ChannelSerializer(channel).data)

    def perform_destroy(self, instance: NotificationChannel) -> None:
        services.channel_delete(user=self.user, channel=instance)

    @extend_schema(request=None, responses=ChannelTestSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Post a test message to the channel's webhook now and say what it answered."""
        result = services.channel_test(user=self.user, channel=self.get_object())
        return Response({"ok": result.ok, "message": result.message})


class EventSerializer(serializers.ModelSerializer[NotificationEvent]):
    class Meta:
        model = NotificationEvent
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "link",
            "integration_ids",
            "status",
            "cancel_reason",
            "created_at",
            "due_at",
            "dispatched_at",
            "resolved_at",
        ]
        read_only_fields = fields


class EventViewSet(ApiReadViewSet):
    """Events raised, with their state: waiting out the delay, sent out, or cleared before anyone heard."""

    queryset = NotificationEvent.objects.none()
    serializer_class = EventSerializer

    def get_queryset(self) -> QuerySet[NotificationEvent]:
        return selectors.events_visible_to(self.user)


class DeliverySerializer(serializers.ModelSerializer[NotificationDelivery]):
    event = EventSerializer(read_only=True)
    channel = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = NotificationDelivery
        fields = [
            "id",
            "event",
            "channel",
            "user",
            "target",
            "status",
            "attempts",
            "last_error",
            "last_status_code",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class DeliveryViewSet(ApiReadViewSet):
    """Deliveries (status, attempts, last error), filtered by ``status`` and ``target``; admins resend."""

    queryset = NotificationDelivery.objects.none()
    serializer_class = DeliverySerializer
    action_permissions = {"resend": can_manage_notifications}

    def get_queryset(self) -> QuerySet[NotificationDelivery]:
        status = self.request.query_params.get("status", "")
        target = self.request.query_params.get("target", "")
        if status and status not in DeliveryStatus.values:
            raise serializers.ValidationError({"status": [f"One of {', '.join(DeliveryStatus.values)}."]})
        if target and target not in ChannelKind.values:
            raise serializers.ValidationError({"target": [f"One of {', '.join(ChannelKind.values)}."]})
        filters = selectors.DeliveryFilters(status=status, target=target)
        return selectors.deliveries_visible_to(self.user, filters)

    @extend_schema(request=ReasonInputSerializer, responses=DeliverySerializer)
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk: str) -> Response:
        """Send a delivery that gave up again (queued at once, retried as any other)."""
        delivery = services.delivery_resend(
            user=self.user, delivery=self.get_object(), reason=self.reason(request)
        )
        return Response(DeliverySerializer(delivery).data)


class PreferenceSerializer(serializers.ModelSerializer[NotificationPreference]):
    integration = serializers.SlugRelatedField(slug_field="name", read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = NotificationPreference
        fields = ["id", "event", "integration", "console", "email", "updated_at"]
        read_only_fields = fields


class PreferenceInputSerializer(serializers.Serializer[Any]):
    event = serializers.ChoiceField(choices=EventKind.choices)
    integration = IntegrationNameField(slug_field="name", required=False, allow_null=True, default=None)
    console = serializers.BooleanField()
    email = serializers.BooleanField()


class PreferenceViewSet(mixins.DestroyModelMixin, ApiReadViewSet):
    """The signed-in person's own preferences: POST sets one (by event and integration), DELETE resets."""

    queryset = NotificationPreference.objects.none()
    serializer_class = PreferenceSerializer

    def get_queryset(self) -> QuerySet[NotificationPreference]:
        return selectors.preferences_of(self.user)

    @extend_schema(request=PreferenceInputSerializer, responses=PreferenceSerializer)
    def create(self, request: Request) -> Response:
        data = self.input(PreferenceInputSerializer, request)
        preference = services.preference_set(user=self.user, **data)
        return Response(PreferenceSerializer(preference).data, status=201)

    def perform_destroy(self, instance: NotificationPreference) -> None:
        services.preference_reset(user=self.user, preference=instance)


class PolicySerializer(serializers.ModelSerializer[NotificationPolicy]):
    class Meta:
        model = NotificationPolicy
        fields = [*services.POLICY_FIELDS, "updated_at"]
        read_only_fields = fields


class PolicyInputSerializer(serializers.Serializer[Any]):
    delay_seconds = serializers.IntegerField(required=False, min_value=0)
    failure_rate_percent = serializers.IntegerField(required=False, min_value=1, max_value=100)
    failure_rate_min_records = serializers.IntegerField(required=False, min_value=1)
    failure_rate_window_minutes = serializers.IntegerField(required=False, min_value=5)


class PolicyViewSet(ApiViewSet):
    """The delay and the failure-rate threshold: every role reads them; admins change them."""

    queryset = NotificationPolicy.objects.none()
    action_permissions = {"partial_update": can_manage_notifications}
    pagination_class = None

    @extend_schema(responses=PolicySerializer)
    def retrieve(self, request: Request) -> Response:
        return Response(PolicySerializer(notification_policy()).data)

    @extend_schema(request=PolicyInputSerializer, responses=PolicySerializer)
    def partial_update(self, request: Request) -> Response:
        data = self.input(PolicyInputSerializer, request)
        return Response(PolicySerializer(services.policy_set(user=self.user, **data)).data)


router = SimpleRouter()
router.register("notification-channels", ChannelViewSet, basename="notification-channel")
router.register("notification-events", EventViewSet, basename="notification-event")
router.register("notification-deliveries", DeliveryViewSet, basename="notification-delivery")
router.register("notification-preferences", PreferenceViewSet, basename="notification-preference")
urlpatterns = [
    *router.urls,
    path(
        "notification-policy/",
        PolicyViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="notification-policy",
    ),
]
