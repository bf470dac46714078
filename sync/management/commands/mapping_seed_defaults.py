"""Create the product's flows and publish the shipped default mappings as version 1 (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sync.mappings.services.seed import mapping_seed_defaults


class Command(BaseCommand):
    help = "Create the default lookup tables and flows, and publish each shipped mapping as version 1."

    def handle(self, *args: Any, **options: Any) -> None:
        published = mapping_seed_defaults()
        for version in published:
            self.stdout.write(f"published {version}")
        self.stdout.write(self.style.SUCCESS(f"mappings ready ({len(published)} published now)"))
