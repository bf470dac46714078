"""List, add or remove the generic e-mail domains: addresses that are no evidence in matching before create
(built in: mailbox providers and example domains; the operator adds their own). Changes are audited.

manage.py generic_domain
manage.py generic_domain --add mailbox.example --as pat --reason "a regional mail provider"
manage.py generic_domain --remove mailbox.example --as pat --reason "added by mistake"
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from sync.matching.domains import generic_domain_add, generic_domain_remove, generic_domain_rows


class Command(BaseCommand):
    help = "List, add (--add) or remove (--remove) generic e-mail domains (no evidence in matching)."

    def add_arguments(self, parser: CommandParser) -> None:
        change = parser.add_mutually_exclusive_group()
        change.add_argument("--add", metavar="DOMAIN")
        change.add_argument("--remove", metavar="DOMAIN")
        parser.add_argument("--as", dest="username", help="the person changing the list (audited)")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        domain = options["add"] or options["remove"]
        if domain:
            if not options["username"]:
                raise CommandError("say who changes it: --as USERNAME")
            user = command_user(options["username"])
            change = generic_domain_add if options["add"] else generic_domain_remove
            try:
                change(user=user, domain=domain, reason=options["reason"])
            except (PermissionDenied, ValidationError) as error:
                raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
            self.stdout.write(f"{'Added' if options['add'] else 'Removed'} {domain.strip().lower()}.")
            return
        for row in generic_domain_rows():
            origin = (
                "built in" if row.built_in else f"added by {row.added_by or '?'}: {row.reason}".rstrip(": ")
            )
            self.stdout.write(f"{row.domain}\t{origin}")
