"""The retention page (/sync/retention/): every role reads the policy and the last prune; admins change
the days and prune now (or count what would go). Writes go through the services, which check and audit."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from sync.retention.policy import (
    FIELDS,
    MAXIMUM_DAYS,
    MINIMUM_DAYS,
    can_change_retention,
    retention_policy,
    retention_policy_set,
)
from sync.retention.prune import retention_prune

LABELS = {
    "jobs_days": "Sync jobs and their records (days)",
    "inbox_days": "Done inbox messages (days)",
    "exceptions_days": "Resolved and ignored exceptions (days after they closed)",
}


class RetentionForm(forms.Form):
    jobs_days = forms.IntegerField(
        required=False, min_value=0, max_value=MAXIMUM_DAYS, label=LABELS["jobs_days"]
    )
    inbox_days = forms.IntegerField(
        required=False, min_value=0, max_value=MAXIMUM_DAYS, label=LABELS["inbox_days"]
    )
    exceptions_days = forms.IntegerField(
        required=False, min_value=0, max_value=MAXIMUM_DAYS, label=LABELS["exceptions_days"]
    )
    reason = forms.CharField(required=False, max_length=500, label="Why")


@require_GET
def retention_index(request: ConsoleRequest) -> HttpResponse:
    policy = retention_policy()
    context = {
        "area": "sync",
        "policy": policy,
        "rows": [(LABELS[field], getattr(policy, field), MINIMUM_DAYS[field]) for field in FIELDS],
        "form": RetentionForm(initial={field: getattr(policy, field) for field in FIELDS}),
        "can_change": can_change_retention(request.user),
        "dry_run": request.session.pop("retention_dry_run", None),
    }
    return render(request, "retention/index.html", context)


@require_POST
def retention_change(request: ConsoleRequest) -> HttpResponse:
    if not can_change_retention(request.user):
        raise PermissionDenied("Changing the retention policy needs the Admin role.")
    form = RetentionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give whole numbers of days (an empty field keeps for ever).")
        return redirect("sync:retention")
    days = {field: form.cleaned_data[field] for field in FIELDS}
    try:
        retention_policy_set(user=request.user, reason=form.cleaned_data["reason"], **days)
        messages.success(request, "Retention policy saved.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("sync:retention")


@require_POST
def retention_run(request: ConsoleRequest) -> HttpResponse:
    if not can_change_retention(request.user):
        raise PermissionDenied("Pruning needs the Admin role.")
    dry = request.POST.get("dry_run") == "1"
    result = retention_prune(user=request.user, dry_run=dry)
    counts = (
        f"{result.jobs} jobs ({result.records} records), {result.inbox} inbox messages, "
        f"{result.exceptions} exceptions"
    )
    if dry:
        request.session["retention_dry_run"] = result.as_dict()
        messages.info(request, f"A prune now would delete {counts}.")
    else:
        messages.success(request, f"Pruned {counts}.")
    return redirect("sync:retention")
