"""``manage.py listener_test NAME --url URL``: send a test notification to a listener's URL and say how far
it got (reached, HTTP status, acknowledged, milliseconds, or the exact failure). The URL must be the
listener's current one (as configured in Salesforce or the webhook sender: Concord keeps only its hash).
Exits with an error when the notification was not acknowledged."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.pipeline.listener.cli import listener_named
from sync.pipeline.listener.probe import TIMEOUT_SECONDS, listener_test_send


class Command(BaseCommand):
    help = "Send a test notification to a listener's URL (its current one) and print how far it got."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the listener's name")
        parser.add_argument("--url", required=True, help="the listener's URL, as configured in the sender")
        parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help="seconds to wait")

    def handle(self, *args: Any, **options: Any) -> None:
        listener = listener_named(options["name"])
        try:
            result = listener_test_send(listener=listener, url=options["url"], timeout=options["timeout"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"Reached: {'yes' if result.reached else 'no'}; HTTP status: {result.status or '-'}; "
            f"acknowledged: {'yes' if result.acknowledged else 'no'}; {result.elapsed_ms} ms"
        )
        if not result.ok:
            raise CommandError(result.summary)
        self.stdout.write(f"Listener {listener.name}: {result.summary}")
