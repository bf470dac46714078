"""Lookup tables: read by all; changed only through a version (RevOps drafts and submits it, someone else
approves and publishes it: :mod:`sync.mappings.services.lookup_versions`), typed or imported from NetSuite
(:mod:`sync.mappings.services.lookup_import`). The dynamic lookup cache too."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from core.json_input import JsonTooDeep, json_loads_bounded
from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import ConnectionMisconfigured, NoSandboxConnection
from sync.integrations.access import integration_scope
from sync.integrations.choice import integrations_visible
from sync.mappings.models import DynamicLookupEntry, LookupTable, LookupVersion, VersionStatus
from sync.mappings.services import lookup_versions as services
from sync.mappings.services.lookup_import import (
    import_connection,
    importable_tables,
    lookup_diff,
    lookup_import,
    lookup_import_source,
)
from sync.mappings.services.lookups import integration_dynamic_lookup_refresh
from sync.mappings.views.access import console_integration, require_editor, to_index

PENDING = [VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.APPROVED]
REASON_LIMIT = 2000  # characters of a typed reason kept (it goes into the audit entry's JSON)


def _value(raw: str) -> Any:
    """Ids are text in NetSuite: a value stays text unless it is JSON such as true or {"id": "1"}."""
    text = raw.strip()
    if text[:1] in ("[", "{") or text in ("true", "false", "null"):
        try:
            return json_loads_bounded(text)
        except JsonTooDeep as error:
            raise ValidationError(f"The value is refused: {error}") from error
        except json.JSONDecodeError:
            return raw
    return raw


def _version_or_404(version_id: int, user: Any) -> LookupVersion:
    versions = LookupVersion.objects.select_related("table", "table__integration", "based_on")
    scoped = integration_scope(user).filter(versions, integration="table__integration")
    return get_object_or_404(scoped, pk=version_id)


def _table_or_404(request: HttpRequest, table_name: str) -> LookupTable:
    """The chosen integration's table ``table_name`` (:func:`console_integration`)."""
    return get_object_or_404(LookupTable, integration=console_integration(request), name=table_name)


@require_GET
def lookup_index(request: HttpRequest) -> HttpResponse:
    integration = console_integration(request)
    tables = list(LookupTable.objects.filter(integration=integration))
    versions = LookupVersion.objects.filter(table__integration=integration)
    published = {
        v.table_id: v for v in versions.filter(status=VersionStatus.PUBLISHED).prefetch_related("entries")
    }
    pending: dict[int, list[LookupVersion]] = {}
    for version in versions.filter(status__in=PENDING).order_by("-number"):
        pending.setdefault(version.table_id, []).append(version)
    importable = importable_tables()
    # Cached answers of the integration's own NetSuite accounts (ids differ from one account to another).
    accounts = [integration.netsuite_connection_id, integration.sandbox_netsuite_connection_id]
    dynamic = DynamicLookupEntry.objects.select_related("netsuite_connection")
    if integration_scope(request.user).limited or not integration.is_primary:
        dynamic = dynamic.filter(netsuite_connection_id__in=[pk for pk in accounts if pk is not None])
    context = {
        "area": "mappings",
        "integration": integration,
        "integrations": integrations_visible(request.user),
        "tables": [(table, published.get(table.pk), pending.get(table.pk, [])) for table in tables],
        "dynamic": dynamic[:500],
        "importable": importable,
        "not_yet": sorted(set(importable) - {table.name for table in tables}),
        "netsuite_connections": Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True)
        .order_by("-environment", "name")
        .values_list("name", "environment"),
    }
    return render(request, "mappings/lookups.html", context)


@require_POST
def lookup_import_view(request: ConsoleRequest, table_name: str) -> HttpResponse:
    """Import the table from NetSuite (the chosen connection, else the sandbox one) as a draft to review."""
    require_editor(request)
    try:
        integration = console_integration(request)
        connection = import_connection(request.POST.get("connection", "").strip() or None, integration)
        result = lookup_import(
            table_name=table_name, user=request.user, connection=connection, integration=integration
        )
    except (ValidationError, NoSandboxConnection, ConnectorError, ConnectionMisconfigured) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, f"Not imported: {text}")
        return to_index("sync:mapping-lookups", console_integration(request))
    for note in result.notes[:20]:
        messages.warning(request, note)
    if result.version is None:
        messages.info(request, result.message)
        return to_index("sync:mapping-lookups", console_integration(request))
    messages.success(request, result.message)
    return redirect("sync:mapping-lookup-version", result.version.pk)


@require_POST
def lookup_entry_update(request: ConsoleRequest, table_name: str) -> HttpResponse:
    """Set one entry in the table's open draft (made from the published version when there is none)."""
    require_editor(request)
    table = _table_or_404(request, table_name)
    try:
        draft = services.lookup_draft_for(table=table, user=request.user)
        services.lookup_draft_entry_set(
            version=draft,
            key=request.POST.get("key", ""),
            value=_value(request.POST.get("value", "")),
            user=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return to_index("sync:mapping-lookups", console_integration(request))
    messages.success(request, f"Saved in draft {draft}: it maps nothing until approved and published.")
    return redirect("sync:mapping-lookup-version", draft.pk)


@require_POST
def lookup_draft_create(request: ConsoleRequest, table_name: str) -> HttpResponse:
    require_editor(request)
    table = _table_or_404(request, table_name)
    draft = services.lookup_draft_for(table=table, user=request.user)
    return redirect("sync:mapping-lookup-version", draft.pk)


@require_GET
def lookup_version_page(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version_or_404(version_id, request.user)
    current = services.published_lookup_version(version.table)
    entries = services.lookup_entries(version)
    live = services.lookup_entries(current) if current is not None else {}
    source = lookup_import_source(version)
    names: dict[str, str] = (source or {}).get("names") or {}

    def named(*values: Any) -> str:
        return next((names[str(value)] for value in values if str(value) in names), "")

    diff = lookup_diff(live, entries)
    changes = (
        [("added", key, "—", value, named(value, key)) for key, value in diff.added]
        + [("removed", key, value, "—", named(value, key)) for key, value in diff.removed]
        + [("changed", key, before, after, named(after, key)) for key, before, after in diff.changed]
    )
    changes.sort(key=lambda row: str(row[1]))
    context = {
        "source": source,
        "diff_summary": diff.summary(),
        "area": "mappings",
        "version": version,
        "entries": sorted(entries.items()),
        "published": current,
        "changes": changes,
        "makers": services.makers(version),
    }
    return render(request, "mappings/lookup_version.html", context)


def _entry_set(version: LookupVersion, request: ConsoleRequest) -> LookupVersion:
    services.lookup_draft_entry_set(
        version=version,
        key=request.POST.get("key", ""),
        value=_value(request.POST.get("value", "")),
        user=request.user,
    )
    return version


def _entry_delete(version: LookupVersion, request: ConsoleRequest) -> LookupVersion:
    services.lookup_draft_entry_delete(version=version, key=request.POST.get("key", ""), user=request.user)
    return version


def _import(version: LookupVersion, request: ConsoleRequest) -> LookupVersion:
    try:
        entries = json_loads_bounded(request.POST.get("entries", ""))
    except JsonTooDeep as error:
        raise ValidationError(f"The entries are refused: {error}") from error
    except json.JSONDecodeError as error:
        raise ValidationError(f"The entries are not JSON: {error}") from error
    return services.lookup_version_import(version=version, entries=entries, user=request.user)


def _reason(request: ConsoleRequest) -> str:
    return request.POST.get("reason", "").strip()[:REASON_LIMIT]


ACTIONS: dict[str, Callable[[LookupVersion, ConsoleRequest], LookupVersion]] = {
    "set": _entry_set,
    "delete": _entry_delete,
    "import": _import,
    "submit": lambda v, r: services.lookup_version_submit(version=v, user=r.user, reason=_reason(r)),
    "approve": lambda v, r: services.lookup_version_approve(version=v, user=r.user, reason=_reason(r)),
    "reject": lambda v, r: services.lookup_version_reject(version=v, user=r.user, reason=_reason(r)),
    "publish": lambda v, r: services.lookup_version_publish(version=v, user=r.user, reason=_reason(r)),
}


@require_POST
def lookup_version_action(request: ConsoleRequest, version_id: int, action: str) -> HttpResponse:
    """Edit a draft's entries, or submit / approve / reject / publish; the services check the role and
    four eyes."""
    version = _version_or_404(version_id, request.user)
    act = ACTIONS.get(action)
    if act is None:
        return HttpResponse(status=404)
    try:
        result = act(version, request)
    except ValidationError as error:
        messages.error(request, f"Not done ({action}): " + " ".join(error.messages))
        return redirect("sync:mapping-lookup-version", version.pk)
    except PermissionDenied as error:
        return render(request, "403.html", {"reason": str(error)}, status=403)
    messages.success(request, f"{result} is {result.get_status_display().lower()}.")
    return redirect("sync:mapping-lookup-version", result.pk)


@require_POST
def dynamic_lookup_refresh_view(request: ConsoleRequest) -> HttpResponse:
    """Ask the chosen integration's own sandbox NetSuite account again for every cached SKU."""
    require_editor(request)
    integration = console_integration(request)
    try:
        count = integration_dynamic_lookup_refresh(integration=integration, user=request.user)
    except (NoSandboxConnection, ConnectorError, ConnectionMisconfigured) as error:
        # A NetSuite connection still missing its credentials is the admin's to finish, not a crash.
        messages.error(request, f"Not refreshed: {error}")
    else:
        messages.success(request, f"Asked NetSuite again for {count} SKU(s).")
    return to_index("sync:mapping-lookups", integration)
