"""Overdue exceptions climb their category's escalation path; new owners hear by e-mail and in the console."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from sync.exceptions.escalation import exceptions_escalate_overdue
from sync.exceptions.models import (
    EscalationLevel,
    ExceptionAction,
    ExceptionCategory,
    ExceptionItem,
    Notification,
)
from sync.exceptions.selectors import notifications_unread_count
from sync.exceptions.services import exception_auto_resolve
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def path(revops: User, finance: User) -> ExceptionCategory:
    category = ExceptionCategory.objects.create(
        key="sync_failure", name="Sync failure", sla=timedelta(hours=4), default_owner_user=revops
    )
    EscalationLevel.objects.create(
        category=category, position=1, group=Group.objects.get(name="RevOps"), duration=timedelta(hours=2)
    )
    EscalationLevel.objects.create(category=category, position=2, user=finance, duration=timedelta(hours=8))
    return category


def test_it_moves_an_overdue_exception_to_the_next_level(
    path: ExceptionCategory, revops: User, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now()
    item = raise_sample(now=start)
    assert (item.owner_user, item.due_at) == (revops, start + timedelta(hours=4))

    assert exceptions_escalate_overdue(now=start + timedelta(hours=3)) == []  # not due yet

    with django_capture_on_commit_callbacks(execute=True):
        moved = exceptions_escalate_overdue(now=start + timedelta(hours=5))
    item.refresh_from_db()
    assert moved == [item]
    assert item.escalation_level == 1 and item.owner_group == Group.objects.get(name="RevOps")
    assert item.owner_user is None and item.due_at == start + timedelta(hours=7)
    assert [m.to for m in mail.outbox] == [[revops.email]]  # the RevOps group's members
    assert "Escalated to RevOps (level 1)" in mail.outbox[0].subject  # through the notifications
    assert notifications_unread_count(user=revops) == 1

    # Running again at the same moment moves nothing: the new due time is in the future.
    assert exceptions_escalate_overdue(now=start + timedelta(hours=5)) == []

    with django_capture_on_commit_callbacks(execute=True):
        exceptions_escalate_overdue(now=start + timedelta(hours=8))
    top = ExceptionItem.objects.get(pk=item.pk)
    assert (top.escalation_level, top.owner_user, top.owner_group) == (2, finance, None)
    assert top.due_at == start + timedelta(hours=16)
    assert mail.outbox[-1].to == [finance.email]
    assert Notification.objects.filter(user=finance, item=item).count() == 1

    # The last level: it stays overdue, nothing moves and nobody is mailed again.
    assert exceptions_escalate_overdue(now=start + timedelta(days=3)) == []
    history = item.events.filter(action=ExceptionAction.ESCALATED).order_by("at")
    assert [(e.before["level"], e.after["level"], e.reason) for e in history] == [
        (0, 1, "Overdue"),
        (1, 2, "Overdue"),
    ]


def test_it_leaves_closed_exceptions_alone(path: ExceptionCategory) -> None:
    start = timezone.now()
    item = raise_sample(now=start)
    exception_auto_resolve(dedup_key=item.dedup_key, now=start)
    assert exceptions_escalate_overdue(now=start + timedelta(days=1)) == []


def test_it_ensures_its_schedules_once() -> None:
    call_command("exceptions_schedules_ensure")
    call_command("exceptions_schedules_ensure")
    schedules = Schedule.objects.filter(name__startswith="exceptions-")
    assert sorted(schedules.values_list("name", "func")) == [
        ("exceptions-escalate-overdue", "sync.tasks.exceptions_escalate_overdue_task"),
        ("exceptions-ticket-deliveries", "sync.tasks.tickets_deliver_due_task"),
    ]
