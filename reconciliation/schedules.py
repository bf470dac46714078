"""The daily reconciliation schedule in django-q2, ensured idempotently (safe on every deploy)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django_q.models import Schedule

from core.schedules import ScheduleSpec, schedule_ensure

SCHEDULE_NAME = "reconciliation-daily"
SCHEDULE_FUNC = "reconciliation.tasks.reconciliation_scheduled"
DEFAULT_HOUR_UTC = 2  # quiet hours for both systems' APIs
# Runs whose worker stopped (no heartbeat): no broker brings every lost task back
# (docs/operations-tasks.md), so a sweep looks every minute.
SWEEP_SCHEDULE_NAME = "reconciliation: interrupted-run sweep"
SWEEP_SCHEDULE_FUNC = "reconciliation.tasks.reconciliation_sweep_task"


DAILY_SPEC = ScheduleSpec(
    key="reconciliation",
    name=SCHEDULE_NAME,
    func=SCHEDULE_FUNC,
    label="Reconciliation",
    description="Compares every active reconciliation check's records in both systems, once a day.",
    default_daily=dt.time(DEFAULT_HOUR_UTC, 0),
)


def reconciliation_schedules_ensure(*, hour: int = DEFAULT_HOUR_UTC) -> tuple[Schedule, bool]:
    """The daily schedule, created if missing (first run at ``hour`` UTC); returns ``(schedule, created)``.

    An existing schedule keeps its next run, its time of day and its paused state (an operator's edit, see
    :mod:`core.schedules`); only its function is put right."""
    spec = DAILY_SPEC if hour == DEFAULT_HOUR_UTC else replace(DAILY_SPEC, default_daily=dt.time(hour, 0))
    return schedule_ensure(spec)


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
