"""An exception's history: every change to it is one ExceptionEvent line and one audit entry, written
together here by every service of the queue (raise, act, escalate, ticket, match)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from core.audit import AuditAction, audit_record
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
    changes = {
        key: [_text(before.get(key)), _text(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    audit_record(
        obj=item,
        actor=actor,
        action=AuditAction.CREATE if create else AuditAction.UPDATE,
        changes=changes,
        event=f"exception_{action}",
        reason=reason,
    )
    return event


def _text(value: Any) -> str:
    return "None" if value is None else str(value)
