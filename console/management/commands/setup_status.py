"""``manage.py setup_status``: the first-run checklist in a terminal; exit status 1 while a step is open."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from console.setup.checklist import setup_checklist
from governance.first_admin import first_run_open, setup_code_path


class Command(BaseCommand):
    help = (
        "Print the first-run checklist (each step done or not, with its evidence); exit 1 while incomplete."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the checklist as the API answers it")

    def handle(self, *args: Any, **options: Any) -> None:
        checklist = setup_checklist()
        if options["json"]:
            self.stdout.write(json.dumps(checklist.as_dict(), indent=2))
        else:
            if first_run_open():
                # Only the server writes the code (a file this command made could be unreadable to it).
                self.stdout.write(
                    f"No user yet: open /setup/first-admin/ and enter the setup code the server writes to "
                    f"{setup_code_path()} (or run manage.py createsuperuser)."
                )
            for number, step in enumerate(checklist.steps, start=1):
                mark = "done" if step.done else "TODO"
                self.stdout.write(f"{number}. [{mark}] {step.title}: {step.evidence} ({step.url})")
            summary = f"{checklist.done_count} of {len(checklist.steps)} steps done."
            self.stdout.write(self.style.SUCCESS(summary) if checklist.complete else summary)
        if not checklist.complete:
            raise SystemExit(1)
