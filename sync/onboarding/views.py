"""Pages of integrations: the list, create, the detail (connections, flows, listeners, schedules, last
reconciliation, grants) with its edit form, and the onboarding (scan, plan, apply).

Every role reads the integrations it may see (:func:`sync.onboarding.selectors.integrations_visible`);
Admins (``manage_connections``) create, change, deactivate and onboard them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form, ModelChoiceField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sync.connections.models import Connection
from sync.golive.services import run_is_stale
from sync.integrations.access import connections_in_scope
from sync.integrations.models import Integration
from sync.onboarding import services
from sync.onboarding.forms import IntegrationCreateForm, IntegrationEditForm, OnboardingApplyForm
from sync.onboarding.permissions import can_manage_integrations, can_publish_config, can_submit_config
from sync.onboarding.review import config_publish_all, config_submit_all
from sync.onboarding.selectors import (
    integration_detail,
    integration_get_for_user,
    integrations_visible,
    onboarding_plan,
    onboarding_runs,
)
from sync.pipeline.listener.setup import setup_guide

REFUSED = "Only admins create, change or onboard integrations."


def _require_manager(request: HttpRequest) -> None:
    if not can_manage_integrations(request.user):
        raise PermissionDenied(REFUSED)


def _connections_in_scope(form: Form, request: HttpRequest) -> None:
    """The form offers only the connections of the integrations the person may see."""
    for field in form.fields.values():
        if (
            isinstance(field, ModelChoiceField)
            and field.queryset is not None
            and field.queryset.model is Connection
        ):
            field.queryset = connections_in_scope(request.user, field.queryset)


def _add_errors(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error)


@require_GET
def integration_list(request: HttpRequest) -> HttpResponse:
    context = {
        "area": "sync",
        "integrations": integrations_visible(user=request.user),
        "can_manage": can_manage_integrations(request.user),
    }
    return render(request, "onboarding/integration_list.html", context)


@require_http_methods(["GET", "POST"])
def integration_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = IntegrationCreateForm(request.POST if request.method == "POST" else None)
    _connections_in_scope(form, request)
    if request.method == "POST" and form.is_valid():
        try:
            setup = services.integration_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            guide = None
            if setup.listener is not None and setup.listener_token:
                guide = setup_guide(
                    listener=setup.listener,
                    base_url=request.build_absolute_uri("/"),
                    token=setup.listener_token,
                )
            context = {"area": "sync", "setup": setup, "guide": guide}
            response = render(request, "onboarding/integration_created.html", context)
            response["Cache-Control"] = "no-store"  # the listener URL carries its secret
            return response
    status = 400 if form.errors else 200
    return render(request, "onboarding/integration_form.html", {"area": "sync", "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def integration_page(request: HttpRequest, integration_id: int) -> HttpResponse:
    """The detail, with the edit form for Admins (POST saves it)."""
    integration = integration_get_for_user(user=request.user, key=integration_id)
    form = None
    if can_manage_integrations(request.user):
        form = IntegrationEditForm.for_integration(
            integration, request.POST if request.method == "POST" else None
        )
        _connections_in_scope(form, request)
    if request.method == "POST":
        _require_manager(request)
        assert form is not None  # noqa: S101 - an admin has the form
        if form.is_valid():
            fields = {name: value for name, value in form.cleaned_data.items() if name in form.changed_data}
            try:
                services.integration_update(integration=integration, actor=request.user, **fields)  # type: ignore[arg-type]
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Integration {integration.name} saved.")
                return redirect("sync:integration", integration_id=integration.pk)
    context = {
        "area": "sync",
        "form": form,
        "can_manage": form is not None,
        **integration_detail(integration),
    }
    return render(
        request, "onboarding/integration_detail.html", context, status=400 if form and form.errors else 200
    )


@require_POST
def integration_config_submit(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Submit every draft of the integration's configuration (each version's own checks apply)."""
    if not can_submit_config(request.user):
        raise PermissionDenied("Mapping and rule editors submit configuration.")
    return _config_review(request, integration_id, config_submit_all, "submitted for approval")


@require_POST
def integration_config_publish(request: HttpRequest, integration_id: int) -> HttpResponse:
    """Approve and publish every submitted version (four eyes: not by anyone who made one)."""
    if not can_publish_config(request.user):
        raise PermissionDenied("Approvers publish configuration.")
    return _config_review(request, integration_id, config_publish_all, "approved and published")


def _config_review(request: HttpRequest, integration_id: int, review: Any, done: str) -> HttpResponse:
    integration = integration_get_for_user(user=request.user, key=integration_id)
    try:
        report = review(integration=integration, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "You may not do this.")
    else:
        messages.success(request, f"{len(report.moved)} versions of {integration.name} {done}.")
    return redirect("sync:integration", integration_id=integration.pk)


@require_POST
def integration_active_set(request: HttpRequest, integration_id: int, *, active: bool) -> HttpResponse:
    """Activate (``active``) or deactivate an integration: its listeners follow (Admins)."""
    _require_manager(request)
    integration = integration_get_for_user(user=request.user, key=integration_id)
    change, done = (
        (services.integration_activate, "is active again")
        if active
        else (services.integration_deactivate, "deactivated: its listeners are disabled")
    )
    try:
        change(integration=integration, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"Integration {integration.name} {done}.")
    return redirect("sync:integration", integration_id=integration.pk)


@require_http_methods(["GET", "POST"])
def integration_onboarding(request: HttpRequest, integration_id: int) -> HttpResponse:
    """The onboarding: the latest scan's plan (GET); POST starts a new scan (Admins)."""
    integration = integration_get_for_user(user=request.user, key=integration_id)
    error = ""
    if request.method == "POST":
        _require_manager(request)
        try:
            services.onboarding_scan(integration=integration, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        else:
            messages.success(
                request, "Onboarding scan queued: a worker reads both systems now (nothing is written)."
            )
            return redirect("sync:integration-onboarding", integration_id=integration.pk)
    context = _onboarding_context(request, integration, OnboardingApplyForm())
    context["error"] = error
    return render(request, "onboarding/integration_onboarding.html", context, status=400 if error else 200)


@require_POST
def integration_onboarding_apply(request: HttpRequest, integration_id: int) -> HttpResponse:
    _require_manager(request)
    integration = integration_get_for_user(user=request.user, key=integration_id)
    form = OnboardingApplyForm(request.POST)
    run = onboarding_runs(integration).first()
    if form.is_valid():
        if run is None:
            form.add_error(None, "No onboarding scan yet: start one first.")
        else:
            try:
                services.onboarding_apply(run=run, actor=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, f"Applying onboarding scan #{run.pk}: a worker writes the links now."
                )
                return redirect("sync:integration-onboarding", integration_id=integration.pk)
    context = _onboarding_context(request, integration, form)
    return render(request, "onboarding/integration_onboarding.html", context, status=400)


def _onboarding_context(
    request: HttpRequest, integration: Integration, form: OnboardingApplyForm
) -> dict[str, Any]:
    run = onboarding_runs(integration).first()
    return {
        "area": "sync",
        "integration": integration,
        "run": run,
        "plan": onboarding_plan(run) if run is not None else None,
        "stale": run_is_stale(run) if run is not None else False,
        "apply_form": form,
        "can_manage": can_manage_integrations(request.user),
    }
