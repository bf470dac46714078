"""Get-or-404 helpers and the permission checks the editor's views share."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode

from sync.integrations.access import integration_scope
from sync.integrations.choice import PARAMETER, integration_chosen
from sync.integrations.models import Integration
from sync.mappings.models import FieldMapping, Flow, MappingVersion, ObjectMapping
from sync.mappings.permissions import can_edit_mappings, can_preview_mappings, flow_edit_allowed

M = TypeVar("M", bound=Model)


def require_editor(request: HttpRequest) -> None:
    """``edit_mappings`` (lookup tables, shared by every flow)."""
    if not can_edit_mappings(request.user):
        raise PermissionDenied


def require_flow_editor(request: HttpRequest, flow: Flow) -> None:
    """``edit_mappings``, or per-flow access to ``flow`` (:mod:`sync.mappings.permissions`)."""
    if not flow_edit_allowed(request.user, flow):
        raise PermissionDenied


def require_previewer(request: HttpRequest) -> None:
    """The dry run reads both sandboxes: for the people who make or approve mappings."""
    if not can_preview_mappings(request.user):
        raise PermissionDenied


def console_integration(request: HttpRequest) -> Integration:
    """The integration a console page works on: ``?integration=<name>`` (or the form's field), the
    primary integration when none; 404 for one outside the person's scope."""
    name = request.GET.get(PARAMETER) or request.POST.get(PARAMETER)
    return integration_chosen(request.user, name)


def to_index(view: str, integration: Integration) -> HttpResponse:
    """Back to an index page, on ``integration`` (the primary one needs no parameter)."""
    url = reverse(view)
    return redirect(url if integration.is_primary else f"{url}?{urlencode({PARAMETER: integration.name})}")


def _scoped(user: Any, queryset: QuerySet[M], path: str) -> QuerySet[M]:
    """``queryset`` within the integrations ``user`` may see (another integration's is 404)."""
    return integration_scope(user).filter(queryset, integration=path)


def flow_or_404(user: Any, integration: Integration, key: str) -> Flow:
    """``integration``'s flow ``key`` (the integration comes from :func:`integration_chosen`)."""
    return get_object_or_404(
        _scoped(user, Flow.objects.all(), "integration"), integration=integration, key=key
    )


def version_or_404(version_id: int, user: Any) -> MappingVersion:
    versions = MappingVersion.objects.select_related("flow", "flow__integration", "based_on")
    return get_object_or_404(_scoped(user, versions, "flow__integration"), pk=version_id)


def object_or_404(object_id: int, user: Any) -> ObjectMapping:
    objects = ObjectMapping.objects.select_related("version__flow")
    return get_object_or_404(_scoped(user, objects, "version__flow__integration"), pk=object_id)


def row_or_404(row_id: int, user: Any) -> FieldMapping:
    rows = FieldMapping.objects.select_related("object_mapping__version__flow", "parent")
    return get_object_or_404(_scoped(user, rows, "object_mapping__version__flow__integration"), pk=row_id)
