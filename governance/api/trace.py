"""Traceability in the API (/api/v1/trace/?q=<id>): every chain through an id, one per integration the
caller may see (:mod:`governance.traceability`); never one chain merged from two orgs' records."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import ApiViewSet
from governance import traceability
from sync.pipeline.models import CrossReference


class TraceQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        max_length=traceability.QUERY_LIMIT,
        help_text="An opportunity Id, a sales order's internal or external id, an invoice's NetSuite id or "
        "Invoice__c Id, or a payment id",
    )
    integration = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Only this integration's chain",
    )


class TraceViewSet(ApiViewSet):
    """The chains through an id: links, timeline, versions, rule outcomes and exceptions, per integration."""

    pagination_class = None
    # For the schema generator, which wants a model: a chain is walked through the cross-references.
    queryset = CrossReference.objects.none()

    @extend_schema(
        parameters=[TraceQuerySerializer],
        responses=inline_serializer(
            "TraceAnswer",
            {
                "query": serializers.CharField(),
                "chains": serializers.ListField(
                    child=serializers.DictField(),
                    help_text="One per integration whose records have the id (its name in 'integration')",
                ),
            },
        ),
        operation_id="trace_list",
    )
    def list(self, request: Request) -> Response:
        query = TraceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        key, integration = query.validated_data["q"].strip(), query.validated_data["integration"]
        chains = traceability.trace_chains(user=self.user, key=key)
        if integration:
            chains = [chain for chain in chains if chain.integration == integration]
        return Response({"query": key, "chains": [chain.as_dict() for chain in chains]})
