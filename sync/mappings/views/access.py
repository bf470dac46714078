"""Get-or-404 helpers and the permission checks the editor's views share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from core.roles import APPROVE_MAPPINGS, EDIT_MAPPINGS
from sync.exceptions.permissions import flow_edit_allowed
from sync.mappings.models import FieldMapping, Flow, MappingVersion, ObjectMapping


def require_perm(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def require_editor(request: HttpRequest) -> None:
    require_perm(request, EDIT_MAPPINGS)


def require_flow_editor(request: HttpRequest, flow: Flow) -> None:
    """``edit_mappings``, or per-flow access to ``flow`` (sync.exceptions.permissions)."""
    if not flow_edit_allowed(request.user, flow):
        raise PermissionDenied


def require_previewer(request: HttpRequest) -> None:
    """The dry run reads both sandboxes: for the people who make or approve mappings."""
    if not (request.user.has_perm(EDIT_MAPPINGS) or request.user.has_perm(APPROVE_MAPPINGS)):
        raise PermissionDenied


def version_or_404(version_id: int) -> MappingVersion:
    return get_object_or_404(MappingVersion.objects.select_related("flow", "based_on"), pk=version_id)


def object_or_404(object_id: int) -> ObjectMapping:
    return get_object_or_404(ObjectMapping.objects.select_related("version__flow"), pk=object_id)


def row_or_404(row_id: int) -> FieldMapping:
    return get_object_or_404(
        FieldMapping.objects.select_related("object_mapping__version__flow", "parent"), pk=row_id
    )
