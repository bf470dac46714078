"""``manage.py catalogue_sync [--full] [--salesforce NAME --netsuite NAME] [--queue] [--reason TEXT]``:
bring NetSuite's items and prices to Salesforce products and price book entries now.

Runs at once and prints what it did (``--queue`` hands it to a worker instead); ``--full`` reads every
item, not only those changed since the last run. The connections default to the pairs the active Closed
Won listeners serve. Audited, as the operator at the terminal.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.catalogue.on_demand import catalogue_sync_request
from sync.connections.cli import named_pair


class Command(BaseCommand):
    help = "Sync NetSuite items and their prices to Salesforce products and price book entries now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="every item, not only the changed ones")
        parser.add_argument("--salesforce", default="", help="the Salesforce connection's name")
        parser.add_argument("--netsuite", default="", help="the NetSuite connection's name")
        parser.add_argument("--queue", action="store_true", help="queue it for a worker instead")
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        salesforce, netsuite = named_pair(options["salesforce"], options["netsuite"])
        try:
            request = catalogue_sync_request(
                user=None,
                salesforce=salesforce,
                netsuite=netsuite,
                full=options["full"],
                reason=options["reason"],
                source="command",
                run_now=not options["queue"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        if request.queued:
            for sf, ns in request.pairs:
                self.stdout.write(f"Catalogue sync queued: {ns.name} -> {sf.name}.")
            return
        for (sf, ns), result in zip(request.pairs, request.results, strict=True):
            if result.skipped:
                self.stdout.write(f"{ns.name} -> {sf.name}: skipped, {result.skipped}.")
                continue
            job = f" (job {result.job.pk})" if result.job else ""
            self.stdout.write(
                f"{ns.name} -> {sf.name}{job}: {result.read} item(s) read, {result.products_written} "
                f"product(s) and {result.entries_written} price book entr(y/ies) written, "
                f"{result.unchanged} unchanged, {result.failed} failed."
            )
            for problem in result.problems:
                self.stdout.write(f"  {problem}")
