"""Raising and clearing events: where "a transient error that a quick retry fixes notifies nobody" lives.

An event is due after the policy's delay (:class:`~sync.notifications.models.NotificationPolicy`); a
condition that clears before then cancels it (:func:`notification_clear`) and nobody hears of it. Raising is
idempotent on the event's business ``key`` (at-least-once sources raise the same thing twice).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from core.fields import field_fit
from sync.notifications.models import EventKind, EventStatus, NotificationEvent, NotificationPolicy

EVENT_TASK = "sync.tasks.notification_event_dispatch_task"


def notification_policy() -> NotificationPolicy:
    """The policy row (created with the defaults on first use)."""
    policy, _ = NotificationPolicy.objects.get_or_create(pk=1)
    return policy


@dataclass(frozen=True)
class Raised:
    event: NotificationEvent
    created: bool


def notification_raise(
    *,
    kind: EventKind,
    key: str,
    subject: str,
    title: str,
    body: str = "",
    link: str = "",
    integration_ids: Iterable[int] = (),
    payload: dict[str, Any] | None = None,
    recipient_ids: Iterable[int] | None = None,
    delayed: bool = True,
    now: datetime | None = None,
) -> Raised:
    """Record an event due after the policy's delay (``delayed`` False: at once); the same ``key`` again
    returns the first. One due at once is dispatched by a task as soon as the transaction commits; the
    others by the schedule's tick once their delay has passed."""
    now = now or timezone.now()
    existing = NotificationEvent.objects.filter(key=key).first()
    if existing is not None:
        return Raised(existing, False)
    delay = timedelta(seconds=notification_policy().delay_seconds if delayed else 0)
    try:
        with transaction.atomic():
            event = NotificationEvent.objects.create(
                kind=kind,
                key=key,
                subject=subject,
                title=field_fit(NotificationEvent, "title", title),
                body=body,
                link=link,
                integration_ids=sorted(set(integration_ids)),
                payload=payload or {},
                recipient_ids=None if recipient_ids is None else sorted(set(recipient_ids)),
                created_at=now,
                due_at=now + delay,
            )
            event.integrations.set(event.integration_ids)
    except IntegrityError:  # raised meanwhile by another worker
        return Raised(NotificationEvent.objects.get(key=key), False)
    if not delay:  # no reason to wait for the schedule's next tick
        event_id = event.pk
        transaction.on_commit(
            lambda: async_task(EVENT_TASK, event_id, task_name=f"notification-event-{event_id}")
        )
    return Raised(event, True)


def open_incident(*, kind: EventKind, subject: str) -> NotificationEvent | None:
    """The unresolved event of ``kind`` about ``subject`` (pending or already sent), if any."""
    return (
        NotificationEvent.objects.filter(kind=kind, subject=subject, resolved_at__isnull=True)
        .exclude(status=EventStatus.CANCELLED)
        .order_by("-created_at")
        .first()
    )


def notification_clear(*, event: NotificationEvent, reason: str, now: datetime | None = None) -> bool:
    """The condition behind ``event`` is over. Returns True when nobody had been told yet (the event is
    cancelled), False when it had already gone out (it is only marked resolved)."""
    now = now or timezone.now()
    with transaction.atomic():
        cancelled = NotificationEvent.objects.filter(pk=event.pk, status=EventStatus.PENDING).update(
            status=EventStatus.CANCELLED,
            cancel_reason=field_fit(NotificationEvent, "cancel_reason", reason),
            resolved_at=now,
        )
        if not cancelled:
            NotificationEvent.objects.filter(pk=event.pk, resolved_at__isnull=True).update(resolved_at=now)
    event.refresh_from_db()
    return bool(cancelled)
