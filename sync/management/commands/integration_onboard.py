"""``manage.py integration_onboard NAME [--apply]``: the acquisition onboarding in the terminal.

Scans the integration's org against its NetSuite account (the first org's records included; nothing is
written) and prints the plan: link, shared link (the record carries another integration's external id),
duplicate suspect, create. ``--apply`` applies it (``--yes`` skips the question); ``--run ID --apply``
applies a scan made earlier, after its review.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.connections.connectors.errors import ConnectorError
from sync.connections.services import ConnectionMisconfigured
from sync.golive.match import GoLiveNotConfigured
from sync.mappings.selectors import NoPublishedMapping
from sync.onboarding.cli import integration_named, plan_write, validation_error
from sync.onboarding.selectors import onboarding_plan, onboarding_runs
from sync.onboarding.services import onboarding_apply, onboarding_scan


class Command(BaseCommand):
    help = "Scan an integration's org against NetSuite, print the onboarding plan; --apply applies it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the integration's name")
        parser.add_argument("--run", type=int, help="use this earlier scan instead of scanning again")
        parser.add_argument("--apply", action="store_true", help="apply the plan")
        parser.add_argument("--yes", action="store_true", help="do not ask before applying")
        parser.add_argument("--user", help="the admin this is done as (recorded in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = command_user(options["user"]) if options["user"] else None
        integration = integration_named(options["name"])
        try:
            if options["run"] is not None:
                run = onboarding_runs(integration).filter(pk=options["run"]).first()
                if run is None:
                    raise CommandError(f"no onboarding scan #{options['run']} of {integration.name}")
            else:
                self.stdout.write(
                    f"Scanning {integration.name}'s org against NetSuite (nothing is written)..."
                )
                run = onboarding_scan(integration=integration, actor=actor, run_now=True)
            plan = onboarding_plan(run)
            plan_write(self.stdout, plan)
            if not options["apply"]:
                self.stdout.write(
                    f"Nothing written. To apply: manage.py integration_onboard {integration.name} "
                    f"--run {run.pk} --apply"
                )
                return
            counts = plan.counts
            question = (
                f"Link {counts['link']} records (externalId written), {counts['shared_link']} shared (not "
                f"re-keyed), open {counts['duplicate_suspect']} duplicate suspects? [y/N] "
            )
            if not options["yes"] and input(question).strip().lower() not in ("y", "yes"):
                self.stdout.write("Nothing applied.")
                return
            run = onboarding_apply(run=run, actor=actor, run_now=True)
        except ValidationError as error:
            raise validation_error(error) from error
        except (ConnectionMisconfigured, ConnectorError, NoPublishedMapping, GoLiveNotConfigured) as error:
            raise CommandError(f"{integration.name}: {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Applied: {run.links_applied} linked (shared ones included), {run.links_failed} refused by "
                f"NetSuite, {run.exceptions_raised} duplicate suspects in the exception queue; "
                f"{run.unmatched} left to the first sync to create."
            )
        )
