"""Pages of the exception policy (categories, escalation paths, the ticket endpoint) and of the NetSuite
lists (subsidiaries, departments, classes, locations). Every role reads them; writes go through the
services, which check the role again (Finance and admins edit the policy, admins the ticket endpoint,
admins and Finance read NetSuite's lists)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import predicate_required
from core.http import ConsoleRequest
from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import ConnectionKind
from sync.connections.selectors import connections_visible
from sync.exceptions import policy
from sync.exceptions.models import ExceptionCategory, NetSuiteListValue, Subsidiary
from sync.exceptions.netsuite_lists import netsuite_lists_read
from sync.exceptions.permissions import can_edit_policy, can_edit_ticket_endpoint, can_read_netsuite_lists
from sync.exceptions.policy_forms import (
    CategoryForm,
    LevelForm,
    LevelMoveForm,
    LevelRemoveForm,
    TicketEndpointForm,
)
from sync.exceptions.ticket_endpoint import ticket_endpoint_set, ticket_endpoint_test
from sync.exceptions.tickets import ticket_endpoint


def _errors(form: forms.Form) -> str:
    parts = []
    for field, errors in form.errors.items():
        text = " ".join(str(error) for error in errors)
        label = form.fields[field].label or field if field in form.fields else ""
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


@require_GET
def policy_index(request: ConsoleRequest) -> HttpResponse:
    categories = ExceptionCategory.objects.select_related(
        "default_owner_group", "default_owner_user"
    ).prefetch_related("levels__group", "levels__user")
    context: dict[str, Any] = {
        "area": "exceptions",
        "rows": [
            {
                "category": category,
                "path": policy.escalation_path(category),
                "sla": policy.duration_text(category.sla),
            }
            for category in categories
        ],
        "can_edit": can_edit_policy(request.user),
        "can_edit_endpoint": can_edit_ticket_endpoint(request.user),
    }
    if context["can_edit_endpoint"]:
        context["endpoint"] = ticket_endpoint()
        context["endpoint_form"] = TicketEndpointForm()
    return render(request, "exceptions/policy.html", context)


@require_http_methods(["GET", "POST"])
def policy_category(request: ConsoleRequest, key: str) -> HttpResponse:
    """A category's settings and escalation path; POST saves the settings (Finance, admins)."""
    category = get_object_or_404(ExceptionCategory, key=key)
    form = CategoryForm.for_category(category)
    status = 200
    if request.method == "POST":
        if not can_edit_policy(request.user):
            raise PermissionDenied("Only Finance and admins edit the exception policy.")
        form = CategoryForm(request.POST)
        try:
            if form.is_valid():
                policy.category_update(category=category, user=request.user, **form.changes())
                messages.success(request, f"{category.name}: saved.")
                return redirect("sync:exception-category", key=key)
            error = _errors(form)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        messages.error(request, error)
        status = 400
    context = {
        "area": "exceptions",
        "category": category,
        "form": form,
        "levels": [
            {"level": level, "duration": policy.duration_text(level.duration)}
            for level in category.levels.select_related("group", "user").order_by("position")
        ],
        "level_form": LevelForm(),
        "can_edit": can_edit_policy(request.user),
    }
    return render(request, "exceptions/policy_category.html", context, status=status)


@require_POST
@predicate_required(can_edit_policy)
def policy_level(request: ConsoleRequest, key: str, action: str) -> HttpResponse:
    """Add, remove or move a level of the category's escalation path."""
    category = get_object_or_404(ExceptionCategory, key=key)
    forms_by_action: dict[str, type[forms.Form]] = {
        "add": LevelForm,
        "remove": LevelRemoveForm,
        "move": LevelMoveForm,
    }
    if action not in forms_by_action:
        raise Http404("No such change")
    form = forms_by_action[action](request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        data = form.cleaned_data
        if action == "add":
            group, user = data["owner"]
            policy.escalation_level_add(
                category=category,
                user=request.user,
                group=group,
                owner_user=user,
                duration=data["duration"],
                position=data["position"],
            )
        elif action == "remove":
            policy.escalation_level_remove(category=category, user=request.user, position=data["position"])
        else:
            policy.escalation_level_move(
                category=category, user=request.user, position=data["position"], to=data["to"]
            )
        messages.success(request, "Escalation path saved.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("sync:exception-category", key=key)


@require_POST
@predicate_required(can_edit_ticket_endpoint)
def policy_ticket_endpoint(request: ConsoleRequest) -> HttpResponse:
    form = TicketEndpointForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_errors(form))
        data = form.cleaned_data
        ticket_endpoint_set(
            user=request.user,
            url=data["url"].strip(),
            secret=data["secret"] or None,
            clear_secret=data["clear_secret"],
        )
        messages.success(request, "Ticket endpoint saved.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("sync:exception-policy")


@require_POST
@predicate_required(can_edit_ticket_endpoint)
def policy_ticket_endpoint_test(request: ConsoleRequest) -> HttpResponse:
    result = ticket_endpoint_test(user=request.user)
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("sync:exception-policy")


@require_GET
def netsuite_lists(request: ConsoleRequest) -> HttpResponse:
    """Subsidiaries and the other NetSuite lists, per NetSuite connection, with a button to read them."""
    connections = connections_visible(user=request.user).filter(kind=ConnectionKind.NETSUITE).order_by("name")
    sections = [
        {
            "connection": connection,
            "subsidiaries": Subsidiary.objects.filter(netsuite_connection=connection)
            .select_related("parent")
            .order_by("netsuite_id", "name"),
            "values": NetSuiteListValue.objects.filter(connection=connection).order_by("kind", "name"),
        }
        for connection in connections
    ]
    context = {
        "area": "exceptions",
        "sections": sections,
        "unplaced": Subsidiary.objects.filter(netsuite_connection__isnull=True).order_by("key"),
        "can_read": can_read_netsuite_lists(request.user),
    }
    return render(request, "exceptions/netsuite_lists.html", context)


@require_POST
@predicate_required(can_read_netsuite_lists)
def netsuite_lists_read_now(request: ConsoleRequest, connection_id: int) -> HttpResponse:
    connection = get_object_or_404(
        connections_visible(user=request.user), pk=connection_id, kind=ConnectionKind.NETSUITE
    )
    try:
        result = netsuite_lists_read(connection=connection, user=request.user)
    except (ConnectorError, ValidationError, ValueError) as exc:
        messages.error(request, f"Could not read {connection.name}: {exc}")
    else:
        messages.success(request, result.message)
    return redirect("sync:netsuite-lists")
