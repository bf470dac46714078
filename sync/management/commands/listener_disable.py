"""``manage.py listener_disable NAME [--reason TEXT]``: refuse notifications with a 503 (not an
acknowledgement). Salesforce keeps each one and retries it for 24 hours, so nothing is lost if the
listener is enabled again within that time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.pipeline.listener.cli import listener_named
from sync.pipeline.listener.services import listener_set_active


class Command(BaseCommand):
    help = (
        "Disable a listener: it answers 503 and Salesforce retries each notification for 24 hours "
        "(enable it within that time and nothing is lost)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the listener's name")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        listener = listener_named(options["name"])
        changed = listener_set_active(listener=listener, is_active=False, reason=options["reason"])
        state = "disabled" if changed else "was already disabled"
        self.stdout.write(f"Listener {listener.name} {state}.")
