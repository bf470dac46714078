"""The next retry of an exception: what it will send, changing that before it runs, and cancelling it.

A retry rebuilds its bodies from the source record as it is then (see :mod:`sync.pipeline.overrides`) and
applies the exception's approved value changes on top. So "the payload of the next retry" is the failing
write's values (``details["sent"]``) with those changes: :func:`next_retry_payload` lists them field by
field. :func:`exception_payload_edit` records changes for the next retry without running it; each goes
through :func:`sync.exceptions.actions.exception_override_propose`, so a financial field still waits for
a finance approver who is not its proposer (four eyes), and the edit is refused while a retry waits to
run (cancel it first: it would run with the values it was asked with).

:func:`exception_retry_cancel` cancels the retry waiting for a worker: the worker's claim is a conditional
update (:func:`sync.exceptions.retry.retry_claim`), so a cancelled retry never runs, and a retry a worker
has already taken cannot be cancelled (the sync is then running).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from sync.exceptions import permissions
from sync.exceptions.actions import current_value, exception_override_propose, is_financial_field
from sync.exceptions.events import event_record
from sync.exceptions.models import (
    ExceptionAction,
    ExceptionItem,
    ExceptionOverride,
    ExceptionRetry,
    ExceptionStatus,
    OverrideStatus,
    RetryStatus,
)

PAYLOAD_EDIT_MAX_FIELDS = 50


@dataclass(frozen=True)
class PayloadField:
    field: str
    sent: Any  # the value the failing write sent (None when it is not known)
    next: Any  # the value the next retry sends for it
    state: str  # "as sent" | "changed" | "waiting for approval"
    financial: bool
    override_id: int | None = None  # the change that sets ``next`` (or waits to)


def next_retry_payload(*, item: ExceptionItem) -> list[PayloadField]:
    """Field by field, what the next retry of ``item`` sends: the values the failing write sent, the
    newest approved change of each field on top, and changes still waiting for a finance approval."""
    found = item.details.get("sent")
    sent: Mapping[str, Any] = found if isinstance(found, dict) else {}
    latest: dict[str, ExceptionOverride] = {}
    waiting: dict[str, ExceptionOverride] = {}
    for override in item.overrides.exclude(status=OverrideStatus.REJECTED).order_by("proposed_at", "id"):
        if override.status == OverrideStatus.APPROVED:
            latest[override.field] = override
            waiting.pop(override.field, None)
        else:
            waiting[override.field] = override
    rows: list[PayloadField] = []
    # By field name: the same order on every database (PostgreSQL's jsonb keeps no key order).
    for field in sorted({*sent, *latest, *waiting}):
        approved, pending = latest.get(field), waiting.get(field)
        value = approved.new_value if approved is not None else sent.get(field)
        if pending is not None:
            state, change = "waiting for approval", pending
        elif approved is not None:
            state, change = "changed", approved
        else:
            state, change = "as sent", None
        rows.append(
            PayloadField(
                field=field,
                sent=sent.get(field),
                next=value,
                state=state,
                financial=is_financial_field(field),
                override_id=change.pk if change is not None else None,
            )
        )
    return rows


def exception_payload_edit(
    *, item: ExceptionItem, user: User, changes: Mapping[str, Any], reason: str = ""
) -> list[ExceptionOverride]:
    """Set values the next retry sends (``{field: value}``), without retrying. A financial field waits for
    a finance approver (not ``user``); the others apply at once. All or nothing: one refusal keeps none."""
    if not changes:
        raise ValidationError("Name at least one field to change.")
    if len(changes) > PAYLOAD_EDIT_MAX_FIELDS:
        raise ValidationError(f"Change at most {PAYLOAD_EDIT_MAX_FIELDS} fields at once.")
    if not item.retry_task:
        raise ValidationError("Nothing retries this exception: there is no next payload to edit.")
    if _pending_retry(item) is not None:
        raise ValidationError("A retry is waiting to run with the values it was asked with; cancel it first.")
    with transaction.atomic():
        return [
            exception_override_propose(
                item=item,
                user=user,
                field=str(field),
                new_value=value,
                reason=reason,
                old_value=current_value(item, str(field).strip()),
                retry=False,
            )
            for field, value in changes.items()
        ]


def _pending_retry(item: ExceptionItem) -> ExceptionRetry | None:
    return item.retries.filter(status=RetryStatus.PENDING).first()


def exception_retry_cancel(*, item: ExceptionItem, user: User, reason: str = "") -> ExceptionRetry:
    """Cancel the retry waiting for a worker; the exception is open again, its value changes kept."""
    if not permissions.can_act(user):
        raise PermissionDenied("Your role cannot act on exceptions.")
    if not permissions.exceptions_visible_to(user).filter(pk=item.pk).exists():
        raise PermissionDenied("This exception is outside your subsidiaries.")
    now = timezone.now()
    with transaction.atomic():
        item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
        retry = item.retries.select_for_update().filter(status=RetryStatus.PENDING).first()
        if retry is None:
            started = item.retries.filter(status=RetryStatus.STARTED).exists()
            raise ValidationError(
                "The retry has already started; it can no longer be cancelled."
                if started
                else "No retry is waiting to run."
            )
        retry.status, retry.cancelled_by, retry.finished_at = RetryStatus.CANCELLED, user, now
        with disable_auditlog():  # the event's audit entry records it with its reason
            retry.save(update_fields=["status", "cancelled_by", "finished_at"])
        before = {"status": item.status}
        if item.status == ExceptionStatus.IN_PROGRESS:
            item.status = ExceptionStatus.OPEN
            with disable_auditlog():
                item.save(update_fields=["status"])
        event_record(
            item,
            action=ExceptionAction.RETRY_CANCELLED,
            actor=user,
            reason=reason,
            before={**before, "retry": f"#{retry.pk} waiting"},
            after={"status": item.status, "retry": f"#{retry.pk} cancelled"},
            now=now,
        )
    return retry


def exception_retries(*, item: ExceptionItem) -> QuerySet[ExceptionRetry]:
    """Every retry asked for, newest first, with who asked and who cancelled."""
    return item.retries.select_related("requested_by", "cancelled_by").order_by("-requested_at", "-id")
