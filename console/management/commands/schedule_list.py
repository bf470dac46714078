"""``manage.py schedule_list``: the schedules an operator may retime, with their timing, next and last run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.schedules import schedule_states


class Command(BaseCommand):
    help = "List the editable schedules (catch-up poll, return flow, connection watch, reconciliation...)."

    def handle(self, *args: Any, **options: Any) -> None:
        for state in schedule_states():
            timing = "paused" if state.paused else state.timing
            next_run = f"{state.next_run:%Y-%m-%d %H:%M} UTC" if state.next_run else "-"
            if state.last_ok is None:
                last = "never ran"
            else:
                last = f"{'ok' if state.last_ok else 'FAILED'} at {state.last_run:%Y-%m-%d %H:%M} UTC"
            self.stdout.write(f"{state.spec.key:<18} {timing:<28} next {next_run:<22} last {last}")
