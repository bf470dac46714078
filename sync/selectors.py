"""Reads for the sync area. For now: the background work django-q2 has done and has waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django_q.brokers import get_broker
from django_q.models import Task


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
