"""The deal life cycle's API: the sales order lock setting (/api/v1/order-lock-setting/), the orders found
locked (/api/v1/order-locks/) and the cancellations of synced deals (/api/v1/cancellations/). A
cancellation is approved on its exception (``POST /api/v1/exceptions/<id>/approve/``), as on the
exception's page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.serializers import username_field
from core.api.views import ApiReadViewSet, ApiViewSet
from sync.lifecycle.locks import can_change_lock_setting, order_lock_setting, order_lock_setting_set
from sync.lifecycle.models import Cancellation, LockFrom, OrderLock
from sync.lifecycle.selectors import cancellations_visible, order_locks_visible


class OrderLockSettingSerializer(serializers.Serializer[Any]):
    lock_from = serializers.ChoiceField(choices=LockFrom.choices)
    lock_label = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_by = serializers.CharField(read_only=True, allow_null=True)


class OrderLockSettingInputSerializer(serializers.Serializer[Any]):
    lock_from = serializers.ChoiceField(choices=LockFrom.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


def _setting_data() -> dict[str, Any]:
    setting = order_lock_setting()
    return {
        "lock_from": setting.lock_from,
        "lock_label": setting.get_lock_from_display(),
        "updated_at": setting.updated_at,
        "updated_by": setting.updated_by.get_username() if setting.updated_by else None,
    }


class OrderLockSettingViewSet(ApiViewSet):
    """From which status NetSuite sales orders are never edited in place (one setting)."""

    action_permissions = {"partial_update": can_change_lock_setting}
    pagination_class = None

    @extend_schema(responses=OrderLockSettingSerializer, operation_id="order_lock_setting_retrieve")
    def retrieve(self, request: Request) -> Response:
        return Response(_setting_data())

    @extend_schema(
        request=OrderLockSettingInputSerializer,
        responses=OrderLockSettingSerializer,
        operation_id="order_lock_setting_update",
    )
    def partial_update(self, request: Request) -> Response:
        """Lock from ``fulfilled`` (the default) or ``approved``; audited with the reason."""
        data = self.input(OrderLockSettingInputSerializer, request)
        order_lock_setting_set(user=self.user, lock_from=data["lock_from"], reason=data["reason"])
        return Response(_setting_data())


class CancellationSerializer(serializers.ModelSerializer[Cancellation]):
    approved_by = username_field()

    class Meta:
        model = Cancellation
        fields = [
            "id",
            "opportunity_id",
            "contract_id",
            "reason",
            "sales_order_id",
            "subscription_ids",
            "effective_date",
            "status",
            "allowed_by_rule",
            "exception_id",
            "requested_at",
            "approved_by",
            "approved_at",
            "done_at",
            "message",
        ]


class CancellationViewSet(ApiReadViewSet):
    """Cancellations of synced deals: waiting for a finance approval, approved, done or failed."""

    serializer_class = CancellationSerializer
    queryset = Cancellation.objects.none()  # for the schema generator; get_queryset reads

    def get_queryset(self) -> QuerySet[Cancellation]:
        return cancellations_visible(user=self.user).order_by("-requested_at", "-id")


class OrderLockSerializer(serializers.ModelSerializer[OrderLock]):
    integration: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True
    )

    class Meta:
        model = OrderLock
        fields = [
            "id",
            "integration",
            "sales_order_id",
            "opportunity_id",
            "status_code",
            "status_label",
            "reason",
            "first_seen",
            "last_seen",
        ]


class OrderLockViewSet(mixins.ListModelMixin, ApiViewSet):
    """Sales orders NetSuite has moved on, of your integrations' deals (never edited in place)."""

    serializer_class = OrderLockSerializer
    queryset = OrderLock.objects.none()  # for the schema generator; get_queryset reads

    def get_queryset(self) -> QuerySet[OrderLock]:
        return order_locks_visible(user=self.user).select_related("integration").order_by("-last_seen", "-id")


router = SimpleRouter()
router.register("cancellations", CancellationViewSet, basename="cancellation")
router.register("order-locks", OrderLockViewSet, basename="order-lock")
urlpatterns = [
    *router.urls,
    path(
        "order-lock-setting/",
        OrderLockSettingViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="order-lock-setting",
    ),
]
