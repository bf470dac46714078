"""``manage.py integration_list``: every integration, its namespace, connections and state."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sync.connections.models import Connection
from sync.integrations.models import Integration


def _name(connection: Connection | None) -> str:
    return connection.name if connection is not None else "-"


class Command(BaseCommand):
    help = "List the integrations: namespace, Salesforce and NetSuite connections, sandbox pair, state."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Integration.objects.select_related(
            "salesforce_connection",
            "netsuite_connection",
            "sandbox_salesforce_connection",
            "sandbox_netsuite_connection",
            "based_on",
        )
        for row in rows:
            flags = [
                flag for flag, on in (("primary", row.is_primary), ("deactivated", not row.is_active)) if on
            ]
            pair = f"{_name(row.salesforce_connection)} -> {_name(row.netsuite_connection)}"
            sandbox = (
                f"{_name(row.sandbox_salesforce_connection)} -> {_name(row.sandbox_netsuite_connection)}"
            )
            based = f" based on {row.based_on}" if row.based_on else ""
            self.stdout.write(
                f"{row.name}\tnamespace {row.namespace or '(none)'}\t{pair}\tsandbox {sandbox}"
                f"{based}{' [' + ', '.join(flags) + ']' if flags else ''}"
            )
