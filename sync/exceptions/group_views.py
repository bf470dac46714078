"""Pages of exception groups: /exceptions/groups/ (the causes many exceptions share) and one group's page
with its members and the actions for all of them. Reads through :mod:`sync.exceptions.groups` (scoped to
the person), writes through :mod:`sync.exceptions.group_actions`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from sync.exceptions import group_actions, groups, permissions
from sync.exceptions.forms import ReasonForm
from sync.exceptions.group_forms import GroupFilterForm, LookupDraftForm
from sync.mappings.permissions import can_edit_mappings

MEMBERS_SHOWN = 200


@require_GET
def exception_group_index(request: ConsoleRequest) -> HttpResponse:
    form = GroupFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    found = groups.exception_groups(
        user=request.user,
        integration=(data.get("integration") or "").strip(),
        category=(data.get("category") or "").strip(),
    )
    context = {"area": "exceptions", "form": form, "groups": found}
    return render(request, "exceptions/groups.html", context)


def _group_context(request: ConsoleRequest, key: str, **forms: Any) -> dict[str, Any]:
    group = groups.exception_group_get(user=request.user, key=key)
    members = groups.exception_group_members(user=request.user, key=key)
    return {
        "area": "exceptions",
        "group": group,
        "members": members[:MEMBERS_SHOWN],
        "members_more": max(group.size - MEMBERS_SHOWN, 0),
        "can_act": permissions.can_act(request.user),
        "can_draft": group.lookup_miss is not None and can_edit_mappings(request.user),
        "retry_form": forms.get("retry_form") or ReasonForm(),
        "draft_form": forms.get("draft_form") or LookupDraftForm(),
    }


@require_GET
def exception_group_detail(request: ConsoleRequest, key: str) -> HttpResponse:
    return render(request, "exceptions/group_detail.html", _group_context(request, key))


@require_POST
def exception_group_act(request: ConsoleRequest, key: str, action: str) -> HttpResponse:
    """``retry`` (every member now) or ``lookup-draft`` (the missing key into its table's draft)."""
    if action not in ("retry", "lookup-draft"):
        raise Http404("No such action")
    groups.exception_group_get(user=request.user, key=key)  # outside the scope: 404 before anything
    form: ReasonForm = ReasonForm(request.POST) if action == "retry" else LookupDraftForm(request.POST)
    if not form.is_valid():
        name = "retry_form" if action == "retry" else "draft_form"
        return render(
            request, "exceptions/group_detail.html", _group_context(request, key, **{name: form}), status=400
        )
    try:
        if action == "retry":
            report = group_actions.exception_group_retry(
                key=key, user=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _retried_text(report))
        else:
            draft = group_actions.exception_group_lookup_draft(
                key=key,
                user=request.user,
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                f"Added to the draft {draft.version}; {len(draft.members)} exceptions say where the fix "
                "waits. Submit the draft for approval here; retry the group once it is published.",
            )
            return redirect("sync:mapping-lookup-version", version_id=draft.version.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("sync:exception-group", key=key)


def _retried_text(report: group_actions.GroupRetryReport) -> str:
    text = f"{len(report.retried)} retries queued."
    if report.skipped:
        reasons = sorted(set(report.skipped.values()))
        text += f" {len(report.skipped)} not retried: " + " ".join(reasons)
    return text
