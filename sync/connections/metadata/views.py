"""Metadata pages: the panel on a connection's page, its refresh, and one cached object's fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from sync.connections.metadata.selectors import metadata_object_for_user, metadata_summary
from sync.connections.metadata.services import MetadataRefreshFailed, metadata_refresh
from sync.connections.metadata.types import FieldInfo
from sync.connections.permissions import can_refresh_metadata
from sync.connections.selectors import connection_get_for_user

PANEL = "connections/partials/metadata_panel.html"


@require_POST
def connection_metadata_refresh(request: ConsoleRequest, connection_id: int) -> HttpResponse:
    """Read the connection's metadata again (admins and mapping editors); the panel says how it went."""
    if not can_refresh_metadata(request.user):
        raise PermissionDenied("Only admins and those who edit mappings refresh metadata.")
    connection = connection_get_for_user(user=request.user, connection_id=connection_id)
    extra = [name for name in request.POST.get("objects", "").replace(",", " ").split() if name]
    outcome, ok = "", True
    try:
        outcome = metadata_refresh(connection=connection, actor=request.user, objects=extra).message
    except ValidationError as exc:
        outcome, ok = " ".join(exc.messages), False
    except MetadataRefreshFailed as exc:
        outcome, ok = str(exc), False
    if request.htmx:
        context = {
            "metadata": metadata_summary(user=request.user, connection_id=connection.pk),
            "can_refresh": True,
            "outcome": outcome,
            "outcome_ok": ok,
        }
        return render(request, PANEL, context)
    (messages.success if ok else messages.error)(request, outcome)
    return redirect("sync:connection", connection.pk)


@require_GET
def connection_metadata_object(request: ConsoleRequest, connection_id: int, object_name: str) -> HttpResponse:
    """One cached object's fields, filtered by ``q`` (API name, label or type); htmx gets the table."""
    connection, info = metadata_object_for_user(
        user=request.user, connection_id=connection_id, name=object_name
    )
    if info is None:
        raise Http404(f"{object_name} is not in the cached metadata of {connection.name}")
    query = request.GET.get("q", "").strip()[:100]
    fields = [f for f in info.fields.values() if _matches(f, query.lower())]
    context = {"area": "sync", "connection": connection, "object": info, "fields": fields, "query": query}
    if request.htmx:
        return render(request, "connections/partials/metadata_fields_table.html", context)
    return render(request, "connections/metadata_object.html", context)


def _matches(field: FieldInfo, query: str) -> bool:
    if not query:
        return True
    return any(query in text.lower() for text in (field.name, field.label, field.type, field.native_type))
