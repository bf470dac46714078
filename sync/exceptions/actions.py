"""What people do with an exception. Each action writes one history event and one audit entry.

Every action checks that the person may act on this exception (:mod:`sync.exceptions.permissions`), so the
API, the
pages and commands share one rule. A changed value on a financial field (see :data:`FINANCIAL_FIELD_STEMS`)
is not applied by its proposer: it waits in ``pending_approval`` for a finance approver who is someone else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sync.exceptions import permissions
from sync.exceptions.escalation import escalate_one, notify
from sync.exceptions.events import event_record
from sync.exceptions.models import (
    ACTIVE_STATUSES,
    ExceptionAction,
    ExceptionItem,
    ExceptionOverride,
    ExceptionStatus,
    OverrideKind,
    OverrideStatus,
)
from sync.exceptions.retry import retry_enqueue

# A field is financial when its name, lower-cased with namespaces and "__c" removed, contains one of these
# stems: Amount, SBQQ__NetAmount__c, taxAmount, currency, CurrencyIsoCode, revRecRule, UnitPrice,
# SBQQ__AdditionalDiscount__c, TotalPrice... Erring towards "financial" only costs an approval.
FINANCIAL_FIELD_STEMS: frozenset[str] = frozenset(
    {"amount", "tax", "currency", "revenue", "revrec", "price", "discount", "total"}
)


def is_financial_field(field: str) -> bool:
    name = field.lower().removesuffix("__c").rsplit("__", 1)[-1]
    name = name.rsplit(".", 1)[-1]
    return any(stem in name for stem in FINANCIAL_FIELD_STEMS)


def _require_actor(item: ExceptionItem, user: User) -> None:
    if not permissions.can_act(user):
        raise PermissionDenied("Your role cannot act on exceptions.")
    if not permissions.exceptions_visible_to(user).filter(pk=item.pk).exists():
        raise PermissionDenied("This exception is outside your subsidiaries.")


def _require_active(item: ExceptionItem) -> None:
    if not item.is_active:
        raise ValidationError("This exception is closed.")


def _set_status(item: ExceptionItem, status: str, now: datetime) -> dict[str, Any]:
    before = {"status": item.status}
    item.status = status
    item.closed_at = now if status in (ExceptionStatus.RESOLVED, ExceptionStatus.IGNORED) else None
    with disable_auditlog():  # the event's audit entry records the change with its reason
        item.save(update_fields=["status", "closed_at"])
    return before


def exception_retry(*, item: ExceptionItem, user: User, reason: str = "") -> ExceptionItem:
    """Run the exception's retry function again (after commit, in a worker), with approved overrides."""
    _require_actor(item, user)
    retry_refusal_check(item)
    now = timezone.now()
    with transaction.atomic():
        before = _set_status(item, ExceptionStatus.IN_PROGRESS, now)
        event_record(
            item,
            action=ExceptionAction.RETRY,
            actor=user,
            reason=reason,
            before=before,
            after={"status": item.status},
            now=now,
        )
        retry_enqueue(item=item, overrides=_approved_overrides(item), requested_by=user)
    return item


def retry_refusal_check(item: ExceptionItem) -> None:
    """Raise the ValidationError that refuses a retry of ``item`` (closed, no retry, waiting for an
    approval); the group retry asks the same of each member."""
    _require_active(item)
    if not item.retry_task:
        raise ValidationError("This exception has no retry; fix the cause and resolve it.")
    if item.status == ExceptionStatus.PENDING_APPROVAL:
        if item.details.get("approval"):
            raise ValidationError("This exception waits for a finance approval: approving it runs it.")
        raise ValidationError("A value change is waiting for approval.")


def approved_overrides_of(items: list[ExceptionItem]) -> dict[int, dict[str, Any]]:
    """Each of ``items``' approved value changes, as its retry takes them (one query for all)."""
    found: dict[int, dict[str, Any]] = {item.pk: {} for item in items}
    approved = ExceptionOverride.objects.filter(item__in=items, status=OverrideStatus.APPROVED)
    for item_id, name, value in approved.order_by("proposed_at", "id").values_list(
        "item_id", "field", "new_value"
    ):
        found[item_id][name] = value
    return found


def _approved_overrides(item: ExceptionItem) -> dict[str, Any]:
    approved = item.overrides.filter(status=OverrideStatus.APPROVED).order_by("proposed_at", "id")
    return {override.field: override.new_value for override in approved}


def exception_override_propose(
    *,
    item: ExceptionItem,
    user: User,
    field: str,
    new_value: Any,
    reason: str = "",
    kind: str = OverrideKind.EDIT,
    old_value: Any = None,
    source_system: str = "",
    retry: bool = True,
) -> ExceptionOverride:
    """Propose ``new_value`` for ``field`` and retry with it; a financial field waits for approval first.

    ``retry=False`` only records the change for the next retry (the payload editor): the exception stays
    open, or waits for approval when the field is financial."""
    _require_actor(item, user)
    _require_active(item)
    field = field.strip()
    if not field:
        raise ValidationError("Name the field to change.")
    financial = is_financial_field(field)
    now = timezone.now()
    with transaction.atomic():
        override = ExceptionOverride.objects.create(
            item=item,
            kind=kind,
            field=field,
            old_value=old_value,
            new_value=new_value,
            source_system=source_system,
            is_financial=financial,
            reason=reason,
            proposed_by=user,
            proposed_at=now,
            status=OverrideStatus.PENDING if financial else OverrideStatus.APPROVED,
            decided_at=None if financial else now,
        )
        if financial:
            status = ExceptionStatus.PENDING_APPROVAL
        elif retry and item.retry_task:
            status = ExceptionStatus.IN_PROGRESS
        elif item.status == ExceptionStatus.PENDING_APPROVAL and _other_pending(item, override):
            status = ExceptionStatus.PENDING_APPROVAL  # an earlier financial change still waits
        else:
            status = ExceptionStatus.OPEN
        before = _set_status(item, status, now)
        event_record(
            item,
            action=ExceptionAction.OVERRIDE_PROPOSED,
            actor=user,
            reason=reason,
            before={**before, field: old_value},
            after={"status": item.status, field: new_value},
            now=now,
        )
        if not financial and retry and item.retry_task:
            retry_enqueue(item=item, overrides=_approved_overrides(item), requested_by=user)
    return override


def _other_pending(item: ExceptionItem, override: ExceptionOverride) -> bool:
    return item.overrides.filter(status=OverrideStatus.PENDING).exclude(pk=override.pk).exists()


def exception_value_edit(
    *, item: ExceptionItem, user: User, field: str, new_value: Any, reason: str = ""
) -> ExceptionOverride:
    """Propose ``new_value`` for ``field``; the old value is the one Concord really sent or read.

    ``field`` is ``<object key>.<path>`` (``customer.currency``: that object only) or a bare path
    (``currency``: every body of the retry that has it), see :mod:`sync.pipeline.overrides`."""
    return exception_override_propose(
        item=item,
        user=user,
        field=field,
        new_value=new_value,
        reason=reason,
        old_value=current_value(item, field.strip()),
    )


def current_value(item: ExceptionItem, field: str) -> Any:
    """What Concord sent for ``field`` in the failing write (``details["sent"]``, written by the
    pipeline), else the systems' values it read (``details["values"]``), else None."""
    sent = item.details.get("sent") or {}
    if field in sent:
        return sent[field]
    same_path = [value for name, value in sent.items() if name.endswith(f".{field}")]
    if len(same_path) == 1:
        return same_path[0]
    return (item.details.get("values") or {}).get(field)


def exception_accept_other_value(
    *, item: ExceptionItem, user: User, field: str, system: str, reason: str = ""
) -> ExceptionOverride:
    """Take ``system``'s value of ``field`` (from ``details["values"]``) as the value to write."""
    values = (item.details.get("values") or {}).get(field)
    if not isinstance(values, dict) or system not in values:
        raise ValidationError(f"No {system} value of {field} is known for this exception.")
    others = {name: value for name, value in values.items() if name != system}
    return exception_override_propose(
        item=item,
        user=user,
        field=field,
        new_value=values[system],
        reason=reason,
        kind=OverrideKind.ACCEPT_OTHER,
        old_value=others,
        source_system=system,
    )


def exception_override_approve(
    *, override: ExceptionOverride, user: User, reason: str = ""
) -> ExceptionOverride:
    """A finance approver (not the proposer) lets a financial change through; the retry follows."""
    item = override.item
    _require_actor(item, user)
    if not permissions.can_approve(user):
        raise PermissionDenied("Approving a financial change needs the approve_exceptions capability.")
    if override.proposed_by_id == user.pk:
        raise PermissionDenied("You cannot approve a change you proposed; ask another approver.")
    now = timezone.now()
    with transaction.atomic():
        override = ExceptionOverride.objects.select_for_update().get(pk=override.pk)
        if override.status != OverrideStatus.PENDING:
            raise ValidationError("This change has already been decided.")
        override.status, override.approved_by, override.decided_at = OverrideStatus.APPROVED, user, now
        with disable_auditlog():
            override.save(update_fields=["status", "approved_by", "decided_at"])
        next_status = _status_after_decision(item)
        before = _set_status(item, next_status, now)
        event_record(
            item,
            action=ExceptionAction.OVERRIDE_APPROVED,
            actor=user,
            reason=reason,
            before={**before, "override": f"{override.field} pending"},
            after={"status": item.status, "override": f"{override.field} approved"},
            now=now,
        )
        if next_status == ExceptionStatus.IN_PROGRESS and item.retry_task:
            retry_enqueue(item=item, overrides=_approved_overrides(item), requested_by=user)
    return override


def exception_approve(*, item: ExceptionItem, user: User, reason: str = "") -> ExceptionItem:
    """A finance approver approves what the exception asks (a cancellation, see ``details["approval"]``):
    its retry runs in a worker with the approver's name (``approved_by`` in its arguments). Approving
    twice is refused: the second finds the exception no longer waiting."""
    _require_actor(item, user)
    if not permissions.can_approve(user):
        raise PermissionDenied("Approving needs the approve_exceptions capability.")
    if not item.details.get("approval") or not item.retry_task:
        raise ValidationError("This exception asks for no approval.")
    now = timezone.now()
    with transaction.atomic():
        item = ExceptionItem.objects.select_for_update().get(pk=item.pk)
        if item.status != ExceptionStatus.PENDING_APPROVAL:
            raise ValidationError("This exception is not waiting for an approval.")
        if item.overrides.filter(status=OverrideStatus.PENDING).exists():
            raise ValidationError("A value change is waiting for approval; decide it first.")
        item.retry_kwargs = {**item.retry_kwargs, "approved_by": user.get_username()}
        with disable_auditlog():
            item.save(update_fields=["retry_kwargs"])
        before = _set_status(item, ExceptionStatus.IN_PROGRESS, now)
        event_record(
            item,
            action=ExceptionAction.APPROVED,
            actor=user,
            reason=reason,
            before={**before, "approval": f"{item.details['approval']} pending"},
            after={"status": item.status, "approval": f"{item.details['approval']} approved"},
            now=now,
        )
        retry_enqueue(item=item, overrides={}, requested_by=user)
    return item


def exception_override_reject(*, override: ExceptionOverride, user: User, reason: str) -> ExceptionOverride:
    item = override.item
    _require_actor(item, user)
    if not permissions.can_approve(user) and override.proposed_by_id != user.pk:
        raise PermissionDenied("Only a finance approver or the proposer can withdraw this change.")
    if not reason.strip():
        raise ValidationError("Say why the change is rejected.")
    now = timezone.now()
    with transaction.atomic():
        override = ExceptionOverride.objects.select_for_update().get(pk=override.pk)
        if override.status != OverrideStatus.PENDING:
            raise ValidationError("This change has already been decided.")
        override.status, override.decided_at = OverrideStatus.REJECTED, now
        with disable_auditlog():
            override.save(update_fields=["status", "decided_at"])
        before = _set_status(item, _status_after_decision(item, rejected=True), now)
        event_record(
            item,
            action=ExceptionAction.OVERRIDE_REJECTED,
            actor=user,
            reason=reason,
            before={**before, "override": f"{override.field} pending"},
            after={"status": item.status, "override": f"{override.field} rejected"},
            now=now,
        )
    return override


def _status_after_decision(item: ExceptionItem, *, rejected: bool = False) -> str:
    if item.overrides.filter(status=OverrideStatus.PENDING).exists():
        return ExceptionStatus.PENDING_APPROVAL
    return ExceptionStatus.OPEN if rejected or not item.retry_task else ExceptionStatus.IN_PROGRESS


def exception_overrides_sent(*, dedup_key: str, fields: list[str], job_id: int | None) -> int:
    """A retry sent these approved value changes (job ``job_id``): mark them sent and say so, with who
    approved each, in the exception's history and the audit log. Returns how many were marked."""
    now = timezone.now()
    with transaction.atomic():
        same_key = ExceptionItem.objects.select_for_update().filter(dedup_key=dedup_key)
        # The active one; else the one the retry has just resolved (a return flow resolves on writing).
        item = (
            same_key.filter(status__in=ACTIVE_STATUSES).first()
            or same_key.order_by("-last_seen", "-id").first()
        )
        if item is None:
            return 0
        latest: dict[str, ExceptionOverride] = {}
        approved = item.overrides.filter(status=OverrideStatus.APPROVED, field__in=fields)
        for override in approved.select_related("approved_by", "proposed_by").order_by("proposed_at", "id"):
            latest[override.field] = override
        for override in latest.values():
            override.sent_at, override.sent_job_id = now, job_id
            with disable_auditlog():
                override.save(update_fields=["sent_at", "sent_job"])
            if override.approved_by is not None:
                approval = override.approved_by.get_username()
            else:  # not a financial field: its proposer's word was enough
                approval = f"{override.proposed_by.get_username()} (no approval needed)"
            sent = f"{override.field} = {override.new_value!r}"
            event_record(
                item,
                action=ExceptionAction.OVERRIDE_SENT,
                reason=f"Job {job_id} sent {sent}, approved by {approval}.",
                before={override.field: override.old_value},
                after={override.field: override.new_value, "approved_by": approval},
                now=now,
            )
    return len(latest)


def exception_resolve(*, item: ExceptionItem, user: User, reason: str = "") -> ExceptionItem:
    _require_actor(item, user)
    _require_active(item)
    return _close(item, user, ExceptionStatus.RESOLVED, ExceptionAction.RESOLVED, reason)


def exception_ignore(*, item: ExceptionItem, user: User, reason: str) -> ExceptionItem:
    """Stop showing this problem; it keeps counting if it happens again. A reason is required."""
    _require_actor(item, user)
    _require_active(item)
    if not reason.strip():
        raise ValidationError("Say why this exception can be ignored.")
    return _close(item, user, ExceptionStatus.IGNORED, ExceptionAction.IGNORED, reason)


def _close(item: ExceptionItem, user: User, status: str, action: str, reason: str) -> ExceptionItem:
    if item.overrides.filter(status=OverrideStatus.PENDING).exists():
        raise ValidationError("A value change is waiting for approval; approve or reject it first.")
    now = timezone.now()
    with transaction.atomic():
        before = _set_status(item, status, now)
        event_record(
            item,
            action=action,
            actor=user,
            reason=reason,
            before=before,
            after={"status": item.status},
            now=now,
        )
    return item


def exception_assign(
    *,
    item: ExceptionItem,
    user: User,
    owner_user: User | None = None,
    owner_group: Group | None = None,
    reason: str = "",
) -> ExceptionItem:
    """Give the exception to one person or one group (not both)."""
    _require_actor(item, user)
    if (owner_user is None) == (owner_group is None):
        raise ValidationError("Assign to one person or one group.")
    now = timezone.now()
    with transaction.atomic():
        before = {"owner": item.owner_label}
        item.owner_user, item.owner_group = owner_user, owner_group
        with disable_auditlog():
            item.save(update_fields=["owner_user", "owner_group"])
        event_record(
            item,
            action=ExceptionAction.ASSIGNED,
            actor=user,
            reason=reason,
            before=before,
            after={"owner": item.owner_label},
            now=now,
        )
    if owner_user is not None and owner_user.pk != user.pk:
        notify(item=item, users=[owner_user], message=f"{user.get_username()} assigned you: {item.title}")
    return item


def exception_escalate(*, item: ExceptionItem, user: User, reason: str) -> ExceptionItem:
    """Move the exception to the next level of its category's escalation path now."""
    _require_actor(item, user)
    _require_active(item)
    if not reason.strip():
        raise ValidationError("Say why this exception needs escalating.")
    if not escalate_one(item=item, now=timezone.now(), actor=user, reason=reason):
        raise ValidationError("This exception is already at the last level of its escalation path.")
    return item


def exception_comment(*, item: ExceptionItem, user: User, text: str) -> ExceptionItem:
    _require_actor(item, user)
    if not text.strip():
        raise ValidationError("Write a comment.")
    event_record(item, action=ExceptionAction.COMMENTED, actor=user, reason=text.strip())
    return item
