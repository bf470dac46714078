"""GET /api/v1/setup/: the first-run checklist as JSON (every role reads it)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.setup.checklist import setup_checklist
from core.api.views import role_checked_by_drf
from sync.integrations.access import integration_scope


class SetupChecklistView(APIView):
    """Not a viewset: the checklist is computed from every area; the default permissions (any role)."""

    @extend_schema(
        operation_id="setup_checklist",
        responses=OpenApiResponse(
            description='{"complete", "done", "total", "steps": [{"key", "title", "why", "url", "done", '
            '"evidence"}]}'
        ),
    )
    def get(self, request: Request) -> Response:
        """Each first-run step, done or not, with its evidence and the page that does it."""
        return Response(setup_checklist(scope=integration_scope(request.user)).as_dict())


urlpatterns = [path("setup/", role_checked_by_drf(SetupChecklistView.as_view()), name="setup-checklist")]
