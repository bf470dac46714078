"""Pages of the exception queue. Reads go through selectors (scoped to the user), writes through services.

An exception outside the user's subsidiaries is a 404; a role that may not act gets 403 from the service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.csv_export import csv_response
from core.http import ConsoleRequest
from sync.exceptions import actions as actions
from sync.exceptions import detail, payload, permissions, selectors, tags
from sync.exceptions.bulk import BULK_ACTIONS, bulk_owner, exceptions_bulk
from sync.exceptions.escalation import notifications_mark_read
from sync.exceptions.export import queue_csv_rows
from sync.exceptions.forms import (
    AcceptOtherForm,
    AssignForm,
    BulkForm,
    CommentForm,
    ExceptionFilterForm,
    MatchDecisionForm,
    OverrideForm,
    PayloadEditForm,
    ReasonForm,
    TagForm,
    system_name,
    value_choice_label,
)
from sync.exceptions.matching import exception_match_decide, match_comparison
from sync.exceptions.models import (
    ExceptionEvent,
    ExceptionItem,
    ExceptionOverride,
    ExceptionStatus,
    OverrideKind,
    RetryStatus,
)
from sync.exceptions.queue import SORTS, queue_page
from sync.integrations.access import integration_scope
from sync.pipeline.selectors import background_tasks_recent


@require_GET
def exception_index(request: ConsoleRequest) -> HttpResponse:
    """The queue: one page of the filtered, searched, sorted backlog; the table alone for htmx."""
    form = ExceptionFilterForm(request.GET or None, user=request.user)
    page = queue_page(user=request.user, filters=form.filters(), page=form.page_number)
    context = {
        "area": "exceptions",
        "form": form,
        "page": page,
        "items": page.items,
        "now": timezone.now(),
        "sort": form.filters().sort,
        "sort_columns": _sort_columns(form),
        "query": form.query_without("page"),
        "bulk_actions": BULK_ACTIONS.items(),
        "can_act": permissions.can_act(request.user),
    }
    if request.htmx and request.htmx.target == "exception-table":
        return render(request, "exceptions/partials/exception_table.html", context)
    # Background tasks belong to no integration (their arguments may name any): not for a limited person.
    limited = integration_scope(request.user).limited
    context["failed_tasks"] = [] if limited else background_tasks_recent(limit=20, failed_only=True)
    return render(request, "exceptions/exceptions.html", context)


def _sort_columns(form: ExceptionFilterForm) -> dict[str, str]:
    """Each sortable column's link: sorted by it, or reversed when it is the current sort."""
    current = form.filters().sort
    base = form.query_without("sort", "page")
    links = {}
    for key in SORTS:
        target = f"-{key}" if current == key else key
        links[key] = f"?{base}&sort={target}" if base else f"?sort={target}"
    return links


@require_GET
def exception_export(request: ConsoleRequest) -> StreamingHttpResponse:
    """Every exception the filters match (not one page), as a streamed CSV."""
    form = ExceptionFilterForm(request.GET or None, user=request.user)
    rows = queue_csv_rows(user=request.user, filters=form.filters())
    return csv_response(rows, filename=f"exceptions-{timezone.now():%Y%m%d-%H%M}.csv")


@require_POST
def exception_bulk(request: ConsoleRequest) -> HttpResponse:
    """One action on the ticked exceptions under one reason; back to the queue with what was done."""
    if not permissions.can_act(request.user):
        raise PermissionDenied("Your role cannot act on exceptions.")
    form = BulkForm(request.POST)
    back = request.POST.get("next", "")
    target = f"{reverse('sync:exceptions')}?{back}" if back else reverse("sync:exceptions")
    if not form.is_valid():
        errors = "; ".join(" ".join(str(e) for e in errs) for errs in form.errors.values())
        messages.error(request, f"Nothing was changed: {errors}")
        return redirect(target)
    data = form.cleaned_data
    try:
        owner_user, owner_group = bulk_owner(data["owner"]) if data["action"] == "assign" else (None, None)
        result = exceptions_bulk(
            user=request.user,
            item_ids=data["ids"],
            action=data["action"],
            reason=data["reason"],
            owner_user=owner_user,
            owner_group=owner_group,
        )
    except ValidationError as error:
        messages.error(request, f"Nothing was changed: {' '.join(error.messages)}")
        return redirect(target)
    (messages.warning if result.refused else messages.success)(request, result.summary)
    return redirect(target)


@require_GET
def exception_detail(request: ConsoleRequest, item_id: int) -> HttpResponse:
    item = selectors.exception_get_for_user(user=request.user, item_id=item_id)
    return render(request, "exceptions/exception_detail.html", _detail_context(request, item))


def _detail_context(request: ConsoleRequest, item: ExceptionItem, error: str = "") -> dict[str, Any]:
    job = detail.exception_job(item=item, user=request.user)
    record = detail.exception_sync_record(item=item, user=request.user)
    retries = list(payload.exception_retries(item=item))
    return {
        "area": "exceptions",
        "item": item,
        "record_links": detail.record_links(item=item, job=job),
        "job": job,
        "trace_opportunity": detail.trace_opportunity(item),
        "detail_lines": detail.details_in_words(item=item, job=job, record=record),
        "exchanges": detail.failing_exchanges(record),
        "payload_rows": [
            {"row": row, "sent": value_text(row.sent), "next": _input_text(row.next)}
            for row in payload.next_retry_payload(item=item)
        ],
        "retries": retries,
        "pending_retry": next((r for r in retries if r.status == RetryStatus.PENDING), None),
        "tags": tags.exception_tags(item=item),
        "events": _history(selectors.exception_history(item=item)),
        "overrides": _override_rows(selectors.exception_overrides(item=item)),
        "edit_fields": _edit_fields(item),
        "value_choices": _value_choices(item),
        "tickets": item.tickets.all(),
        "can_act": permissions.can_act(request.user),
        "can_approve": permissions.can_approve(request.user),
        "match": match_comparison(item=item),
        "error": error,
    }


def value_text(value: Any) -> str:
    """A value as a person reads it: a NetSuite reference by its name and id, JSON for the rest."""
    if value is None:
        return "(empty)"
    if isinstance(value, dict) and "id" in value and set(value) <= {"id", "refName", "externalId"}:
        return f"{value['refName']} (id {value['id']})" if value.get("refName") else f"id {value['id']}"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _input_text(value: Any) -> str:
    """A value as the payload editor's input shows it (and reads it back): text as is, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _edit_fields(item: ExceptionItem) -> list[dict[str, str]]:
    """The fields an edit may name, with the value Concord sent (or the systems' values it read)."""
    rows = [
        {"field": field, "value": value_text(value), "source": "sent to NetSuite"}
        for field, value in (item.details.get("sent") or {}).items()
    ]
    for field, values in (item.details.get("values") or {}).items():
        if isinstance(values, dict):
            text = "; ".join(f"{system_name(s)}: {value_text(v)}" for s, v in values.items())
            rows.append({"field": field, "value": text, "source": "read"})
    return rows


def _value_choices(item: ExceptionItem) -> list[dict[str, Any]]:
    """One "Keep Salesforce's value" / "Accept NetSuite's value" choice per system value known."""
    choices = []
    for field, values in (item.details.get("values") or {}).items():
        if isinstance(values, dict):
            options = [
                {"system": system, "label": value_choice_label(system), "value": value_text(value)}
                for system, value in values.items()
            ]
            choices.append({"field": field, "options": options})
    return choices


def _override_rows(overrides: Iterable[ExceptionOverride]) -> list[dict[str, Any]]:
    rows = []
    for override in overrides:
        old, new = override.old_value, value_text(override.new_value)
        if override.kind == OverrideKind.ACCEPT_OTHER:
            old_text = (
                "; ".join(f"{system_name(s)}'s value: {value_text(v)}" for s, v in old.items())
                if isinstance(old, dict)
                else value_text(old)
            )
            new = f"{value_choice_label(override.source_system)}: {new}"
        else:
            old_text = value_text(old) if old is not None else "not known"
        rows.append({"override": override, "old": old_text, "new": new})
    return rows


def _history(events: Iterable[ExceptionEvent]) -> list[dict[str, Any]]:
    """Each event with what it changed in words ("status changed from Open to In progress")."""
    return [{"event": event, "changes": _changes(event)} for event in events]


def _changes(event: ExceptionEvent) -> list[str]:
    lines = []
    for key in sorted(set(event.before) | set(event.after)):
        before, after = event.before.get(key), event.after.get(key)
        if before == after:
            continue
        label = key.replace("_", " ")
        if key == "status":
            before, after = _status_label(before), _status_label(after)
        if key not in event.before:
            lines.append(f"{label}: {_plain(after)}")
        else:
            lines.append(f"{label} changed from {_plain(before)} to {_plain(after)}")
    return lines


def _status_label(value: Any) -> Any:
    return ExceptionStatus(value).label if value in ExceptionStatus.values else value


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else value_text(value)


def _retry(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_retry(item=item, user=request.user, reason=data["reason"])


def _edit(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_value_edit(
        item=item, user=request.user, field=data["field"], new_value=data["new_value"], reason=data["reason"]
    )


def _accept(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_accept_other_value(
        item=item, user=request.user, field=data["field"], system=data["system"], reason=data["reason"]
    )


def _resolve(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_resolve(item=item, user=request.user, reason=data["reason"])


def _approve(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_approve(item=item, user=request.user, reason=data["reason"])


def _ignore(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_ignore(item=item, user=request.user, reason=data["reason"])


def _assign(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    name = data["owner"].strip()
    owner_user = User.objects.filter(username=name, is_active=True).first()
    owner_group = None if owner_user else Group.objects.filter(name=name).first()
    if owner_user is None and owner_group is None:
        raise ValidationError(f"No active user or group is called {name!r}.")
    actions.exception_assign(
        item=item, user=request.user, owner_user=owner_user, owner_group=owner_group, reason=data["reason"]
    )


def _escalate(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_escalate(item=item, user=request.user, reason=data["reason"])


def _comment(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    actions.exception_comment(item=item, user=request.user, text=data["text"])


def _payload(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    payload.exception_payload_edit(
        item=item, user=request.user, changes=data["changes"], reason=data["reason"]
    )


def _cancel_retry(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    payload.exception_retry_cancel(item=item, user=request.user, reason=data["reason"])


def _tag(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    tags.exception_tag_add(item=item, user=request.user, name=data["name"])


def _untag(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    tags.exception_tag_remove(item=item, user=request.user, name=data["name"])


def _match(request: ConsoleRequest, item: ExceptionItem, data: dict[str, Any]) -> None:
    exception_match_decide(
        item=item,
        user=request.user,
        choice=data["choice"],
        netsuite_id=data["netsuite_id"],
        reason=data["reason"],
    )


Action = Callable[[ConsoleRequest, ExceptionItem, dict[str, Any]], None]
ACTIONS: dict[str, tuple[type[forms.Form], Action, str]] = {
    "retry": (ReasonForm, _retry, "Retry queued."),
    "edit": (OverrideForm, _edit, "Value change recorded."),
    "accept": (AcceptOtherForm, _accept, "Value accepted."),
    "resolve": (ReasonForm, _resolve, "Marked resolved."),
    "approve": (ReasonForm, _approve, "Approved; it runs in the background."),
    "ignore": (ReasonForm, _ignore, "Ignored."),
    "assign": (AssignForm, _assign, "Assigned."),
    "escalate": (ReasonForm, _escalate, "Escalated."),
    "comment": (CommentForm, _comment, "Comment added."),
    "match": (MatchDecisionForm, _match, "Decision recorded; the held opportunities are queued again."),
    "payload": (PayloadEditForm, _payload, "Saved for the next retry."),
    "cancel-retry": (ReasonForm, _cancel_retry, "Retry cancelled."),
    "tag": (TagForm, _tag, "Tag added."),
    "untag": (TagForm, _untag, "Tag removed."),
}


@require_POST
def exception_act(request: ConsoleRequest, item_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action")
    item = selectors.exception_get_for_user(user=request.user, item_id=item_id)
    if not permissions.can_act(request.user):
        raise PermissionDenied("Your role cannot act on exceptions.")
    form_class, run, done = ACTIONS[action]
    form = form_class(request.POST)
    error = ""
    if form.is_valid():
        try:
            run(request, item, form.cleaned_data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "; ".join(
            " ".join(str(e) for e in errs)
            if field == "__all__"
            else f"{field}: {' '.join(str(e) for e in errs)}"
            for field, errs in form.errors.items()
        )
    return _after_action(request, item, error=error, done=done)


@require_POST
def exception_override_decide(
    request: ConsoleRequest, item_id: int, override_id: int, decision: str
) -> HttpResponse:
    item = selectors.exception_get_for_user(user=request.user, item_id=item_id)
    override = item.overrides.filter(pk=override_id).first()
    if override is None or decision not in ("approve", "reject"):
        raise Http404("No such change")
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    error = ""
    try:
        if decision == "approve":
            actions.exception_override_approve(override=override, user=request.user, reason=reason)
        else:
            actions.exception_override_reject(override=override, user=request.user, reason=reason)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return _after_action(request, item, error=error, done=f"Change {decision}d.")


def _after_action(request: ConsoleRequest, item: ExceptionItem, *, error: str, done: str) -> HttpResponse:
    """The refreshed panel for htmx (200 even on a refusal, which the panel shows); a redirect otherwise."""
    item.refresh_from_db()
    if request.htmx:
        return render(
            request, "exceptions/partials/exception_panel.html", _detail_context(request, item, error)
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect("sync:exception", item_id=item.pk)


@require_http_methods(["GET", "POST"])
def notification_list(request: ConsoleRequest) -> HttpResponse:
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("sync:notifications")
    context = {"area": "exceptions", "notifications": selectors.notifications_recent(user=request.user)}
    return render(request, "exceptions/notifications.html", context)
