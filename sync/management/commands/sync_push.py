"""``manage.py sync_push OPPORTUNITY_ID [--salesforce NAME --netsuite NAME] [--reason TEXT]``: send one
opportunity to NetSuite now, whatever the flow's trigger says (the sync rules still apply).

The record goes through the inbox (source ``manual``) and the worker syncs it; while the Closed Won flow is
paused it waits there. The connections default to the one pair the active Closed Won listeners serve.
Audited, as the operator at the terminal.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.connections.cli import named_pair
from sync.pipeline.flows import sync_push


class Command(BaseCommand):
    help = "Push one opportunity to NetSuite now (through the inbox; the rules still apply)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("opportunity_id", help="the Salesforce Opportunity Id (15 or 18 characters)")
        parser.add_argument("--salesforce", default="", help="the Salesforce connection's name")
        parser.add_argument("--netsuite", default="", help="the NetSuite connection's name")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        salesforce, netsuite = named_pair(options["salesforce"], options["netsuite"])
        try:
            pushed = sync_push(
                opportunity_id=options["opportunity_id"],
                user=None,
                salesforce=salesforce,
                netsuite=netsuite,
                reason=options["reason"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        waiting = " It waits: the Closed Won flow is paused." if pushed.paused else ""
        self.stdout.write(
            f"Opportunity {pushed.message.record_id} queued ({pushed.message.notification_id}).{waiting}"
        )
