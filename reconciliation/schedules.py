"""The daily reconciliation schedule in django-q2, ensured idempotently (safe on every deploy)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

SCHEDULE_NAME = "reconciliation-daily"
SCHEDULE_FUNC = "reconciliation.tasks.reconciliation_scheduled"
DEFAULT_HOUR_UTC = 2  # quiet hours for both systems' APIs
# Runs whose worker stopped (no heartbeat): no broker brings every lost task back
# (docs/operations-tasks.md), so a sweep looks every minute.
SWEEP_SCHEDULE_NAME = "reconciliation: interrupted-run sweep"
SWEEP_SCHEDULE_FUNC = "reconciliation.tasks.reconciliation_sweep_task"


def _next_run(hour: int) -> dt.datetime:
    now = timezone.now()
    first = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return first if first > now else first + dt.timedelta(days=1)


def reconciliation_schedules_ensure(*, hour: int = DEFAULT_HOUR_UTC) -> tuple[Schedule, bool]:
    """The daily schedule, created if missing; returns ``(schedule, created)``.

    An existing schedule keeps its next run (and any frequency an operator chose in the admin); only its
    function is put right. django-q2 refuses a second schedule of the same name, hence the lookup first.
    """
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().filter(name=SCHEDULE_NAME).first()
        if schedule is not None:
            if schedule.func != SCHEDULE_FUNC:
                schedule.func = SCHEDULE_FUNC
                schedule.save(update_fields=["func"])
            return schedule, False
        schedule = Schedule.objects.create(
            name=SCHEDULE_NAME,
            func=SCHEDULE_FUNC,
            schedule_type=Schedule.DAILY,
            repeats=-1,
            next_run=_next_run(hour),
        )
        return schedule, True


def reconciliation_sweep_schedule_ensure() -> Schedule:
    """The every-minute interrupted-run sweep, created or put right by name (idempotent)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE_NAME,
        defaults={
            "func": SWEEP_SCHEDULE_FUNC,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    return schedule
