"""One action for a whole group of exceptions of one cause (:mod:`sync.exceptions.groups`).

* :func:`exception_group_retry`, "sync these 47 now": every active member with a retry is retried by
  :func:`sync.exceptions.actions.exception_retry`, one by one, so each keeps its own history line and
  audit entry and its own rules (one waiting for a finance approval is not retried: it is reported, with
  the reason). A member that cannot be retried does not stop the others; the report says which were
  retried and why the rest were not.
* :func:`exception_group_lookup_draft`, "add 'FR' to the subsidiary lookup as a draft": when the cause is
  a key missing from a lookup table, the key and the value a person gives go into the table's open draft
  (:mod:`sync.mappings.services.lookup_versions`; a new draft copied from the published version when
  none is open). Nothing maps with it until RevOps submit it and someone else approves and publishes it
  (four eyes); every active member's history says where the fix waits.

Each group action also writes one audit entry of its own (who, the cause, the reason, the members).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.audit import AuditAction, audit_record
from sync.exceptions import actions, permissions
from sync.exceptions.events import event_record
from sync.exceptions.groups import ExceptionGroup, exception_group_get, exception_group_members
from sync.exceptions.models import ExceptionAction, ExceptionItem
from sync.integrations.models import Integration
from sync.mappings.models import LookupEntry, LookupVersion
from sync.mappings.permissions import can_edit_mappings
from sync.mappings.services.lookup_versions import lookup_draft_entry_set, lookup_draft_for, lookup_table_get


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
    for item in exception_group_members(user=user, key=key):
        try:
            actions.exception_retry(item=item, user=user, reason=said)
        except ValidationError as error:
            report.skipped[item.pk] = " ".join(error.messages)
        else:
            report.retried.append(item.pk)
    _audit(
        group,
        user=user,
        event="exception_group_retry",
        reason=said,
        retried=report.retried,
        skipped=sorted(report.skipped),
    )
    return report


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
        for item in members:
            event_record(
                item,
                action=ExceptionAction.COMMENTED,
                actor=user,
                reason=f"{reason.strip()}\n{note}".strip() if reason.strip() else note,
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
