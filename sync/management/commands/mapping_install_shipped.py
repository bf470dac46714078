"""Install the shipped flows and lookup tables that are missing, as drafts made by a RevOps user."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import audit_actor
from core.commands import command_user
from sync.integrations.choice import INTEGRATION_OPTION_HELP, command_integration
from sync.mappings.services.seed import mapping_shipped_install


class Command(BaseCommand):
    help = "Install the missing shipped mappings and lookup tables as drafts of USER, for review (four eyes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the maker (needs the edit_mappings capability)")
        parser.add_argument("--integration", help=f"into which: {INTEGRATION_OPTION_HELP}")

    def handle(self, *args: Any, **options: Any) -> None:
        user = command_user(options["user"])
        try:
            with audit_actor(user):
                made = mapping_shipped_install(
                    user=user, integration=command_integration(options["integration"])
                )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        for version in made:
            self.stdout.write(f"draft {version}")
        self.stdout.write(self.style.SUCCESS(f"{len(made)} draft(s) installed"))
