from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.pipeline.schedules import sync_schedules_ensure


class Command(BaseCommand):
    help = (
        "Create or correct the pipeline's django-q2 schedules (catch-up poll, inbox sweep, return flow); "
        "idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--poll-minutes", type=int, default=5)
        parser.add_argument("--return-minutes", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        for schedule in sync_schedules_ensure(
            poll_minutes=options["poll_minutes"], return_minutes=options["return_minutes"]
        ):
            self.stdout.write(f"{schedule.name}: {schedule.func} every {schedule.minutes} min")
