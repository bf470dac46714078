"""``manage.py subsidiary_grant SUBSIDIARY --user U | --group G [--revoke] [--as ADMIN]``: let a person or
an access group handle one subsidiary's exceptions (``all``: every subsidiary), before any exception
names it. SUBSIDIARY is its name as read from NetSuite (``EMEA``), its key or its NetSuite id; a name two
connections share is refused with the keys to choose from. The same service and audit entry as the user's
and the group's pages (admins; role groups are refused: give access to a person or a group of your own).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.management.holders import grant_actor, holder_grant_change
from sync.exceptions.models import Subsidiary
from sync.exceptions.selectors import subsidiary_find


class Command(BaseCommand):
    help = "Grant (or revoke) a subsidiary's exceptions to a user or a group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subsidiary", help='a name ("EMEA"), key or NetSuite id; "all" for every one')
        parser.add_argument("--user", help="the username")
        parser.add_argument("--group", help="the access group's name")
        parser.add_argument("--revoke", action="store_true")
        parser.add_argument("--as", dest="username", help="the admin acting (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["user"]) == bool(options["group"]):
            raise CommandError("give --user or --group (one of them)")
        actor = grant_actor(options["username"])
        target: Subsidiary | None = None
        try:
            if options["subsidiary"] != "all":
                target = subsidiary_find(options["subsidiary"])
            who, held = holder_grant_change(
                user=options["user"],
                group=options["group"],
                kind="subsidiary",
                target=target,
                revoke=options["revoke"],
                actor=actor,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{who} now holds: {', '.join(held) or 'no subsidiary'}")
