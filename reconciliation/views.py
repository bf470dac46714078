"""The reconciliation area: checks with their trend, runs with live progress, mismatches and CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from core.csv_export import csv_response
from core.http import ConsoleRequest
from reconciliation import selectors, services
from reconciliation.checks import CHECKS
from reconciliation.engine import MismatchKind
from reconciliation.models import ReconciliationRun
from reconciliation.permissions import can_edit_tolerances, can_run_reconciliation
from sync.integrations.models import Integration

PAGE_SIZE = 50


def _integration_or_404(request: HttpRequest, name: str) -> Integration:
    try:
        return selectors.integration_visible(request.user, name)
    except selectors.NotVisible as error:
        raise Http404(str(error)) from error


@require_GET
def reconciliation_index(request: HttpRequest) -> HttpResponse:
    integration = _integration_or_404(request, request.GET.get("integration", ""))
    return render(
        request,
        "reconciliation/index.html",
        {
            "area": "reconciliation",
            "integration": integration,
            "integrations": selectors.integrations_visible_to(request.user),
            "overviews": selectors.check_overviews(integration=integration),
            "can_run": can_run_reconciliation(request.user),
            "can_edit_tolerances": can_edit_tolerances(request.user),
        },
    )


@require_POST
def run_create(request: ConsoleRequest, check: str) -> HttpResponse:
    if not can_run_reconciliation(request.user):
        raise PermissionDenied("Running a reconciliation on demand is for RevOps, Finance and Admin.")
    if check not in CHECKS:
        raise Http404("No such check")
    integration = _integration_or_404(request, request.POST.get("integration", ""))
    run = services.reconciliation_enqueue(check=check, actor=request.user, integration=integration)
    url = reverse("reconciliation:run", args=[run.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
def run_rerun(request: ConsoleRequest, run_id: int) -> HttpResponse:
    """Run again: an interrupted (or failed) run's check queued anew; audited on the old run."""
    if not can_run_reconciliation(request.user):
        raise PermissionDenied("Running a reconciliation on demand is for RevOps, Finance and Admin.")
    run = _run_or_404(request, run_id)
    try:
        new = services.reconciliation_rerun(
            run=run, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        url = reverse("reconciliation:run", args=[run.pk])
    else:
        messages.success(request, f"Run #{new.pk} of {run.check_name} queued (again for run #{run.pk}).")
        url = reverse("reconciliation:run", args=[new.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
def tolerance_update(request: ConsoleRequest, check: str) -> HttpResponse:
    if not can_edit_tolerances(request.user):
        raise PermissionDenied("Tolerances are edited by RevOps.")
    if check not in CHECKS:
        raise Http404("No such check")
    try:
        value = Decimal(request.POST.get("tolerance", ""))
        services.tolerance_set(
            check=check, field=request.POST.get("field", ""), tolerance=value, actor=request.user
        )
    except (InvalidOperation, ValueError, ValidationError):
        messages.error(request, "Enter a tolerance of zero or more for a numeric field.")
    else:
        messages.success(request, f"Tolerance of {check}.{request.POST.get('field')} set to {value}.")
    return redirect("reconciliation:index")


@require_GET
def run_detail(request: ConsoleRequest, run_id: int) -> HttpResponse:
    run = _run_or_404(request, run_id)
    if request.htmx and request.htmx.target == "run-progress":
        if not run.is_active:
            return HttpResponseClientRefresh()  # finished: reload once to show the results; polling ends
        return render(request, "reconciliation/partials/run_progress.html", {"run": run})
    kinds = [k.value for k in MismatchKind]
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    field = request.GET.get("field", "")
    page = Paginator(selectors.run_mismatches(run=run, kind=kind, field=field), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context: dict[str, Any] = {
        "area": "reconciliation",
        "run": run,
        "check": CHECKS.get(run.check_name),
        "page": page,
        "kind": kind,
        "field": field,
        "kinds": kinds,
        "fields": selectors.run_mismatch_fields(run=run),
        "can_run": can_run_reconciliation(request.user),
    }
    if request.htmx and request.htmx.target == "mismatch-table":
        return render(request, "reconciliation/partials/mismatch_table.html", context)
    return render(request, "reconciliation/run.html", context)


@require_GET
def run_csv(request: HttpRequest, run_id: int) -> StreamingHttpResponse:
    run = _run_or_404(request, run_id)

    def rows() -> Iterator[list[str]]:
        yield ["kind", "key", "field", "salesforce", "netsuite", "exception", "resolved_at", "details"]
        for mismatch in selectors.run_mismatches(run=run).iterator(chunk_size=2000):
            yield [
                mismatch.kind,
                mismatch.key,
                mismatch.field,
                _cell(mismatch.salesforce_value),
                _cell(mismatch.netsuite_value),
                mismatch.exception_ref,
                mismatch.resolved_at.isoformat() if mismatch.resolved_at else "",
                json.dumps(mismatch.details, sort_keys=True) if mismatch.details else "",
            ]

    named = "" if run.integration is None or run.integration.is_primary else f"{run.integration.name}-"
    return csv_response(rows(), filename=f"reconciliation-{named}{run.check_name}-{run.pk}.csv")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{key}={item}" for key, item in value.items())
    return str(value)


def _run_or_404(request: HttpRequest, run_id: int) -> ReconciliationRun:
    """The run if the person may see its integration (the page, its CSV and "Run again" alike)."""
    run = selectors.run_get(run_id=run_id, user=request.user)
    if run is None:
        raise Http404("No such run")
    return run
