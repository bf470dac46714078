"""``manage.py flow_pause KEY [--reason TEXT]``: pause a flow; its events wait until ``flow_resume``.

The Closed Won flow (``opportunity_to_netsuite``) keeps storing events in the inbox and claims none; a
return flow reads nothing of its record type and its watermark stays. Audited, as the operator at the
terminal.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.pipeline.flows import OPERATED_FLOWS, flow_get, flow_pause


class Command(BaseCommand):
    help = "Pause a flow: its events wait (nothing is lost) until flow_resume."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", help=INTEGRATION_OPTION_HELP)
        parser.add_argument("key", help=f"the flow: {', '.join(OPERATED_FLOWS)}")
        parser.add_argument(
            "--reason", default="", help="why (kept in the audit trail and shown on the page)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        integration = command_integration(options["integration"])
        try:
            setting = flow_pause(
                flow=flow_get(key=options["key"], integration=integration),
                user=None,
                reason=options["reason"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{options['key']} paused at {setting.paused_at:%Y-%m-%d %H:%M:%S} UTC.")
