"""``manage.py metadata_show CONNECTION [OBJECT]``: what the cache holds for a connection (its objects), or
one object's fields with their labels, types and flags. Reads the cache only; ``metadata_refresh`` fills it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sync.connections.metadata.selectors import connection_metadata
from sync.connections.metadata.types import FieldInfo
from sync.connections.models import Connection
from sync.connections.models.metadata import currency_shape_text


class Command(BaseCommand):
    help = "Show a connection's cached metadata: its objects, or one object's fields."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connection", help="the connection's name")
        parser.add_argument(
            "object", nargs="?", help="an object / record type (e.g. Opportunity, salesOrder)"
        )
        parser.add_argument(
            "--search", default="", help="only fields whose name, label or type contains this"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = Connection.objects.filter(name=options["connection"]).first()
        if connection is None:
            raise CommandError(f"no connection named {options['connection']!r}")
        metadata = connection_metadata(connection)
        if not metadata.fetched_at:
            raise CommandError(
                f"no metadata cached for {connection.name}: run metadata_refresh {connection.name}"
            )
        if not options["object"]:
            self.stdout.write(
                f"{connection.name}: {len(metadata.objects)} objects, read at {metadata.fetched_at}"
            )
            shape = currency_shape_text(metadata.multi_currency, metadata.corporate_currency)
            if shape:
                self.stdout.write(f"  currencies: {shape}")
            for info in metadata.objects.values():
                self.stdout.write(f"  {info.name:<32} {len(info.fields):>4} fields  {info.label}")
            return
        found = metadata.object(options["object"])
        if found is None:
            cached = ", ".join(metadata.objects) or "none"
            raise CommandError(f"{options['object']} is not cached for {connection.name} (cached: {cached})")
        info = found
        search = options["search"].lower()
        self.stdout.write(f"{info.label} ({info.name}), read at {metadata.fetched_at}")
        for field in info.fields.values():
            if search and not any(search in t.lower() for t in (field.name, field.label, field.type)):
                continue
            self.stdout.write("  " + _line(field))
            for line in field.sublist_fields.values():
                self.stdout.write("      " + _line(line))


def _line(field: FieldInfo) -> str:
    flags = [
        flag
        for flag, on in (
            ("required", field.required),
            ("custom", field.custom),
            ("read-only", not field.createable and not field.updateable),
        )
        if on
    ]
    extra = ""
    if field.picklist:
        extra = " values: " + ", ".join(field.picklist[:20]) + (" ..." if len(field.picklist) > 20 else "")
    if field.reference_to:
        extra = " -> " + ", ".join(field.reference_to)
    flag_text = f" [{', '.join(flags)}]" if flags else ""
    return f"{field.name:<36} {field.type:<12} {field.label}{flag_text}{extra}"
