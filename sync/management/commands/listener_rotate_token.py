"""``manage.py listener_rotate_token NAME --base-url URL``: a new URL for a listener; the old one stops."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.pipeline.listener.services import listener_token_rotate, listener_url
from sync.pipeline.models import Listener


class Command(BaseCommand):
    help = "Give a listener a new URL token and print the URL (shown once); the old URL stops working."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the listener's name")
        parser.add_argument(
            "--base-url", required=True, help="the console's address as the sender reaches it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        listener = Listener.objects.filter(name=options["name"]).first()
        if listener is None:
            names = ", ".join(Listener.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no listener named {options['name']!r} (known: {names})")
        token = listener_token_rotate(listener=listener)
        self.stdout.write(
            f"Listener {listener.name} has a new URL (shown only now; the old one no longer works):"
        )
        self.stdout.write(listener_url(listener=listener, token=token, base_url=options["base_url"]))
