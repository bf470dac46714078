"""``manage.py connection_test NAME``: sign in to a connection, read one small thing, say what is wrong."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.connections.checks import connection_test
from sync.connections.models import Connection, ConnectionMetadata


class Command(BaseCommand):
    help = "Test a Salesforce or NetSuite connection by name; exits non-zero when it does not work."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the connection's name (see the console's Connections page)")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(name=options["name"]).first()
        if connection is None:
            names = ", ".join(Connection.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"no connection named {options['name']!r} (known: {names})")
        self.stdout.write(f"Testing {connection} at {connection.base_url}")
        result = connection_test(connection=connection)
        for step in result.steps:
            mark = self.style.SUCCESS("ok  ") if step.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"  {mark} {step.name} ({step.elapsed_ms:.0f} ms): {step.detail}")
        if not result.ok:
            raise CommandError(f"{result.diagnosis}: {result.message}")
        self.stdout.write(self.style.SUCCESS(f"{result.message} ({result.elapsed_ms:.0f} ms)"))
        cache = ConnectionMetadata.objects.filter(connection=connection).first()
        if cache is not None and cache.currency_shape:
            # As the last metadata refresh read it (metadata_refresh reads it again).
            self.stdout.write(f"Currencies: {cache.currency_shape}")
