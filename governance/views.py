from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import has_role, predicate_required
from core.csv_export import csv_response
from core.http import ConsoleRequest
from core.roles import ROLES
from governance import audit_search, selectors, services, traceability
from governance.audit_checkpoints import audit_checkpoint_record, checkpoint_latest
from governance.chain_verify import chain_verify
from governance.forms import ApiTokenForm, AuditFilterForm, UserActiveForm, UserRolesForm
from governance.models import CheckpointSource
from governance.permissions import can_manage_users, can_see_people, can_view_audit

TRACE_QUERY_LIMIT = traceability.QUERY_LIMIT


@require_GET
def governance_index(request: HttpRequest) -> HttpResponse:
    roles, matrix = selectors.role_matrix()
    return render(
        request,
        "governance/index.html",
        {
            "area": "governance",
            "roles": roles,
            "matrix": matrix,
            "audit_rows": [
                audit_search.audit_row(entry)
                for entry in selectors.audit_entries_recent(user=request.user, limit=25)
            ],
        },
    )


@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    """Admins change roles here; auditors read the same list."""
    if not can_see_people(request.user):
        raise PermissionDenied
    rows = selectors.users_with_roles(user=request.user)
    return render(
        request, "governance/user_list.html", {"area": "governance", "rows": rows, "all_roles": ROLES}
    )


@require_POST
@predicate_required(can_manage_users)
def user_roles_update(request: ConsoleRequest, user_id: int) -> HttpResponse:
    target = _managed_user_or_404(request, user_id)
    form = UserRolesForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.user_roles_set(user=target, roles=form.cleaned_data["roles"], actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Choose roles from the list."
    return _user_row_response(request, target, error=error, saved="Roles saved.")


@require_POST
@predicate_required(can_manage_users)
def user_active_update(request: ConsoleRequest, user_id: int) -> HttpResponse:
    target = _managed_user_or_404(request, user_id)
    form = UserActiveForm(request.POST)
    form.is_valid()
    error = ""
    try:
        services.user_set_active(user=target, is_active=form.cleaned_data["is_active"], actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return _user_row_response(request, target, error=error, saved="Account status saved.")


def _managed_user_or_404(request: HttpRequest, user_id: int) -> User:
    row = selectors.managed_user_get(user=request.user, user_id=user_id)
    if row is None:
        raise Http404("No such user")
    return row.user


def _user_row_response(request: ConsoleRequest, target: User, *, error: str, saved: str) -> HttpResponse:
    """The refreshed table row for htmx; a redirect to the list (with a message) for a plain form post."""
    if request.htmx:
        # 200 even for a refusal: htmx swaps only successful responses, and the row shows the reason.
        row = selectors.managed_user_get(user=request.user, user_id=target.pk)
        context = {"row": row, "all_roles": ROLES, "error": error}
        return render(request, "governance/partials/user_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, saved)
    return redirect("governance:users")


@require_GET
@predicate_required(can_view_audit)
def audit_list(request: ConsoleRequest) -> HttpResponse:
    """The audit browser: filters, newest first, keyset pages ("Older" carries ``before``)."""
    form = AuditFilterForm(request.GET)
    entries = audit_search.audit_entries_filtered(user=request.user, filters=form.audit_filters())
    page = audit_search.audit_page(entries, before=form.page_before())
    query = request.GET.copy()
    query.pop("before", None)
    context = {"area": "governance", "form": form, "page": page, "query": query.urlencode()}
    if request.htmx and request.htmx.target == "audit-results":
        return render(request, "governance/partials/audit_results.html", context)
    return render(request, "governance/audit_list.html", context)


@require_GET
@predicate_required(can_view_audit)
def audit_export(request: ConsoleRequest) -> StreamingHttpResponse:
    """The filtered entries as CSV, streamed in keyset batches (a million rows never sit in memory)."""
    form = AuditFilterForm(request.GET)
    entries = audit_search.audit_entries_filtered(user=request.user, filters=form.audit_filters())
    return csv_response(audit_search.audit_csv_rows(entries), filename="concord-audit.csv")


@require_http_methods(["GET", "POST"])
@predicate_required(can_view_audit)
def audit_chain(request: ConsoleRequest) -> HttpResponse:
    """Check the hash chain on demand (POST runs the check; GET shows the page). A POST with
    ``checkpoint`` records the chain's head first (a checkpoint), then checks."""
    checkpoint = None
    if request.method == "POST" and "checkpoint" in request.POST:
        checkpoint = audit_checkpoint_record(source=CheckpointSource.CONSOLE, user=request.user)
    report = chain_verify() if request.method == "POST" else None
    context = {
        "area": "governance",
        "report": report,
        "recorded": checkpoint,
        "latest_checkpoint": checkpoint or checkpoint_latest(),
    }
    if request.htmx:
        return render(request, "governance/partials/audit_chain_result.html", context)
    return render(request, "governance/audit_chain.html", context)


@require_GET
@predicate_required(has_role)
def trace_search(request: ConsoleRequest) -> HttpResponse:
    """Any id of an opportunity, order, invoice or payment -> the whole chain as a timeline."""
    query = request.GET.get("q", "").strip()[:TRACE_QUERY_LIMIT]
    chains = traceability.trace_chains(user=request.user, key=query) if query else []
    return render(
        request,
        "governance/trace.html",
        {"area": "governance", "query": query, "chains": chains, "kinds": traceability.KINDS},
    )


@require_GET
@predicate_required(has_role)
def trace_export(request: ConsoleRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """One integration's chain for auditors (``integration``: its name; may be left out when the id is in
    one integration's records only): JSON (everything) or CSV (the timeline, one row per event)."""
    if fmt not in ("csv", "json"):
        raise Http404("Export as csv or json")
    query = request.GET.get("q", "").strip()[:TRACE_QUERY_LIMIT]
    try:
        chain = traceability.trace_chain(
            user=request.user, key=query, integration=request.GET.get("integration", "")[:100]
        )
    except traceability.SeveralChains as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    filename = f"concord-trace-{''.join(c for c in query if c.isalnum())[:40] or 'empty'}"
    if fmt == "csv":
        return csv_response(traceability.trace_csv_rows(chain), filename=f"{filename}.csv")
    response = JsonResponse(chain.as_dict(), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response


@require_http_methods(["GET", "POST"])
def token_list(request: ConsoleRequest) -> HttpResponse:
    """Your API tokens (every user's for an admin); POST creates one and shows its secret this once."""
    form = ApiTokenForm(request.POST or None)
    secret = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _, secret = services.token_create(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                form = ApiTokenForm()
        else:
            status = 400
    context = {
        "area": "governance",
        "form": form,
        "secret": secret,
        "tokens": selectors.tokens_visible_to(user=request.user),
        "now": timezone.now(),
    }
    return render(request, "governance/tokens.html", context, status=status)


@require_POST
def token_revoke(request: ConsoleRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(selectors.tokens_visible_to(user=request.user), pk=token_id)
    services.token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token {token} revoked.")
    return redirect("governance:tokens")
