"""The console's listener pages: every role reads the listeners, an admin creates one or rotates its URL
(shown once). Kept apart from :mod:`sync.pipeline.listener.views`, the token-authenticated endpoints
Salesforce calls, which stand outside the console's login."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from core.access import object_get_for_user
from core.http import ConsoleRequest
from sync.connections.permissions import can_manage_connections
from sync.pipeline.listener import services as listeners
from sync.pipeline.listener.forms import ListenerForm
from sync.pipeline.listener.selectors import listeners_all


def _listener_page(
    request: HttpRequest, *, form: ListenerForm | None = None, shown: str = "", status: int = 200
) -> HttpResponse:
    """The listeners, the form for a new one, and (``shown``) a URL made just now, shown this once."""
    context = {
        "area": "sync",
        "listeners": listeners_all(),
        "form": form or ListenerForm(),
        "shown": shown,
    }
    response = render(request, "pipeline/listener_list.html", context, status=status)
    if shown:
        response["Cache-Control"] = "no-store"  # the URL is a credential
    return response


@require_http_methods(["GET", "POST"])
def listener_list(request: ConsoleRequest) -> HttpResponse:
    """Every role reads the listeners; an admin's POST creates one and shows its URL once."""
    if request.method == "GET":
        return _listener_page(request)
    if not can_manage_connections(request.user):
        raise PermissionDenied
    form = ListenerForm(request.POST)
    if form.is_valid():
        try:
            listener, token = listeners.listener_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            url = listeners.listener_url(
                listener=listener, token=token, base_url=request.build_absolute_uri("/")
            )
            return _listener_page(request, shown=url)
    return _listener_page(request, form=form, status=400)


@require_POST
def listener_rotate(request: ConsoleRequest, listener_id: int) -> HttpResponse:
    """A new URL for the listener (shown once); the old one stops working."""
    if not can_manage_connections(request.user):
        raise PermissionDenied
    listener = object_get_for_user(listeners_all(), name="listener", pk=listener_id)
    token = listeners.listener_token_rotate(listener=listener, user=request.user)
    url = listeners.listener_url(listener=listener, token=token, base_url=request.build_absolute_uri("/"))
    return _listener_page(request, shown=url)
