"""``manage.py lookup_import``: read lookup tables' ids from NetSuite by SuiteQL into drafts for review.

    lookup_import TABLE --user NAME [--connection NAME]   # one table
    lookup_import --all --user NAME [--connection NAME]   # every importable table
    lookup_import --list                                  # the importable tables

The connection is the sandbox NetSuite connection unless ``--connection`` names another. Each table with
a change becomes a draft made by ``--user`` (an active RevOps account: someone else approves it, as in the
console); nothing changed in NetSuite prints "no change" and makes no draft. The diff (added, removed,
changed, with NetSuite's names) and the notes (ambiguities, inactive records left out) are printed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.connections.connectors.errors import ConnectorError
from sync.connections.services import ConnectionMisconfigured, NoSandboxConnection
from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.mappings.services.lookup_import import (
    LookupImport,
    import_connection,
    importable_tables,
    lookup_import,
)


class Command(BaseCommand):
    help = "Import lookup tables from NetSuite (SuiteQL) as drafts for four-eyes review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("table", nargs="?", help="the lookup table (see --list)")
        parser.add_argument("--all", action="store_true", help="every importable table")
        parser.add_argument("--list", action="store_true", help="list the importable tables")
        parser.add_argument("--connection", default="", help="the NetSuite connection (default: the sandbox)")
        parser.add_argument("--user", help="the account the drafts are made by (required to import)")
        parser.add_argument("--integration", help=f"whose tables: {INTEGRATION_OPTION_HELP}")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for name in importable_tables():
                self.stdout.write(name)
            return
        if options["all"] == bool(options["table"]):
            raise CommandError("name one table, or give --all (see --list)")
        if not options["user"]:
            raise CommandError("say who imports: --user NAME (someone else approves the draft)")
        user = command_user(options["user"])
        integration = command_integration(options["integration"])
        try:
            connection = import_connection(options["connection"] or None, integration)
        except (ValidationError, NoSandboxConnection) as error:
            raise CommandError(_text(error)) from error
        tables = importable_tables() if options["all"] else [options["table"]]
        failed = []
        for table in tables:
            try:
                result = lookup_import(
                    table_name=table, user=user, connection=connection, integration=integration
                )
            except PermissionDenied as error:
                raise CommandError(f"refused: {error}") from error
            except (ValidationError, ConnectorError, ConnectionMisconfigured) as error:
                failed.append(table)
                self.stderr.write(f"{table}: {_text(error)}")
                continue
            self._report(result)
        if failed:
            raise CommandError(f"not imported: {', '.join(failed)}")

    def _report(self, result: LookupImport) -> None:
        self.stdout.write(result.message)
        answer = result.as_dict()
        for row in answer["added"]:
            self.stdout.write(f"  + {row['key']} -> {row['value']}  {row['netsuite_name']}".rstrip())
        for row in answer["removed"]:
            self.stdout.write(f"  - {row['key']} (was {row['value']})  {row['netsuite_name']}".rstrip())
        for row in answer["changed"]:
            self.stdout.write(
                f"  ~ {row['key']}: {row['before']} -> {row['after']}  {row['netsuite_name']}".rstrip()
            )
        for note in result.notes:
            self.stdout.write(f"  note: {note}")


def _text(error: Exception) -> str:
    return "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
