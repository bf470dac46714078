"""The console's listener pages: every role reads the listeners and how to set up their sender; an admin
creates one, gives it a new URL, enables or disables it, and sends it a test notification. Kept apart
from :mod:`sync.pipeline.listener.views`, the token-authenticated endpoints Salesforce calls, which stand
outside the console's login.

A URL with its token is shown only in the answer that made it (creation, rotation), with the setup steps
and the test form pre-filled; those answers are ``no-store``. Afterwards the page shows the URL masked.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.access import object_get_for_user
from core.http import ConsoleRequest
from sync.connections.permissions import can_manage_connections
from sync.pipeline.listener import services as listeners
from sync.pipeline.listener.forms import ListenerForm, ListenerTestForm
from sync.pipeline.listener.probe import ProbeResult, listener_test_send
from sync.pipeline.listener.selectors import listeners_visible
from sync.pipeline.listener.setup import setup_guide
from sync.pipeline.models import Listener


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # the URL is a credential
    return response


def _listener_list_page(
    request: HttpRequest, *, form: ListenerForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "area": "sync",
        "listeners": listeners_visible(user=request.user),
        "form": form or ListenerForm(user=request.user),
    }
    return render(request, "pipeline/listener_list.html", context, status=status)


def _listener_page(
    request: HttpRequest,
    listener: Listener,
    *,
    token: str = "",
    test_form: forms.Form | None = None,
    result: ProbeResult | None = None,
    status: int = 200,
) -> HttpResponse:
    """One listener: its state, the setup steps (with the exact URL when ``token`` was made just now,
    else masked), the test form and the last test's ``result``."""
    guide = setup_guide(listener=listener, base_url=request.build_absolute_uri("/"), token=token)
    context: dict[str, Any] = {
        "area": "sync",
        "listener": listener,
        "guide": guide,
        "test_form": test_form or ListenerTestForm(initial={"url": guide.url if token else ""}),
        "result": result,
        "can_manage": can_manage_connections(request.user),
    }
    response = render(request, "pipeline/listener_detail.html", context, status=status)
    # The URL is a credential, and a test form may carry it back.
    return _no_store(response) if token or test_form is not None else response


def _managed_listener(request: ConsoleRequest, listener_id: int) -> Listener:
    if not can_manage_connections(request.user):
        raise PermissionDenied
    return object_get_for_user(listeners_visible(user=request.user), name="listener", pk=listener_id)


@require_http_methods(["GET", "POST"])
def listener_list(request: ConsoleRequest) -> HttpResponse:
    """Every role reads the listeners; an admin's POST creates one and shows its URL and setup once."""
    if request.method == "GET":
        return _listener_list_page(request)
    if not can_manage_connections(request.user):
        raise PermissionDenied
    form = ListenerForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            listener, token = listeners.listener_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _listener_page(request, listener, token=token)
    return _listener_list_page(request, form=form, status=400)


def listener_detail(request: ConsoleRequest, listener_id: int) -> HttpResponse:
    """One listener and how to set up its sender (every role reads; the URL's token is masked)."""
    listener = object_get_for_user(listeners_visible(user=request.user), name="listener", pk=listener_id)
    return _listener_page(request, listener)


@require_POST
def listener_rotate(request: ConsoleRequest, listener_id: int) -> HttpResponse:
    """A new URL for the listener (shown once, with the setup steps); the old one stops working."""
    listener = _managed_listener(request, listener_id)
    token = listeners.listener_token_rotate(listener=listener, user=request.user)
    return _listener_page(request, listener, token=token)


@require_POST
def listener_enable(request: ConsoleRequest, listener_id: int) -> HttpResponse:
    """Accept notifications again; those Salesforce kept while the listener was off arrive as it retries."""
    listener = _managed_listener(request, listener_id)
    if listeners.listener_set_active(listener=listener, is_active=True, user=request.user):
        messages.success(request, f"Listener {listener.name} enabled: Salesforce's retries will now land.")
    else:
        messages.info(request, f"Listener {listener.name} was already enabled.")
    return redirect("sync:listener", listener.pk)


@require_POST
def listener_disable(request: ConsoleRequest, listener_id: int) -> HttpResponse:
    """Refuse notifications with a 503 (the sender keeps and retries them: Salesforce for 24 hours)."""
    listener = _managed_listener(request, listener_id)
    if listeners.listener_set_active(listener=listener, is_active=False, user=request.user):
        messages.warning(
            request,
            f"Listener {listener.name} disabled: it answers 503 and Salesforce retries each notification "
            "for 24 hours. Enable it within that time and nothing is lost.",
        )
    else:
        messages.info(request, f"Listener {listener.name} was already disabled.")
    return redirect("sync:listener", listener.pk)


@require_POST
def listener_test(request: ConsoleRequest, listener_id: int) -> HttpResponse:
    """Send a test notification to the URL given (this listener's current one) and show how far it got."""
    listener = _managed_listener(request, listener_id)
    form = ListenerTestForm(request.POST)
    if not form.is_valid():
        return _listener_page(request, listener, test_form=form, status=400)
    try:
        result = listener_test_send(listener=listener, url=form.cleaned_data["url"], user=request.user)
    except ValidationError as exc:
        form.add_error("url", exc)
        return _listener_page(request, listener, test_form=form, status=400)
    listener.refresh_from_db(fields=["last_test_at"])
    return _listener_page(request, listener, test_form=form, result=result)
