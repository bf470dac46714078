from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reconciliation.schedules import (
    DEFAULT_HOUR_UTC,
    reconciliation_schedules_ensure,
    reconciliation_sweep_schedule_ensure,
)


class Command(BaseCommand):
    help = (
        "Create the daily reconciliation schedule in django-q2 if it does not exist, and the every-minute "
        "interrupted-run sweep (idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hour", type=int, default=DEFAULT_HOUR_UTC, help="hour (UTC) of the first run")

    def handle(self, *args: Any, **options: Any) -> None:
        schedule, created = reconciliation_schedules_ensure(hour=options["hour"])
        state = "created" if created else "already present"
        self.stdout.write(f"{schedule.name}: {state}, next run {schedule.next_run:%Y-%m-%d %H:%M} UTC")
        sweep = reconciliation_sweep_schedule_ensure()
        self.stdout.write(f"{sweep.name}: every {sweep.minutes} minute")
