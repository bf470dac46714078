"""The catalogue page: the catalogue sync's recent jobs and its schedule, and "Sync now" for RevOps and
Admin. The service (:mod:`sync.catalogue.on_demand`) checks the role again and audits."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from core.schedules import schedule_state
from sync.catalogue.on_demand import can_sync_catalogue, catalogue_sync_request
from sync.catalogue.schedules import CATALOGUE_SYNC_SPEC
from sync.catalogue.services import CATALOGUE_FLOW
from sync.integrations.access import integration_scope
from sync.pipeline.flow_state import flow_paused_in
from sync.pipeline.selectors import jobs_visible

RECENT = 20


@require_GET
def catalogue_page(request: HttpRequest) -> HttpResponse:
    jobs = jobs_visible(user=request.user).filter(flow=CATALOGUE_FLOW)
    context = {
        "area": "sync",
        "flow": CATALOGUE_FLOW,
        "jobs": jobs.order_by("-started_at")[:RECENT],
        "schedule": schedule_state(CATALOGUE_SYNC_SPEC.key),
        # The person's integrations whose catalogue flow is paused (each pauses its own).
        "paused": flow_paused_in(CATALOGUE_FLOW, integration_scope(request.user).integrations()),
        "can_sync": can_sync_catalogue(request.user),
    }
    return render(request, "catalogue/catalogue.html", context)


@require_POST
def catalogue_sync_view(request: ConsoleRequest) -> HttpResponse:
    if not can_sync_catalogue(request.user):
        raise PermissionDenied
    try:
        queued = catalogue_sync_request(
            user=request.user,
            full=request.POST.get("full") == "on",
            reason=request.POST.get("reason", ""),
            source="console",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        pairs = ", ".join(f"{ns.name} -> {sf.name}" for sf, ns in queued.pairs)
        messages.success(request, f"Catalogue sync queued ({pairs}); its job appears below when it has run.")
    return redirect("sync:catalogue")
