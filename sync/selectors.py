"""Reads for the sync area: the background work django-q2 has done and has waiting, and connections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django_q.brokers import get_broker
from django_q.models import Task

from governance.roles import VIEW_CONSOLE
from sync.models import Connection


@dataclass(frozen=True)
class TaskSummary:
    queued: int | None  # None when the broker cannot be asked (e.g. Redis is down)
    succeeded: int
    failed: int
    last_finished: datetime | None


def background_task_summary() -> TaskSummary:
    try:
        queued: int | None = get_broker().queue_size()
    except Exception:  # a broker outage must not take the dashboard down with it
        queued = None
    last = Task.objects.order_by("-stopped").values_list("stopped", flat=True).first()
    return TaskSummary(
        queued=queued,
        succeeded=Task.objects.filter(success=True).count(),
        failed=Task.objects.filter(success=False).count(),
        last_finished=last,
    )


def background_tasks_recent(*, limit: int = 20, failed_only: bool = False) -> QuerySet[Task]:
    tasks = Task.objects.order_by("-stopped")
    if failed_only:
        tasks = tasks.filter(success=False)
    return tasks[:limit]


def connections_visible(*, user: User | AnonymousUser) -> QuerySet[Connection]:
    """The connections ``user`` may see: all of them for anyone with a console role, else none."""
    if not user.has_perm(VIEW_CONSOLE):
        return Connection.objects.none()
    return Connection.objects.all()


def connection_get(*, user: User | AnonymousUser, connection_id: int) -> Connection | None:
    return connections_visible(user=user).filter(pk=connection_id).first()
