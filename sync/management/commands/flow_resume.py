"""``manage.py flow_resume KEY [--reason TEXT]``: resume a paused flow and queue what waited (a drain of
the inbox for the Closed Won flow, a run for a return flow). Audited, as the operator at the terminal."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.pipeline.flows import OPERATED_FLOWS, flow_get, flow_resume


class Command(BaseCommand):
    help = "Resume a paused flow; what waited is processed, each event once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", help=INTEGRATION_OPTION_HELP)
        parser.add_argument("key", help=f"the flow: {', '.join(OPERATED_FLOWS)}")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        integration = command_integration(options["integration"])
        try:
            flow_resume(
                flow=flow_get(key=options["key"], integration=integration),
                user=None,
                reason=options["reason"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{options['key']} resumed: what waited is queued.")
