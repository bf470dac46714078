"""The chains through an id, as a person may see them: one per integration whose records have it (a raw
opportunity id two orgs both handed out gives two chains, never one merged).

manage.py trace 0065S000001ABCDQA2 --as auditor
manage.py trace 601 --as auditor --integration acme --format json
manage.py trace 601 --as auditor --integration acme --format csv > trace.csv
"""

from __future__ import annotations

import csv
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from governance import traceability


class Command(BaseCommand):
    help = "Trace an opportunity, sales order, invoice or payment id: one chain per integration."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", help="any id of any link of the chain")
        parser.add_argument("--as", dest="username", required=True, help="whose view (their integrations)")
        parser.add_argument("--integration", default="", help="only this integration's chain (its name)")
        parser.add_argument("--format", choices=("text", "json", "csv"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["username"])
        key = str(options["id"])[: traceability.QUERY_LIMIT]
        chains = traceability.trace_chains(user=user, key=key)
        if options["integration"]:
            chains = [chain for chain in chains if chain.integration == options["integration"]]
        if not chains:
            raise CommandError(f"nothing {user.get_username()} may see has the id {key!r}")
        if options["format"] == "json":
            self.stdout.write(json.dumps({"query": key, "chains": [c.as_dict() for c in chains]}, indent=2))
        elif options["format"] == "csv":
            if len(chains) > 1:
                names = ", ".join(chain.integration for chain in chains)
                raise CommandError(f"{key!r} is in several integrations' records ({names}): name one")
            writer = csv.writer(self.stdout)
            for row in traceability.trace_csv_rows(chains[0]):
                writer.writerow(row)
        else:
            for chain in chains:
                self.stdout.write(f"integration {chain.integration} ({chain.integration_label})")
                for link in chain.links:
                    parents = ", ".join(link.parents) or "-"
                    self.stdout.write(f"  {link.ref}  from {parents}  {len(link.events)} events")
