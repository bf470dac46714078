"""Create (or refresh) the demo personas: one user per role and an outsider with none."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.env import env_str
from core.roles import FINANCE
from governance.personas import PERSONAS
from governance.services import persona_ensure, roles_sync
from sync.exceptions.permissions import subsidiary_scope_grant

DEFAULT_PASSWORD = "concord-demo"  # noqa: S105 - the demo's published password, overridable with DEMO_PASSWORD


def demo_password() -> str:
    return env_str("DEMO_PASSWORD", DEFAULT_PASSWORD) or DEFAULT_PASSWORD


class Command(BaseCommand):
    help = "Create or refresh the personas revops, finance, admin, auditor and outsider (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true", help="do not print the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password()
        roles_sync()
        for persona in PERSONAS:
            user = persona_ensure(persona=persona, password=password)
            if persona.role == FINANCE:
                # The Finance role reaches no subsidiary by itself; the demo's approver reaches them all.
                subsidiary_scope_grant(holder=user, subsidiary=None)
        if not options["quiet_logins"]:
            self.stdout.write(persona_logins(password))


def persona_logins(password: str) -> str:
    width = max(len(persona.username) for persona in PERSONAS)
    lines = [f"Persona logins (password for all: {password})"]
    for persona in PERSONAS:
        role = persona.role.name if persona.role else "no role: sees nothing"
        lines.append(f"  {persona.username.ljust(width)}  {role}")
    return "\n".join(lines)
