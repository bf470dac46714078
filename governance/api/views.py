"""The audit trail (auditors) and API tokens (each person their own; admins revoke anyone's); releases
are in :mod:`governance.api.releases`."""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.paging import NewestFirstCursorPagination
from core.api.views import ApiReadViewSet
from governance import selectors, services
from governance.api import filtersets
from governance.api import serializers as api
from governance.audit_checkpoints import audit_checkpoint_record
from governance.audit_search import AuditFilters, audit_entries_filtered
from governance.chain_verify import chain_verify
from governance.models import ApiToken, AuditCheckpoint, AuditEntry, CheckpointSource
from governance.permissions import can_view_audit


class AuditEntryViewSet(ApiReadViewSet):
    """The audit trail, newest first, in keyset pages (``cursor``); for auditors."""

    queryset = AuditEntry.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = api.AuditEntrySerializer
    filterset_class = filtersets.AuditEntryFilterSet
    pagination_class = NewestFirstCursorPagination
    action_permissions = {"list": can_view_audit, "retrieve": can_view_audit}

    def get_queryset(self) -> QuerySet[AuditEntry]:
        entries = audit_entries_filtered(user=self.user, filters=AuditFilters())
        return entries.select_related("actor", "content_type")


class ApiTokenViewSet(ApiReadViewSet):
    """Your API tokens (every user's for an admin who manages users). The secret is shown once."""

    queryset = ApiToken.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = api.ApiTokenSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        return selectors.tokens_visible_to(user=self.user)

    @extend_schema(request=api.ApiTokenInputSerializer, responses={201: api.ApiTokenCreatedSerializer})
    def create(self, request: Request) -> Response:
        """A new token of yours; the response's ``secret`` is the only time it is shown."""
        data = self.input(api.ApiTokenInputSerializer, request)
        token, secret = services.token_create(user=self.user, **data)
        body = {**api.ApiTokenSerializer(token).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=api.ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        token = services.token_revoke(token=self.get_object(), actor=self.user)
        return Response(api.ApiTokenSerializer(token).data)


class AuditCheckpointViewSet(ApiReadViewSet):
    """Checkpoints of the audit chain (its head recorded outside the trail), newest first; for auditors.

    ``POST`` records one now; ``POST verify/`` checks the chain and every checkpoint, like
    ``manage.py verify_audit_chain``.
    """

    queryset = AuditCheckpoint.objects.none()  # for the schema generator; get_queryset reads
    serializer_class = api.AuditCheckpointSerializer
    action_permissions = dict.fromkeys(("list", "retrieve", "create", "verify"), can_view_audit)

    def get_queryset(self) -> QuerySet[AuditCheckpoint]:
        return AuditCheckpoint.objects.select_related("recorded_by").order_by("-id")

    @extend_schema(request=None, responses={201: api.AuditCheckpointSerializer})
    def create(self, request: Request) -> Response:
        checkpoint = audit_checkpoint_record(source=CheckpointSource.API, user=self.user)
        return Response(api.AuditCheckpointSerializer(checkpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=api.ChainReportSerializer)
    @action(detail=False, methods=["post"])
    def verify(self, request: Request) -> Response:
        report = chain_verify()
        link = report.first_break
        return Response(
            {
                "intact": report.intact,
                "checked": report.checked,
                "head": report.head,
                "head_id": report.head_id,
                "checkpoints_checked": report.checkpoints_checked,
                "first_break": None if link is None else asdict(link),
            }
        )
