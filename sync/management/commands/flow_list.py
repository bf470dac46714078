"""``manage.py flow_list``: each flow's state (running or paused, by whom and why), the Closed Won flow's
trigger and the criteria Salesforce must test, events waiting and the last run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.pipeline.flows import flow_states


class Command(BaseCommand):
    help = "Show each flow's state, trigger, events waiting and last run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", help=INTEGRATION_OPTION_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        for state in flow_states(command_integration(options["integration"])):
            setting = state.setting
            status = "running"
            if setting.paused:
                by = f" by {setting.paused_by}" if setting.paused_by else ""
                why = f": {setting.pause_reason}" if setting.pause_reason else ""
                status = f"PAUSED since {setting.paused_at:%Y-%m-%d %H:%M} UTC{by}{why}"
            last = f"{state.last_run:%Y-%m-%d %H:%M} UTC" if state.last_run else "never"
            self.stdout.write(f"{state.flow.key} ({state.label}): {status}; last run {last}")
            if state.is_closed_won:
                self.stdout.write(
                    f"  trigger: {state.trigger_text} (Salesforce: {state.salesforce_criteria})"
                )
                self.stdout.write(f"  waiting in the inbox: {state.waiting}")
            elif state.unread_since:
                self.stdout.write(f"  NetSuite changes waiting since {state.unread_since:%Y-%m-%d %H:%M} UTC")
