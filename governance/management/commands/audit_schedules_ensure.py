from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.audit_checkpoints import CHECKPOINT_MINUTES, audit_schedules_ensure


class Command(BaseCommand):
    help = "Create or correct the django-q2 schedule that records audit chain checkpoints; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--checkpoint-minutes", type=int, default=CHECKPOINT_MINUTES)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            schedule = audit_schedules_ensure(minutes=options["checkpoint_minutes"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{schedule.name}: {schedule.func} every {schedule.minutes} min")
