"""Escalation of overdue exceptions, and the notifications (e-mail and console) that go with it.

A schedule (see :func:`exception_schedules_ensure`) runs :func:`exceptions_escalate_overdue` every few
minutes. An active exception past its due time moves to the next level of its category's path: the
level's group or user becomes the owner, the due time restarts with the level's duration, and the new
owners are told by e-mail and in the console. At the last level nothing moves (it stays overdue).

Who is told, and how, belongs to the notifications above this package: when a sink is connected through
:func:`escalation_notices_connect` (``SyncConfig.ready`` connects sync.notifications'), the escalation is
handed to it (people's preferences, Slack and Teams channels, retried deliveries); without one,
:func:`notify` tells the new owners directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from auditlog.context import disable_auditlog
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from core.fields import field_fit
from sync.exceptions.events import event_record
from sync.exceptions.models import (
    ACTIVE_STATUSES,
    EscalationLevel,
    ExceptionAction,
    ExceptionItem,
    Notification,
)

ESCALATION_EVERY_MINUTES = 5


class EscalationNotices(Protocol):
    def escalated(
        self, *, item: ExceptionItem, users: list[User], level: int, owner: str, now: datetime
    ) -> None:
        """Tell ``users`` (the new owners) and whoever else follows escalations (inside the transaction)."""
        ...


_notices: list[EscalationNotices] = []


def escalation_notices_connect(sink: EscalationNotices) -> None:
    """Where escalations are told (one sink; connecting again replaces it)."""
    _notices[:] = [sink]


MAIL_SUBJECT_LIMIT = 150  # characters: a longer subject is folded or cut by mail clients anyway


def exceptions_escalate_overdue(*, now: datetime | None = None) -> list[ExceptionItem]:
    """Escalate every overdue exception one level; returns those that moved. Safe to run twice."""
    now = now or timezone.now()
    overdue = ExceptionItem.objects.filter(status__in=ACTIVE_STATUSES, due_at__lt=now).order_by("due_at")
    moved = []
    for item_id in overdue.values_list("pk", flat=True):
        with transaction.atomic():
            # Re-read under a lock: another run (or a person) may have moved or closed it meanwhile.
            item = ExceptionItem.objects.select_for_update().filter(pk=item_id).first()
            if item is None or not item.is_active or item.due_at is None or item.due_at >= now:
                continue
            if escalate_one(item=item, now=now, actor=None, reason="Overdue"):
                moved.append(item)
    return moved


def escalate_one(*, item: ExceptionItem, now: datetime, actor: User | None, reason: str) -> bool:
    """Move ``item`` to its next escalation level; False when there is none."""
    level = (
        EscalationLevel.objects.filter(category=item.category_id, position__gt=item.escalation_level)
        .select_related("user", "group")
        .order_by("position")
        .first()
    )
    if level is None:
        return False
    with transaction.atomic():
        before = {"level": item.escalation_level, "owner": item.owner_label, "due_at": _iso(item.due_at)}
        item.escalation_level = level.position
        item.owner_user, item.owner_group = level.user, level.group
        item.due_at = now + level.duration
        with disable_auditlog():
            item.save(update_fields=["escalation_level", "owner_user", "owner_group", "due_at"])
        event_record(
            item,
            action=ExceptionAction.ESCALATED,
            actor=actor,
            reason=reason,
            before=before,
            after={"level": item.escalation_level, "owner": item.owner_label, "due_at": _iso(item.due_at)},
            now=now,
        )
        if level.user is not None:
            recipients = [level.user]
        else:
            recipients = list(User.objects.filter(groups=level.group_id, is_active=True))
        if _notices:
            for sink in _notices:
                sink.escalated(
                    item=item, users=recipients, level=level.position, owner=item.owner_label, now=now
                )
        else:
            notify(
                item=item,
                users=recipients,
                message=f"Escalated to you (level {level.position}): {item.title}",
                now=now,
            )
    return True


def notify(*, item: ExceptionItem, users: Iterable[User], message: str, now: datetime | None = None) -> None:
    """A console notification for each user, and one e-mail each, sent once the transaction commits."""
    now = now or timezone.now()
    users = [user for user in users if user.is_active]
    Notification.objects.bulk_create(
        [
            Notification(
                user=user, item=item, message=field_fit(Notification, "message", message), created_at=now
            )
            for user in users
        ]
    )
    addresses = [user.email for user in users if user.email]
    if addresses:
        body = f"{message}\n\nException #{item.pk} ({item.category.name}, {item.severity}).\n"
        subject = f"[Concord] {message}"[:MAIL_SUBJECT_LIMIT]
        sender = getattr(settings, "DEFAULT_FROM_EMAIL", None)
        transaction.on_commit(
            lambda: send_mail(
                subject, body, sender, addresses, fail_silently=True
            )  # a mail outage must not stop escalation
        )


def notifications_mark_read(*, user: User, now: datetime | None = None) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now or timezone.now())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


SCHEDULES: dict[str, str] = {
    "exceptions-escalate-overdue": "sync.tasks.exceptions_escalate_overdue_task",
    "exceptions-ticket-deliveries": "sync.tasks.tickets_deliver_due_task",
}


def exception_schedules_ensure() -> list[str]:
    """Create (or put back) the django-q2 schedules of the exception queue; returns the names created."""
    created = []
    for name, func in SCHEDULES.items():
        _, was_created = Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": ESCALATION_EVERY_MINUTES},
        )
        if was_created:
            created.append(name)
    return created
