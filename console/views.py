"""The home dashboard: the panels of the user's roles, each polled on its own (see console/dashboard.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from console.dashboard import PANELS, Panel, panel_for, panels_for
from console.setup.checklist import setup_checklist
from core.http import ConsoleRequest
from core.roles import MANAGE_CONNECTIONS, MANAGE_USERS
from sync.integrations.access import (
    IntegrationScope,
    integration_chosen,
    integration_scope,
    scope_of_integration,
)
from sync.integrations.models import Integration

PANEL_TEMPLATE = "console/partials/panel.html"


def _poll_seconds() -> int:
    return max(2, int(settings.DASHBOARD_POLL_SECONDS))


def _chosen(request: ConsoleRequest) -> tuple[Integration | None, IntegrationScope]:
    """The integration the ``?integration=<name>`` filter chose (404 for one the person cannot see), and
    the scope the figures are read in: that integration's, else every integration the person may see."""
    try:
        chosen = integration_chosen(request.user, request.GET.get("integration", "")[:50])
    except Integration.DoesNotExist:
        raise Http404("No such integration") from None
    return chosen, (scope_of_integration(chosen) if chosen else integration_scope(request.user))


def _panel_context(request: ConsoleRequest, panel: Panel) -> dict[str, object]:
    now = timezone.now()
    chosen, scope = _chosen(request)
    figures = panel.figures(request.user, scope, now)
    return {"panel": panel, "poll_seconds": _poll_seconds(), "now": now, "integration": chosen, **figures}


@require_GET
def dashboard(request: ConsoleRequest) -> HttpResponse:
    # Each panel is drawn by the same template as its polled fragment, so the two never differ.
    panels = [
        render_to_string(PANEL_TEMPLATE, _panel_context(request, panel), request=request)
        for panel in panels_for(user=request.user)
    ]
    # Admins are pointed at the setup checklist until every step is done.
    setup = None
    if request.user.has_perm(MANAGE_USERS) or request.user.has_perm(MANAGE_CONNECTIONS):
        checklist = setup_checklist(scope=integration_scope(request.user))
        setup = None if checklist.complete else checklist
    chosen, _ = _chosen(request)
    context = {
        "area": "dashboard",
        "panels": panels,
        "setup": setup,
        "integration": chosen,
        "integrations": integration_scope(request.user).integrations().order_by("-is_primary", "name"),
    }
    return render(request, "console/dashboard.html", context)


@require_GET
def dashboard_panel(request: ConsoleRequest, name: str) -> HttpResponse:
    """One panel's fragment (what the page polls); a panel the user's roles do not show is refused."""
    if name not in PANELS:
        raise Http404("No such panel")
    panel = panel_for(user=request.user, name=name)
    if panel is None:
        raise PermissionDenied("Your roles do not show this panel.")
    return render(request, PANEL_TEMPLATE, _panel_context(request, panel))
