from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.http import ConsoleRequest
from core.roles import MANAGE_CONNECTIONS
from sync import selectors
from sync.connections import services as connections
from sync.connections.checks import connection_test
from sync.connections.forms import ConnectionForm
from sync.connections.models import Connection
from sync.pipeline.listener import services as listeners
from sync.pipeline.listener.forms import ListenerForm
from sync.pipeline.models import Listener


@require_GET
def sync_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sync/index.html",
        {
            "area": "sync",
            "summary": selectors.background_task_summary(),
            "tasks": selectors.background_tasks_recent(limit=20),
        },
    )


# -- connections ---------------------------------------------------------------------------------


@require_GET
def connection_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "connections/connection_list.html",
        {"area": "sync", "connections": selectors.connections_visible(user=request.user)},
    )


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE_CONNECTIONS, raise_exception=True)
def connection_create(request: ConsoleRequest) -> HttpResponse:
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
    connection = _connection_or_404(request, connection_id)
    can_manage = request.user.has_perm(MANAGE_CONNECTIONS)
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
    }
    if request.htmx and request.method == "POST":
        return render(request, "connections/partials/connection_form.html", context)
    return render(request, "connections/connection_detail.html", context)


@require_POST
@permission_required(MANAGE_CONNECTIONS, raise_exception=True)
def connection_test_run(request: ConsoleRequest, connection_id: int) -> HttpResponse:
    connection = _connection_or_404(request, connection_id)
    result = connection_test(connection=connection, actor=request.user)
    if request.htmx:
        return render(
            request, "connections/partials/connection_test.html", {"connection": connection, "result": result}
        )
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("sync:connection", connection.pk)


@require_POST
@permission_required(MANAGE_CONNECTIONS, raise_exception=True)
def connection_deactivate(request: ConsoleRequest, connection_id: int) -> HttpResponse:
    connection = _connection_or_404(request, connection_id)
    connections.connection_deactivate(actor=request.user, connection=connection)
    messages.success(request, f"Connection {connection.name} deactivated.")
    url = reverse("sync:connection", args=[connection.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# -- listeners -----------------------------------------------------------------------------------


def _listener_page(
    request: HttpRequest, *, form: ListenerForm | None = None, shown: str = "", status: int = 200
) -> HttpResponse:
    """The listeners, the form for a new one, and (``shown``) a URL made just now, shown this once."""
    context = {
        "area": "sync",
        "listeners": Listener.objects.select_related("salesforce_connection", "netsuite_connection"),
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
    if not request.user.has_perm(MANAGE_CONNECTIONS):
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
@permission_required(MANAGE_CONNECTIONS, raise_exception=True)
def listener_rotate(request: ConsoleRequest, listener_id: int) -> HttpResponse:
    """A new URL for the listener (shown once); the old one stops working."""
    listener = Listener.objects.filter(pk=listener_id).first()
    if listener is None:
        raise Http404("No such listener")
    token = listeners.listener_token_rotate(listener=listener, user=request.user)
    url = listeners.listener_url(listener=listener, token=token, base_url=request.build_absolute_uri("/"))
    return _listener_page(request, shown=url)


def _connection_or_404(request: HttpRequest, connection_id: int) -> Connection:
    connection = selectors.connection_get(user=request.user, connection_id=connection_id)
    if connection is None:
        raise Http404("No such connection")
    return connection


def _form_errors(form: ConnectionForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
