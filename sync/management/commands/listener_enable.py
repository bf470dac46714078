"""``manage.py listener_enable NAME [--reason TEXT]``: accept notifications again; those Salesforce kept
while the listener was off land as it retries them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.pipeline.listener.cli import listener_named
from sync.pipeline.listener.services import listener_set_active


class Command(BaseCommand):
    help = "Enable a listener: notifications Salesforce kept while it was off land as it retries them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the listener's name")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        listener = listener_named(options["name"])
        changed = listener_set_active(listener=listener, is_active=True, reason=options["reason"])
        state = "enabled" if changed else "was already enabled"
        self.stdout.write(f"Listener {listener.name} {state}.")
