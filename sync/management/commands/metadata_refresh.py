"""``manage.py metadata_refresh [CONNECTION ...] [--all] [--object X]``: read a connection's metadata again
(Salesforce describe, NetSuite's metadata catalog) into its cache, which mapping validation and the field
pickers read. A refresh that fails keeps the previous cache and says why; the command then exits non-zero.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.connections.metadata.services import MetadataRefreshFailed, metadata_refresh
from sync.connections.models import Connection


class Command(BaseCommand):
    help = "Read the metadata of connections again (describe / metadata catalog) into their cache."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connections", nargs="*", metavar="CONNECTION", help="connection names")
        parser.add_argument("--all", action="store_true", help="every active connection")
        parser.add_argument(
            "--object",
            action="append",
            default=[],
            dest="objects",
            metavar="NAME",
            help="also read this object / record type (repeat for several), e.g. Invoice__c",
        )
        parser.add_argument("--as", dest="username", help="the user to record as the actor (default: none)")

    def handle(self, *args: Any, **options: Any) -> None:
        names: list[str] = options["connections"]
        if options["all"]:
            connections = list(Connection.objects.filter(is_active=True))
        elif names:
            found = {c.name: c for c in Connection.objects.filter(name__in=names)}
            unknown = [name for name in names if name not in found]
            if unknown:
                known = ", ".join(Connection.objects.values_list("name", flat=True)) or "none"
                raise CommandError(f"no connection named {', '.join(unknown)} (known: {known})")
            connections = [found[name] for name in names]
        else:
            raise CommandError("name one or more connections, or give --all")
        actor = command_user(options["username"]) if options["username"] else None
        failed = []
        for connection in connections:
            try:
                result = metadata_refresh(connection=connection, actor=actor, objects=options["objects"])
            except (MetadataRefreshFailed, ValidationError) as error:
                failed.append(connection.name)
                text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.stderr.write(f"{connection.name}: {text}")
                continue
            self.stdout.write(self.style.SUCCESS(result.message))
        if failed:
            raise CommandError(f"not refreshed: {', '.join(failed)}")
