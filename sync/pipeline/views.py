"""Pages of the pipeline: jobs and their records, the inbox, re-runs and the per-opportunity trace; and a
mapping version's dry run (a real opportunity through the version, against NetSuite's current records).

The dry run's opportunity is picked by name or id: the search box asks :func:`opportunity_search` as one
types (htmx) and lists the matches, each a link to its dry run; the form takes a name or an id as well.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from sync.integrations.access import integration_scope
from sync.mappings.engine import MappingValidationError
from sync.mappings.views.access import require_previewer, version_or_404
from sync.pipeline import jobs
from sync.pipeline import selectors as pipeline_selectors
from sync.pipeline.backfills import backfill_resume, backfill_start
from sync.pipeline.forms import BackfillForm
from sync.pipeline.models import InboxStatus, JobStatus
from sync.pipeline.permissions import can_push, can_rerun
from sync.pipeline.preview import PreviewUnavailable, mapping_dry_run, opportunity_search


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "pipeline/jobs.html", _jobs_context(request))


@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = pipeline_selectors.job_get(user=request.user, job_id=job_id)
    return render(
        request,
        "pipeline/job_detail.html",
        {
            "area": "sync",
            "job": job,
            "records": pipeline_selectors.job_records(job=job),
            "return_records": pipeline_selectors.job_return_records(job=job),
            "can_rerun": can_rerun(request.user),
        },
    )


@require_POST
def record_rerun(request: HttpRequest, record_id: int) -> HttpResponse:
    record = pipeline_selectors.record_get(user=request.user, record_id=record_id)
    message = jobs.record_rerun(record=record, user=request.user, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
    messages.success(
        request, f"Opportunity {record.opportunity_id} queued again ({message.notification_id})."
    )
    return redirect("sync:job", job_id=record.job_id)


@require_POST
def job_requeue(request: HttpRequest, job_id: int) -> HttpResponse:
    """Queue an interrupted job's unfinished opportunities again now (the inbox would in time)."""
    job = pipeline_selectors.job_get(user=request.user, job_id=job_id)
    try:
        queued = jobs.job_requeue_unfinished(
            job=job,
            user=request.user,  # type: ignore[arg-type]  # login is required on every page
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{len(queued)} unfinished opportunities queued again.")
    return redirect("sync:job", job_id=job.pk)


@require_GET
def inbox_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in InboxStatus.values:
        status = ""
    page = pipeline_selectors.inbox_page(
        user=request.user, status=status, cursor=request.GET.get("older", "")
    )
    context = {"area": "sync", "rows": page.rows, "older": page.older, "status": status}
    return render(request, "pipeline/inbox.html", context)


@require_GET
def invoice_list(request: HttpRequest) -> HttpResponse:
    """The invoices synced back from NetSuite: the rows behind the dashboard's DSO."""
    days_text = request.GET.get("days", "")
    days = int(days_text) if days_text.isdigit() and 0 < int(days_text) <= 3660 else None
    filters = {
        "currency": request.GET.get("currency", "")[:3],
        "open_only": request.GET.get("open") == "on",
        "days": days,
    }
    rows = pipeline_selectors.invoices_synced(user=request.user, **filters, today=timezone.now().date())[:500]  # type: ignore[arg-type]
    return render(request, "pipeline/invoices.html", {"area": "sync", "rows": rows, **filters})


@require_GET
def conflict_list(request: HttpRequest) -> HttpResponse:
    """Field conflicts: changes the non-owning system made to an owned field, never propagated.

    A list of its own rather than exceptions: the owner's value wins by rule, so there is nothing to
    assign, retry or approve; the queue stays for what needs a person, and this page shows the pattern
    (which fields people keep editing on the wrong side).
    """
    filters = {
        "open_only": request.GET.get("open") == "on",
        "sobject": request.GET.get("sobject", "")[:80],
        "field": request.GET.get("field", "")[:120],
    }
    rows = pipeline_selectors.field_conflicts(user=request.user, **filters)[:500]  # type: ignore[arg-type]
    return render(request, "pipeline/conflicts.html", {"area": "sync", "rows": rows, **filters})


@require_GET
def opportunity_trace(request: HttpRequest, opportunity_id: str) -> HttpResponse:
    trace = pipeline_selectors.opportunity_trace(user=request.user, opportunity_id=opportunity_id[:18])
    context = {"area": "sync", "opportunity_id": opportunity_id, "can_push": can_push(request.user), **trace}
    return render(request, "pipeline/trace.html", context)


# -- backfills -----------------------------------------------------------------------------------


@require_POST
def backfill_start_view(request: HttpRequest) -> HttpResponse:
    if not can_rerun(request.user):
        return HttpResponse("Starting a backfill needs the RevOps or Admin role.", status=403)
    form = BackfillForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "pipeline/jobs.html", _jobs_context(request, form), status=400)
    try:
        backfill = backfill_start(
            actor=request.user,  # type: ignore[arg-type]  # login is required on every page
            salesforce=form.cleaned_data["salesforce"],
            netsuite=form.cleaned_data["netsuite"],
            since=form.cleaned_data["since"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(request, "pipeline/jobs.html", _jobs_context(request, form), status=400)
    return redirect("sync:backfill", backfill_id=backfill.pk)


@require_GET
def backfill_detail(request: HttpRequest, backfill_id: int) -> HttpResponse:
    backfill = pipeline_selectors.backfill_get(user=request.user, backfill_id=backfill_id)
    template = "pipeline/partials/backfill_progress.html" if request.htmx else "pipeline/backfill.html"  # type: ignore[attr-defined]
    context = {"area": "sync", "backfill": backfill, "can_resume": can_rerun(request.user)}
    return render(request, template, context)


@require_POST
def backfill_resume_view(request: HttpRequest, backfill_id: int) -> HttpResponse:
    """Resume an interrupted or failed backfill from its cursor."""
    backfill = pipeline_selectors.backfill_get(user=request.user, backfill_id=backfill_id)
    try:
        backfill_resume(backfill=backfill, actor=request.user, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Backfill #{backfill.pk} resumed from batch {backfill.batches + 1}.")
    return redirect("sync:backfill", backfill_id=backfill.pk)


def _jobs_context(request: HttpRequest, form: BackfillForm | None = None) -> dict[str, object]:
    filters = pipeline_selectors.job_filters_from(request.GET.dict())
    page = pipeline_selectors.jobs_page(
        user=request.user, filters=filters, cursor=request.GET.get("older", "")
    )
    older = request.GET.copy()
    older["older"] = page.older
    return {
        "area": "sync",
        "jobs": page.rows,
        "older_query": older.urlencode() if page.older else "",
        "filters": filters,
        "job_statuses": [*JobStatus.choices, (pipeline_selectors.WITH_FAILURES, "With failed records")],
        "job_flows": pipeline_selectors.job_flows(current=filters.flow),
        "backfills": pipeline_selectors.backfills_visible(user=request.user)[:10],
        "backfill_form": form or BackfillForm(user=request.user),
        "can_backfill": can_rerun(request.user),
    }


@require_GET
def sync_index(request: HttpRequest) -> HttpResponse:
    """The sync area's front page: the background work django-q2 has done and has waiting."""
    limited = integration_scope(request.user).limited
    return render(
        request,
        "sync/index.html",
        {
            "area": "sync",
            "summary": pipeline_selectors.background_task_summary(),
            # Background tasks belong to no integration (their arguments may name any).
            "tasks": [] if limited else pipeline_selectors.background_tasks_recent(limit=20),
        },
    )


def _opportunity(request: ConsoleRequest) -> str:
    # ``opportunity_id`` is the parameter's earlier name, still in bookmarked links.
    return (request.GET.get("opportunity") or request.GET.get("opportunity_id") or "").strip()


@require_GET
def version_preview(request: ConsoleRequest, version_id: int) -> HttpResponse:
    require_previewer(request)
    version = version_or_404(version_id, request.user)
    opportunity = _opportunity(request)
    context: dict[str, object] = {"area": "mappings", "version": version, "opportunity": opportunity}
    if opportunity:
        try:
            context["preview"] = mapping_dry_run(version=version, opportunity=opportunity)
        except PreviewUnavailable as error:
            context["error"] = str(error)
        except MappingValidationError as error:
            context["error"] = "; ".join(str(problem) for problem in error.problems)
    template = "mappings/partials/preview_result.html" if request.htmx else "mappings/preview.html"
    return render(request, template, context)


@require_GET
def version_preview_search(request: ConsoleRequest, version_id: int) -> HttpResponse:
    """The search box's matches: opportunities whose name contains ``q``, or whose id it is (the box
    sends its own field, ``opportunity``, as it is typed)."""
    require_previewer(request)
    version = version_or_404(version_id, request.user)
    term = (request.GET.get("q") or _opportunity(request)).strip()
    context: dict[str, object] = {"version": version, "term": term, "choices": []}
    if term:
        try:
            context["choices"] = opportunity_search(term=term, integration=version.flow.integration)
        except PreviewUnavailable as error:
            context["error"] = str(error)
    return render(request, "mappings/partials/preview_choices.html", context)
