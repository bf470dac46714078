"""``manage.py schedule_set NAME --minutes N | --daily HH:MM | --pause | --resume``: retime, pause or resume
one schedule; workers pick the change up on their next tick (no restart). Audited as a command."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.schedules import (
    ScheduleUnknown,
    schedule_pause,
    schedule_resume,
    schedule_set,
    schedule_specs,
    schedule_state,
)


class Command(BaseCommand):
    help = "Retime (--minutes N or --daily HH:MM UTC), --pause or --resume one schedule (see schedule_list)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help=f"one of: {', '.join(spec.key for spec in schedule_specs())}")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--minutes", type=int, help="run every N minutes (1..1440)")
        action.add_argument("--daily", metavar="HH:MM", help="run once a day at this time (UTC)")
        action.add_argument("--pause", action="store_true", help="stop running until resumed")
        action.add_argument("--resume", action="store_true", help="run again")

    def handle(self, *args: Any, **options: Any) -> None:
        key = options["name"]
        try:
            if options["pause"]:
                schedule_pause(actor=None, key=key, source="command")
            elif options["resume"]:
                schedule_resume(actor=None, key=key, source="command")
            else:
                schedule_set(
                    actor=None,
                    key=key,
                    minutes=options["minutes"],
                    daily_at=options["daily"],
                    source="command",
                )
        except ScheduleUnknown as exc:
            raise CommandError(str(exc.args[0])) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        state = schedule_state(key)
        next_run = f", next run {state.next_run:%Y-%m-%d %H:%M} UTC" if state.next_run else ""
        self.stdout.write(f"{key}: {'paused' if state.paused else state.timing}{next_run}")
