from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.schedules import schedule_ensure
from sync.catalogue.schedules import CATALOGUE_SYNC_SPEC
from sync.notifications.dispatch import NOTIFICATIONS_DISPATCH_SPEC
from sync.pipeline.schedules import sync_schedules_ensure
from sync.retention.tasks import RETENTION_PRUNE_SPEC


class Command(BaseCommand):
    help = (
        "Create the pipeline's django-q2 schedules when missing (catch-up poll, return flow, connection "
        "watch, catalogue sync, notifications, sweeps, retention prune) and put their functions right; an "
        "existing schedule keeps its timing (schedule_set)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--poll-minutes", type=int, default=5, help="when the poll is created")
        parser.add_argument("--return-minutes", type=int, default=5, help="when the return flow is created")

    def handle(self, *args: Any, **options: Any) -> None:
        for schedule in sync_schedules_ensure(
            poll_minutes=options["poll_minutes"], return_minutes=options["return_minutes"]
        ):
            self.stdout.write(f"{schedule.name}: {schedule.func} every {schedule.minutes} min")
        for spec in (CATALOGUE_SYNC_SPEC, NOTIFICATIONS_DISPATCH_SPEC):
            schedule, _ = schedule_ensure(spec)
            self.stdout.write(f"{schedule.name}: {schedule.func} every {schedule.minutes} min")
        retention, _ = schedule_ensure(RETENTION_PRUNE_SPEC)
        self.stdout.write(f"{retention.name}: {retention.func} daily")
