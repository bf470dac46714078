"""What the return flows keep per NetSuite record, read-only: the invoices written to Salesforce
(/api/v1/synced-invoices/, the rows behind the dashboard's DSO) and the field conflicts they found
(/api/v1/field-conflicts/). Each row names its integration; a person limited to some integrations reads
only theirs (:mod:`sync.integrations.access`), whatever opportunity ids other orgs share."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.views import ApiViewSet
from sync.pipeline.models import FieldConflict, SyncedInvoice
from sync.pipeline.selectors import field_conflicts, invoices_synced


def _integration_name() -> serializers.SlugRelatedField[Any]:
    """The integration a row belongs to, by name (null: a row no writer could place)."""
    return serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)


class SyncedInvoiceSerializer(serializers.ModelSerializer[SyncedInvoice]):
    integration: serializers.SlugRelatedField[Any] = _integration_name()

    class Meta:
        model = SyncedInvoice
        fields = [
            "id",
            "integration",
            "netsuite_id",
            "opportunity_id",
            "invoice_date",
            "currency",
            "amount",
            "amount_paid",
            "amount_remaining",
            "first_synced_at",
            "last_synced_at",
        ]


class FieldConflictSerializer(serializers.ModelSerializer[FieldConflict]):
    integration: serializers.SlugRelatedField[Any] = _integration_name()

    class Meta:
        model = FieldConflict
        fields = [
            "id",
            "integration",
            "flow",
            "sobject",
            "salesforce_id",
            "netsuite_type",
            "netsuite_id",
            "field",
            "owner",
            "owner_value",
            "other_value",
            "synced_value",
            "detected_at",
            "resolved_at",
            "resolution",
        ]


class SyncedInvoiceViewSet(mixins.ListModelMixin, ApiViewSet):
    """Invoices the return flow synced, of the integrations you may see."""

    serializer_class = SyncedInvoiceSerializer
    queryset = SyncedInvoice.objects.none()  # for the schema generator; get_queryset reads

    def get_queryset(self) -> QuerySet[SyncedInvoice]:
        days = self.request.query_params.get("days", "")
        return invoices_synced(
            user=self.user,
            currency=self.request.query_params.get("currency", "")[:3],
            open_only=self.request.query_params.get("open") in ("1", "true"),
            days=int(days) if days.isdigit() and 0 < int(days) <= 3660 else None,
            today=timezone.now().date(),
        ).select_related("integration")

    @extend_schema(
        parameters=[
            OpenApiParameter("currency", str, description="One ISO currency code"),
            OpenApiParameter("open", bool, description="Only invoices with an open balance"),
            OpenApiParameter("days", int, description="Dated in the last N days (1 to 3660)"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class FieldConflictViewSet(mixins.ListModelMixin, ApiViewSet):
    """Changes the non-owning system made to an owned field (never propagated), of your integrations."""

    serializer_class = FieldConflictSerializer
    queryset = FieldConflict.objects.none()  # for the schema generator; get_queryset reads

    def get_queryset(self) -> QuerySet[FieldConflict]:
        return field_conflicts(
            user=self.user,
            open_only=self.request.query_params.get("open") in ("1", "true"),
            sobject=self.request.query_params.get("sobject", "")[:80],
            field=self.request.query_params.get("field", "")[:120],
        ).select_related("integration")

    @extend_schema(
        parameters=[
            OpenApiParameter("open", bool, description="Only conflicts not resolved yet"),
            OpenApiParameter("sobject", str, description="One Salesforce object"),
            OpenApiParameter("field", str, description="One Salesforce field"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


router = SimpleRouter()
router.register("synced-invoices", SyncedInvoiceViewSet, basename="synced-invoice")
router.register("field-conflicts", FieldConflictViewSet, basename="field-conflict")
urlpatterns = router.urls
