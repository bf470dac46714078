"""``manage.py flow_trigger closed_won|checkbox|condition [--field NAME] [--condition SOQL] [--reason TEXT]``:
choose what sends an opportunity to NetSuite (the ``opportunity_to_netsuite`` flow's trigger).

A checkbox field is checked by describe on the flow's Salesforce connections (it must exist on
Opportunity, be a checkbox and be editable); a condition is run by Salesforce
(``SELECT Id FROM Opportunity WHERE (<condition>) LIMIT 1``) and its error shown. Nothing is saved unless
both pass. Prints the criteria the Salesforce side (the outbound message's rule) must test.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.pipeline.flow_state import CLOSED_WON_FLOW
from sync.pipeline.flows import flow_get, flow_trigger_set
from sync.pipeline.models import DEFAULT_CHECKBOX_FIELD, TriggerKind
from sync.pipeline.triggers import Trigger, trigger_salesforce_criteria


class Command(BaseCommand):
    help = "Set the Closed Won flow's trigger: closed_won (default), checkbox or condition."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", help=INTEGRATION_OPTION_HELP)
        parser.add_argument("trigger", choices=TriggerKind.values)
        parser.add_argument("--field", default=DEFAULT_CHECKBOX_FIELD, help="checkbox: the Opportunity field")
        parser.add_argument(
            "--condition", default="", help="condition: a SOQL WHERE condition on Opportunity"
        )
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        integration = command_integration(options["integration"])
        trigger = Trigger(options["trigger"], options["field"], options["condition"])
        try:
            setting = flow_trigger_set(
                flow=flow_get(key=CLOSED_WON_FLOW, integration=integration),
                user=None,
                trigger=trigger,
                reason=options["reason"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Trigger: {setting.get_trigger_display()}.")
        self.stdout.write(f"Salesforce criteria: {trigger_salesforce_criteria(setting)}")
