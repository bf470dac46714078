"""An exception's history: every change to it is one ExceptionEvent line and one audit entry, written
together here by every service of the queue (raise, act, escalate, ticket, match).

:func:`event_record` writes one exception's line; :func:`events_record_bulk` writes the same lines for many
exceptions at once (a group action on 1,500 members), in a few INSERTs instead of two per exception."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from core.audit import BULK_BATCH, AuditAction, audit_entry_build, audit_record, audit_records_bulk
from sync.exceptions.models import ExceptionEvent, ExceptionItem


def event_record(
    item: ExceptionItem,
    *,
    action: str,
    actor: User | None = None,
    reason: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    create: bool = False,
) -> ExceptionEvent:
    """One history line on the exception and one audit entry with the same who, what and why."""
    before, after = dict(before or {}), dict(after or {})
    event = ExceptionEvent.objects.create(
        item=item,
        actor=actor,
        at=now or timezone.now(),
        action=action,
        reason=reason,
        before=before,
        after=after,
    )
    audit_record(
        obj=item,
        actor=actor,
        action=AuditAction.CREATE if create else AuditAction.UPDATE,
        changes=_changes(before, after),
        event=f"exception_{action}",
        reason=reason,
    )
    return event


@dataclass(frozen=True)
class EventLine:
    """One exception's line in :func:`events_record_bulk`: what :func:`event_record` takes per exception."""

    item: ExceptionItem
    reason: str = ""
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)


def events_record_bulk(
    lines: Sequence[EventLine], *, action: str, actor: User | None = None, now: datetime | None = None
) -> list[ExceptionEvent]:
    """What :func:`event_record` writes for each of ``lines`` (the same event and the same audit entry,
    in the order of ``lines``), in batched INSERTs: the query count does not grow with the lines."""
    at = now or timezone.now()
    events = ExceptionEvent.objects.bulk_create(
        [
            ExceptionEvent(
                item=line.item,
                actor=actor,
                at=at,
                action=action,
                reason=line.reason,
                before=dict(line.before),
                after=dict(line.after),
            )
            for line in lines
        ],
        batch_size=BULK_BATCH,
    )
    audit_records_bulk(
        [
            audit_entry_build(
                obj=line.item,
                actor=actor,
                action=AuditAction.UPDATE,
                changes=_changes(dict(line.before), dict(line.after)),
                event=f"exception_{action}",
                reason=line.reason,
            )
            for line in lines
        ]
    )
    return events


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    return {
        key: [_text(before.get(key)), _text(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _text(value: Any) -> str:
    return "None" if value is None else str(value)
