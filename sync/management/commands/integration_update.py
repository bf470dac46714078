"""``manage.py integration_update NAME [--label ..] [--namespace ..] [--salesforce ..] ...``: change an
integration; ``--deactivate`` stops it (its listeners disabled), ``--activate`` starts it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_json, command_user
from sync.onboarding.cli import connection_named, integration_named, validation_error
from sync.onboarding.services import integration_activate, integration_deactivate, integration_update

CONNECTION_OPTIONS = {
    "salesforce": "salesforce_connection",
    "netsuite": "netsuite_connection",
    "sandbox_salesforce": "sandbox_salesforce_connection",
    "sandbox_netsuite": "sandbox_netsuite_connection",
}


class Command(BaseCommand):
    help = (
        "Change an integration's label, namespace, notes, connections or sync status fields; deactivate or "
        "activate it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--label")
        parser.add_argument("--namespace")
        parser.add_argument("--notes")
        parser.add_argument("--salesforce", help="the Salesforce connection's name")
        parser.add_argument("--netsuite", help="the NetSuite connection's name")
        parser.add_argument("--sandbox-salesforce")
        parser.add_argument("--sandbox-netsuite")
        parser.add_argument(
            "--status-fields",
            help='where its org and account keep the sync status, as JSON: {"salesforce": {"Opportunity": '
            '{"status": "ERP_Sync_Status__c", ...}}} ("{}" goes back to the install\'s fields)',
        )
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--deactivate", action="store_true", help="stop it: its listeners are disabled")
        state.add_argument("--activate", action="store_true", help="start it again")
        parser.add_argument("--reason", default="")
        parser.add_argument("--user", help="the admin this is done as (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_user(options["user"]) if options["user"] else None
        integration = integration_named(options["name"])
        fields: dict[str, Any] = {
            name: options[name] for name in ("label", "namespace", "notes") if options[name] is not None
        }
        if options["status_fields"] is not None:
            fields["status_fields"] = command_json(Path("--status-fields"), options["status_fields"])
        for option, field in CONNECTION_OPTIONS.items():
            if options[option] is not None:
                fields[field] = connection_named(options[option]) if options[option] else None
        if not fields and not (options["deactivate"] or options["activate"]):
            raise CommandError("nothing to change: give --label, --namespace, a connection, --deactivate ...")
        try:
            if fields:
                integration = integration_update(integration=integration, actor=actor, **fields)
            if options["deactivate"]:
                integration = integration_deactivate(
                    integration=integration, actor=actor, reason=options["reason"]
                )
            if options["activate"]:
                integration = integration_activate(integration=integration, actor=actor)
        except ValidationError as error:
            raise validation_error(error) from error
        state = "active" if integration.is_active else "deactivated"
        self.stdout.write(self.style.SUCCESS(f"Integration {integration.name} updated ({state})."))
