"""Get-or-404 helpers and the permission checks the editor's views share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from sync.mappings.models import FieldMapping, Flow, MappingVersion, ObjectMapping
from sync.mappings.permissions import can_edit_mappings, can_preview_mappings, flow_edit_allowed


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


def version_or_404(version_id: int) -> MappingVersion:
    return get_object_or_404(MappingVersion.objects.select_related("flow", "based_on"), pk=version_id)


def object_or_404(object_id: int) -> ObjectMapping:
    return get_object_or_404(ObjectMapping.objects.select_related("version__flow"), pk=object_id)


def row_or_404(row_id: int) -> FieldMapping:
    return get_object_or_404(
        FieldMapping.objects.select_related("object_mapping__version__flow", "parent"), pk=row_id
    )
