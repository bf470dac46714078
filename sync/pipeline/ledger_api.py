"""What the return flows keep per NetSuite record, read-only: the invoices written to Salesforce
(/api/v1/synced-invoices/, the rows behind the dashboard's DSO) and the field conflicts they found
(/api/v1/field-conflicts/). Each row names its integration; a person limited to some integrations reads
only theirs (:mod:`sync.integrations.access`), whatever opportunity ids other orgs share."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
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


class SyncedInvoiceQuerySerializer(serializers.Serializer[Any]):
    currency = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=3, help_text="One ISO currency code"
    )
    open = serializers.BooleanField(
        required=False, default=False, help_text="Only invoices with an open balance"
    )
    days = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=3660,
        help_text="Dated in the last N days",
    )


class SyncedInvoiceViewSet(mixins.ListModelMixin, ApiViewSet):
    """Invoices the return flow synced, of the integrations you may see."""

    serializer_class = SyncedInvoiceSerializer
    queryset = SyncedInvoice.objects.none()  # for the schema generator; get_queryset reads

    def get_queryset(self) -> QuerySet[SyncedInvoice]:
        query = SyncedInvoiceQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)  # a bad filter is a 400 naming it
        return invoices_synced(
            user=self.user,
            currency=query.validated_data["currency"],
            open_only=query.validated_data["open"],
            days=query.validated_data["days"],
            today=timezone.now().date(),
        ).select_related("integration")

    @extend_schema(parameters=[SyncedInvoiceQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class FieldConflictQuerySerializer(serializers.Serializer[Any]):
    open = serializers.BooleanField(
        required=False, default=False, help_text="Only conflicts not resolved yet"
    )
    sobject = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=80, help_text="One Salesforce object"
    )
    field = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=120, help_text="One Salesforce field"
    )


class FieldConflictViewSet(mixins.ListModelMixin, ApiViewSet):
    """Changes the non-owning system made to an owned field (never propagated), of your integrations."""

    serializer_class = FieldConflictSerializer
    queryset = FieldConflict.objects.none()  # for the schema generator; get_queryset reads

    def get_queryset(self) -> QuerySet[FieldConflict]:
        query = FieldConflictQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)  # a bad filter is a 400 naming it
        return field_conflicts(
            user=self.user,
            open_only=query.validated_data["open"],
            sobject=query.validated_data["sobject"],
            field=query.validated_data["field"],
        ).select_related("integration")

    @extend_schema(parameters=[FieldConflictQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


router = SimpleRouter()
router.register("synced-invoices", SyncedInvoiceViewSet, basename="synced-invoice")
router.register("field-conflicts", FieldConflictViewSet, basename="field-conflict")
urlpatterns = router.urls
