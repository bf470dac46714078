"""Lookup tables (read by all, one value at a time edited by RevOps) and the dynamic lookup cache."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.http import ConsoleRequest
from sync.connectors.errors import ConnectorError
from sync.mapping_views.access import require_editor
from sync.models import ConnectionKind, DynamicLookupEntry, LookupTable
from sync.services.connections import ConnectionMisconfigured
from sync.services.mapping_lookups import dynamic_lookup_refresh, lookup_entry_set
from sync.services.mapping_preview import PreviewUnavailable, sandbox_connection


@require_GET
def lookup_index(request: HttpRequest) -> HttpResponse:
    context = {
        "area": "mappings",
        "tables": LookupTable.objects.prefetch_related("entries"),
        "dynamic": DynamicLookupEntry.objects.all()[:500],
    }
    return render(request, "sync/mappings/lookups.html", context)


@require_POST
def lookup_entry_update(request: ConsoleRequest, table_name: str) -> HttpResponse:
    require_editor(request)
    table = get_object_or_404(LookupTable, name=table_name)
    key = request.POST.get("key", "").strip()
    raw = request.POST.get("value", "")
    try:  # ids are text in NetSuite: a value stays text unless it is JSON such as true or {"id": "1"}
        value = (
            json.loads(raw) if raw.strip()[:1] in "[{" or raw.strip() in ("true", "false", "null") else raw
        )
    except json.JSONDecodeError:
        value = raw
    if not key:
        messages.error(request, "Give the key to map.")
    else:
        lookup_entry_set(table=table, key=key, value=value, user=request.user)
        messages.success(request, f"{table.name}[{key}] saved (revision {table.revision}).")
    return redirect("sync:mapping-lookups")


@require_POST
def dynamic_lookup_refresh_view(request: ConsoleRequest) -> HttpResponse:
    require_editor(request)
    try:
        count = dynamic_lookup_refresh(
            connection=sandbox_connection(ConnectionKind.NETSUITE), user=request.user
        )
    except (PreviewUnavailable, ConnectorError, ConnectionMisconfigured) as error:
        # A NetSuite connection still missing its credentials is the admin's to finish, not a crash.
        messages.error(request, f"Not refreshed: {error}")
    else:
        messages.success(request, f"Asked NetSuite again for {count} SKU(s).")
    return redirect("sync:mapping-lookups")
