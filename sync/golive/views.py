"""Pages of the go-live assistant: start a scan, watch it, review the suspects, confirm the links.

Every role sees the runs; RevOps and Admins start scans (they write nothing); only Admins confirm the
links, which write to NetSuite (:mod:`sync.golive.services`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from sync.golive.forms import GoLiveApplyForm, GoLiveStartForm
from sync.golive.models import GoLiveRun
from sync.golive.permissions import can_apply, can_scan
from sync.golive.selectors import golive_results_to_review, golive_run_get, golive_runs_visible
from sync.golive.services import golive_apply_confirm, golive_start, run_is_stale


@require_http_methods(["GET", "POST"])
def golive_index(request: HttpRequest) -> HttpResponse:
    form = GoLiveStartForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        if not can_scan(request.user):
            raise PermissionDenied("Starting a go-live match needs the RevOps or Admin role.")
        if form.is_valid():
            try:
                run = golive_start(
                    actor=request.user,  # type: ignore[arg-type]  # login is required on every page
                    salesforce=form.cleaned_data["salesforce"],
                    netsuite=form.cleaned_data["netsuite"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("sync:golive-run", run_id=run.pk)
    context = {
        "area": "sync",
        "form": form,
        "runs": golive_runs_visible(user=request.user)[:20],
        "can_scan": can_scan(request.user),
    }
    return render(request, "golive/golive.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET"])
def golive_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's page, or (htmx) just its progress card, which polls while a worker moves the run on."""
    run = golive_run_get(user=request.user, run_id=run_id)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "golive/partials/golive_progress.html", {"run": run})
    return render(request, "golive/golive_run.html", _run_context(request, run, GoLiveApplyForm()))


@require_POST
def golive_apply(request: HttpRequest, run_id: int) -> HttpResponse:
    if not can_apply(request.user):
        raise PermissionDenied("Applying go-live links writes to NetSuite: it needs the Admin role.")
    run = golive_run_get(user=request.user, run_id=run_id)
    form = GoLiveApplyForm(request.POST)
    if form.is_valid():
        try:
            golive_apply_confirm(run=run, actor=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Applying go-live match #{run.pk}: a worker writes the links now.")
            return redirect("sync:golive-run", run_id=run.pk)
    return render(request, "golive/golive_run.html", _run_context(request, run, form), status=400)


def _run_context(request: HttpRequest, run: GoLiveRun, form: GoLiveApplyForm) -> dict[str, object]:
    return {
        "area": "sync",
        "run": run,
        "apply_form": form,
        "can_apply": can_apply(request.user),
        "stale": run_is_stale(run),
        **golive_results_to_review(run=run),
    }
