"""The catalogue's API: ``POST /api/v1/catalogue/sync/`` queues a catalogue sync now (202), through the
service the page and the command call (:mod:`sync.catalogue.on_demand`), which checks the role again and
audits. Its jobs are listed with the others (``/api/v1/jobs/?flow=netsuite_item_to_salesforce``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.views import ApiViewSet
from sync.catalogue.on_demand import CatalogueRequest, can_sync_catalogue, catalogue_sync_request
from sync.connections.api import connection_name_field
from sync.connections.models import ConnectionKind


class CatalogueSyncInputSerializer(serializers.Serializer[Any]):
    full = serializers.BooleanField(
        required=False, default=False, help_text="Every item, not only those changed since the last run"
    )
    salesforce = connection_name_field(
        ConnectionKind.SALESFORCE,
        "The Salesforce connection's name (default: the pairs the Closed Won listeners serve)",
    )
    netsuite = connection_name_field(ConnectionKind.NETSUITE)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CatalogueQueuedSerializer(serializers.Serializer[Any]):
    full = serializers.BooleanField()
    pairs = serializers.SerializerMethodField(help_text="[{salesforce, netsuite}] connection names queued")

    def get_pairs(self, request: CatalogueRequest) -> list[dict[str, str]]:
        return [{"salesforce": sf.name, "netsuite": ns.name} for sf, ns in request.pairs]


class CatalogueSyncViewSet(ApiViewSet):
    """Sync NetSuite items and prices to Salesforce products and price book entries now."""

    serializer_class = CatalogueSyncInputSerializer
    action_permissions = {"create": can_sync_catalogue}

    @extend_schema(
        operation_id="catalogue_sync_create",
        request=CatalogueSyncInputSerializer,
        responses={202: CatalogueQueuedSerializer},
    )
    def create(self, request: Request) -> Response:
        data = self.input(CatalogueSyncInputSerializer, request)
        queued = catalogue_sync_request(
            user=self.user,
            salesforce=data["salesforce"],
            netsuite=data["netsuite"],
            full=data["full"],
            reason=data["reason"],
            source="api",
        )
        return Response(CatalogueQueuedSerializer(queued).data, status=status.HTTP_202_ACCEPTED)


router = SimpleRouter()
router.register("catalogue/sync", CatalogueSyncViewSet, basename="catalogue-sync")
urlpatterns = router.urls
