"""Connection pages: the list, a connection's page (its edit form for admins), test and deactivate."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.http import ConsoleRequest
from sync.connections import services as connections
from sync.connections.checks import connection_test
from sync.connections.forms import ConnectionForm
from sync.connections.metadata.selectors import metadata_summary
from sync.connections.permissions import can_manage_connections, can_refresh_metadata
from sync.connections.selectors import connection_get_for_user, connections_visible


@require_GET
def connection_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "connections/connection_list.html",
        {"area": "sync", "connections": connections_visible(user=request.user)},
    )


@require_http_methods(["GET", "POST"])
def connection_create(request: ConsoleRequest) -> HttpResponse:
    _require_manager(request)
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = connections.connection_create(
                actor=request.user, secrets=form.secrets_data(), **form.settings_data()
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"Connection {connection.name} created. Test it before use.")
            url = reverse("sync:connection", args=[connection.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = (
        "connections/partials/connection_form.html" if request.htmx else "connections/connection_form.html"
    )
    return render(request, template, {"area": "sync", "form": form, "connection": None})


@require_http_methods(["GET", "POST"])
def connection_detail(request: ConsoleRequest, connection_id: int) -> HttpResponse:
    """The connection page: read-only for every role, the edit form for admins."""
    connection = connection_get_for_user(user=request.user, connection_id=connection_id)
    can_manage = can_manage_connections(request.user)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Only admins change connections.")
    form = ConnectionForm(request.POST or None, instance=connection) if can_manage else None
    saved = False
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            connection = connections.connection_update(
                actor=request.user, connection=connection, secrets=form.secrets_data(), **form.settings_data()
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if not request.htmx:
                messages.success(request, f"Connection {connection.name} saved.")
                return redirect("sync:connection", connection.pk)
            saved = True
            form = ConnectionForm(instance=connection)  # fresh: the secret inputs empty again
    context = {
        "area": "sync",
        "connection": connection,
        "form": form,
        "saved": saved,
        "secret_names": connections.SECRET_FIELDS.get(connection.auth_method, ()),
        "metadata": metadata_summary(user=request.user, connection_id=connection.pk),
        "can_refresh": can_refresh_metadata(request.user),
    }
    if request.htmx and request.method == "POST":
        return render(request, "connections/partials/connection_form.html", context)
    return render(request, "connections/connection_detail.html", context)


@require_POST
def connection_test_run(request: ConsoleRequest, connection_id: int) -> HttpResponse:
    _require_manager(request)
    connection = connection_get_for_user(user=request.user, connection_id=connection_id)
    result = connection_test(connection=connection, actor=request.user)
    if request.htmx:
        return render(
            request, "connections/partials/connection_test.html", {"connection": connection, "result": result}
        )
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("sync:connection", connection.pk)


@require_POST
def connection_deactivate(request: ConsoleRequest, connection_id: int) -> HttpResponse:
    _require_manager(request)
    connection = connection_get_for_user(user=request.user, connection_id=connection_id)
    connections.connection_deactivate(actor=request.user, connection=connection)
    messages.success(request, f"Connection {connection.name} deactivated.")
    url = reverse("sync:connection", args=[connection.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _require_manager(request: HttpRequest) -> None:
    if not can_manage_connections(request.user):
        raise PermissionDenied


def _form_errors(form: ConnectionForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
