"""``manage.py netsuite_lists_read CONNECTION``: read the subsidiaries (with their names), departments,
classes and locations of a NetSuite connection now, so that they can be granted before any exception
names one. ``--all`` reads every active NetSuite connection (what the schedule runs:
``sync.tasks.netsuite_lists_read_task``). Re-reading renames, and marks those gone from NetSuite inactive.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.connections.cli import active_connection
from sync.connections.connectors.errors import ConnectorError
from sync.connections.models import Connection, ConnectionKind
from sync.exceptions.netsuite_lists import netsuite_lists_read


class Command(BaseCommand):
    help = "Read subsidiaries, departments, classes and locations from a NetSuite connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection", nargs="?", help="the NetSuite connection's name")
        parser.add_argument("--all", action="store_true", help="every active NetSuite connection")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            connections = list(Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True))
        elif options["connection"]:
            connections = [active_connection(options["connection"], ConnectionKind.NETSUITE)]
        else:
            raise CommandError("name a NetSuite connection, or give --all")
        failed = []
        for connection in connections:
            try:
                result = netsuite_lists_read(connection=connection)
            except (ConnectorError, ValidationError, ValueError) as error:
                failed.append(connection.name)
                self.stderr.write(f"{connection.name}: {error}")
                continue
            self.stdout.write(result.message)
            for change in result.changes:
                self.stdout.write(f"  {change}")
        if failed:
            raise CommandError(f"could not read: {', '.join(failed)}")
