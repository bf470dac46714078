"""Reset a person's second factor (their TOTP device); they enrol again at their next sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from governance.mfa.services import mfa_reset


class Command(BaseCommand):
    help = (
        "Remove USERNAME's TOTP device (a lost phone). --user names the admin who asks (recorded in the "
        "audit trail); without it the entry has no actor: the way back in for an only admin who lost theirs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--user", help="the admin taking this step")
        parser.add_argument("--reason", default="", help="why, for the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        account = User.objects.filter(username=options["username"]).first()
        if account is None:
            raise CommandError(f"no user {options['username']!r}")
        actor = command_user(options["user"]) if options["user"] else None
        try:
            removed = mfa_reset(user=account, actor=actor, reason=options["reason"])
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        if removed:
            self.stdout.write(self.style.SUCCESS(f"second factor of {account.username} reset"))
        else:
            self.stdout.write(f"{account.username} had no device enrolled; nothing to reset")
