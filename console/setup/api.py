"""GET /api/v1/setup/: the first-run checklist as JSON (every role reads it)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from console.setup.checklist import setup_checklist
from core.api.views import ApiViewSet


class SetupChecklistViewSet(ApiViewSet):
    @extend_schema(
        responses=OpenApiResponse(
            description='{"complete", "done", "total", "steps": [{"key", "title", "why", "url", "done", '
            '"evidence"}]}'
        )
    )
    def list(self, request: Request) -> Response:
        """Each first-run step, done or not, with its evidence and the page that does it."""
        return Response(setup_checklist().as_dict())


urlpatterns = [path("setup/", SetupChecklistViewSet.as_view({"get": "list"}), name="setup-checklist")]
