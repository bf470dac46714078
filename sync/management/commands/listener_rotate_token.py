"""``manage.py listener_rotate_token NAME --base-url URL``: a new URL for a listener (printed once, with the
steps to set up the sender); the old one stops."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.pipeline.listener.cli import listener_named, url_and_setup_write
from sync.pipeline.listener.services import listener_token_rotate


class Command(BaseCommand):
    help = "Give a listener a new URL token and print the URL (shown once); the old URL stops working."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the listener's name")
        parser.add_argument(
            "--base-url", required=True, help="the console's address as the sender reaches it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        listener = listener_named(options["name"])
        token = listener_token_rotate(listener=listener)
        self.stdout.write(
            f"Listener {listener.name} has a new URL (shown only now; the old one no longer works):"
        )
        url_and_setup_write(self.stdout, listener=listener, token=token, base_url=options["base_url"])
