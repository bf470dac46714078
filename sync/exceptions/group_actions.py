"""One action for a whole group of exceptions of one cause (:mod:`sync.exceptions.groups`).

* :func:`exception_group_retry`, "sync these 47 now": every active member with a retry is retried as
  :func:`sync.exceptions.actions.exception_retry` retries one, and each keeps its own history line and
  audit entry and its own rules (one waiting for a finance approval is not retried: it is reported, with
  the reason). A member that cannot be retried does not stop the others; the report says which were
  retried and why the rest were not.
* :func:`exception_group_lookup_draft`, "add 'FR' to the subsidiary lookup as a draft": when the cause is
  a key missing from a lookup table, the key and the value a person gives go into the table's open draft
  (:mod:`sync.mappings.services.lookup_versions`; a new draft copied from the published version when
  none is open). Nothing maps with it until RevOps submit it and someone else approves and publishes it
  (four eyes); every active member's history says where the fix waits.

A group may have thousands of members, and both actions run inside the person's request: the members'
history lines, audit entries and pending retries are written in batches of :data:`GROUP_BATCH`
(:func:`sync.exceptions.events.events_record_bulk`, :func:`sync.exceptions.retry.retries_enqueue_bulk`),
so the queries do not grow with the group. A batch whose retries meet one queued meanwhile by someone
else (the one-pending-retry constraint) is rolled back and done member by member instead.

Each group action also writes one audit entry of its own (who, the cause, the reason, the members).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.exceptions import actions, permissions
from sync.exceptions.events import EventLine, events_record_bulk
from sync.exceptions.groups import ExceptionGroup, exception_group_get, exception_group_members
from sync.exceptions.models import (
    ExceptionAction,
    ExceptionItem,
    ExceptionRetry,
    ExceptionStatus,
    RetryStatus,
)
from sync.exceptions.retry import retries_enqueue_bulk
from sync.integrations.models import Integration
from sync.mappings.models import LookupEntry, LookupVersion
from sync.mappings.permissions import can_edit_mappings
from sync.mappings.services.lookup_versions import lookup_draft_entry_set, lookup_draft_for, lookup_table_get

GROUP_BATCH = 500  # members written per batch (one transaction; a few INSERTs each)


@dataclass
class GroupRetryReport:
    """What a group retry did: the members retried, and each other member with why it was not."""

    group: str
    retried: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def _audit(group: ExceptionGroup, *, user: User, event: str, reason: str, **details: Any) -> None:
    audit_record(
        obj=ExceptionItem,
        object_repr=f"exception group {group.key}: {group.description}"[:200],
        actor=user,
        action=AuditAction.UPDATE,
        event=event,
        reason=reason,
        group=group.key,
        **details,
    )


def exception_group_retry(*, key: str, user: User, reason: str = "") -> GroupRetryReport:
    """Retry every active member of group ``key`` that ``user`` may see (see the module docstring)."""
    if not permissions.can_act(user):
        raise PermissionDenied("Your role cannot act on exceptions.")
    group = exception_group_get(user=user, key=key)
    said = reason.strip() or f"Retried with the {group.size} exceptions of its cause."
    report = GroupRetryReport(group=key)
    members = list(exception_group_members(user=user, key=key))
    for start in range(0, len(members), GROUP_BATCH):
        _retry_batch(members[start : start + GROUP_BATCH], user=user, reason=said, report=report)
    _audit(
        group,
        user=user,
        event="exception_group_retry",
        reason=said,
        retried=report.retried,
        skipped=sorted(report.skipped),
    )
    return report


def _retry_batch(batch: list[ExceptionItem], *, user: User, reason: str, report: GroupRetryReport) -> None:
    """What :func:`actions.exception_retry` does to each member of ``batch``, in a few queries."""
    ready = _retry_ready(batch, report=report)
    if not ready:
        return
    now = timezone.now()
    try:
        with transaction.atomic():
            retries_enqueue_bulk(
                items=ready, overrides=actions.approved_overrides_of(ready), requested_by=user
            )
            before = {item.pk: item.status for item in ready}
            with disable_auditlog():  # each member's event audit entry records the change with the reason
                ExceptionItem.objects.filter(pk__in=[item.pk for item in ready]).update(
                    status=ExceptionStatus.IN_PROGRESS, closed_at=None
                )
            for item in ready:
                item.status, item.closed_at = ExceptionStatus.IN_PROGRESS, None
            events_record_bulk(
                [
                    EventLine(item, reason, {"status": before[item.pk]}, {"status": item.status})
                    for item in ready
                ],
                action=ExceptionAction.RETRY,
                actor=user,
                now=now,
            )
    except IntegrityError:
        # Someone queued a retry of one of them meanwhile: member by member, each refused or retried.
        for item in ready:
            item.refresh_from_db()
            _retry_one(item, user=user, reason=reason, report=report)
        return
    report.retried.extend(item.pk for item in ready)


def _retry_ready(batch: list[ExceptionItem], *, report: GroupRetryReport) -> list[ExceptionItem]:
    """The members of ``batch`` a retry may run for; each other one goes into the report with why."""
    waiting = set(
        ExceptionRetry.objects.filter(item__in=batch, status=RetryStatus.PENDING).values_list(
            "item_id", flat=True
        )
    )
    ready: list[ExceptionItem] = []
    for item in batch:
        try:
            actions.retry_refusal_check(item)
            if item.pk in waiting:  # as retry_enqueue refuses it
                raise ValidationError("A retry is already waiting to run; cancel it or let it run.")
        except ValidationError as error:
            report.skipped[item.pk] = " ".join(error.messages)
        else:
            ready.append(item)
    return ready


def _retry_one(item: ExceptionItem, *, user: User, reason: str, report: GroupRetryReport) -> None:
    try:
        actions.exception_retry(item=item, user=user, reason=reason)
    except ValidationError as error:
        report.skipped[item.pk] = " ".join(error.messages)
    else:
        report.retried.append(item.pk)


@dataclass(frozen=True)
class GroupLookupDraft:
    """The draft entry a group's lookup miss became, and the members told about it."""

    version: LookupVersion
    entry: LookupEntry
    members: list[int]


def exception_group_lookup_draft(*, key: str, user: User, value: Any, reason: str = "") -> GroupLookupDraft:
    """Put the key group ``key`` misses, with ``value``, into its lookup table's open draft (for RevOps to
    submit; four eyes before it maps anything) and say so in each active member's history."""
    if not permissions.can_act(user) or not can_edit_mappings(user):
        raise PermissionDenied("Adding to a lookup table needs the edit_mappings capability.")
    group = exception_group_get(user=user, key=key)
    miss = group.lookup_miss
    if miss is None:
        raise ValidationError("This group's cause is not a key missing from a lookup table.")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"Give the value {miss.key!r} should map to in {miss.table}.")
    if isinstance(value, str):
        value = value.strip()
    integration_id = group.sample.integration_id
    integration = Integration.objects.get(pk=integration_id) if integration_id is not None else None
    table = lookup_table_get(miss.table, integration)
    members = list(exception_group_members(user=user, key=key))
    with transaction.atomic():
        version = lookup_draft_for(table=table, user=user)
        entry = lookup_draft_entry_set(version=version, key=miss.key, value=value, user=user)
        note = (
            f"{miss.key!r} -> {value!r} added to the draft {version} of the lookup table {miss.table} "
            f"(with this exception's group of {len(members)}); it maps once submitted, approved and "
            "published, then retry."
        )
        said = f"{reason.strip()}\n{note}".strip() if reason.strip() else note
        events_record_bulk(
            [EventLine(item, said) for item in members], action=ExceptionAction.COMMENTED, actor=user
        )
        _audit(
            group,
            user=user,
            event="exception_group_lookup_draft",
            reason=reason.strip() or note,
            table=miss.table,
            key=miss.key,
            version=version.pk,
            members=[item.pk for item in members],
        )
    return GroupLookupDraft(version=version, entry=entry, members=[item.pk for item in members])
