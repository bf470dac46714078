"""Reconciliation runs and their mismatches; starting a run (the same service as "Run now")."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.views import ApiReadViewSet, ApiViewSet
from reconciliation import selectors, services
from reconciliation.api import filtersets
from reconciliation.api import serializers as api
from reconciliation.models import Mismatch, ReconciliationRun
from reconciliation.permissions import can_run_reconciliation


class RunViewSet(ApiReadViewSet):
    """Every role reads runs; RevOps, Finance and Admin start one."""

    serializer_class = api.RunSerializer
    filterset_class = filtersets.RunFilterSet
    action_permissions = {"create": can_run_reconciliation, "rerun": can_run_reconciliation}

    def get_queryset(self) -> QuerySet[ReconciliationRun]:
        runs = selectors.runs_visible_to(self.request.user)
        return runs.select_related("triggered_by", "integration").order_by("-created_at", "-id")

    @extend_schema(request=api.RunStartInputSerializer, responses={202: api.RunSerializer})
    def create(self, request: Request) -> Response:
        """Queue a run of a check of an integration (the primary one by default) for a worker; a run of it
        already queued or running is returned."""
        data = self.input(api.RunStartInputSerializer, request)
        try:
            integration = selectors.integration_visible(self.user, data["integration"])
        except selectors.NotVisible as error:
            raise ValidationError({"integration": [str(error)]}) from error
        run = services.reconciliation_enqueue(check=data["check"], actor=self.user, integration=integration)
        return Response(api.RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=api.RunRerunInputSerializer, responses={202: api.RunSerializer})
    @action(detail=True, methods=["post"])
    def rerun(self, request: Request, pk: str) -> Response:
        """Queue an interrupted or failed run's check again (audited); returns the new run."""
        reason = self.input(api.RunRerunInputSerializer, request)["reason"]
        run = services.reconciliation_rerun(run=self.get_object(), actor=self.user, reason=reason)
        return Response(api.RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class MismatchViewSet(mixins.ListModelMixin, ApiViewSet):
    """One run's mismatches, in the order they were found."""

    serializer_class = api.MismatchSerializer
    filterset_class = filtersets.MismatchFilterSet

    def get_queryset(self) -> QuerySet[Mismatch]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no run
            return Mismatch.objects.none()
        run = selectors.run_get(run_id=int(self.kwargs["run_id"]), user=self.request.user)
        if run is None:
            raise Http404("No such run")
        return selectors.run_mismatches(run=run)
