"""``manage.py integration_create NAME --namespace NS --salesforce SF --netsuite NS``: a new integration.

Creates its Closed Won listener (the URL, with its secret token, is printed this once) and ensures the
schedules; ``--copy-from OTHER`` starts its mappings, lookups and rules as drafts copied from another
integration. Then onboard it: ``manage.py integration_onboard NAME``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from core.commands import command_user
from sync.onboarding.cli import connection_named, integration_named, validation_error
from sync.onboarding.services import integration_create
from sync.pipeline.listener.cli import url_and_setup_write


class Command(BaseCommand):
    help = "Create an integration (a Salesforce org with a NetSuite account), its listener and schedules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="a short name (letters, digits, - and _)")
        parser.add_argument("--namespace", required=True, help="prefix of its external ids, e.g. ACQ")
        parser.add_argument("--salesforce", required=True, help="the Salesforce connection's name")
        parser.add_argument("--netsuite", required=True, help="the NetSuite connection's name")
        parser.add_argument("--label", default="", help="e.g. 'Acme (acquired 2026)'")
        parser.add_argument("--sandbox-salesforce", help="the sandbox Salesforce connection (releases)")
        parser.add_argument("--sandbox-netsuite", help="the sandbox NetSuite connection (releases)")
        parser.add_argument("--copy-from", help="start with a draft copy of this integration's configuration")
        parser.add_argument("--org-id", default="", help="the Salesforce org id its listener accepts")
        parser.add_argument("--notes", default="")
        parser.add_argument("--base-url", default="", help="the console's address, to print the listener URL")
        parser.add_argument("--user", help="the admin this is done as (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_user(options["user"]) if options["user"] else None
        salesforce = connection_named(options["salesforce"])
        netsuite = connection_named(options["netsuite"])
        assert salesforce is not None and netsuite is not None  # noqa: S101 - required arguments
        try:
            setup = integration_create(
                name=options["name"],
                label=options["label"],
                namespace=options["namespace"],
                salesforce=salesforce,
                netsuite=netsuite,
                sandbox_salesforce=connection_named(options["sandbox_salesforce"]),
                sandbox_netsuite=connection_named(options["sandbox_netsuite"]),
                copy_from=integration_named(options["copy_from"]) if options["copy_from"] else None,
                notes=options["notes"],
                org_id=options["org_id"],
                actor=actor,
            )
        except ValidationError as error:
            raise validation_error(error) from error
        integration = setup.integration
        self.stdout.write(
            self.style.SUCCESS(f"Integration {integration.name} created (namespace {integration.namespace}).")
        )
        if setup.copy_report is not None:
            self.stdout.write(
                f"Configuration copied from {options['copy_from']} as drafts: {setup.copy_report.summary}"
            )
        self.stdout.write(f"Schedules: {', '.join(setup.schedules)}")
        for warning in setup.warnings:
            self.stdout.write(self.style.WARNING(warning))
        if setup.listener is not None and setup.listener_token:
            self.stdout.write(f"Listener {setup.listener.name}: its URL (shown only now; keep it secret):")
            if options["base_url"]:
                url_and_setup_write(
                    self.stdout,
                    listener=setup.listener,
                    token=setup.listener_token,
                    base_url=options["base_url"],
                )
            else:
                self.stdout.write(f"  token {setup.listener_token} (give --base-url to print the full URL)")
        self.stdout.write(f"Next: manage.py integration_onboard {integration.name}")
