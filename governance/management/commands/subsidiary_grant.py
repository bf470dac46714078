"""``manage.py subsidiary_grant SUBSIDIARY --user U | --group G [--revoke] [--as ADMIN]``: let a person or
an access group handle one subsidiary's exceptions (``all``: every subsidiary), before any exception
names it. SUBSIDIARY is its name as read from NetSuite (``EMEA``), its key or its NetSuite id; a name two
connections share is refused with the keys to choose from. The same service and audit entry as the user's
and the group's pages (admins; role groups are refused: give access to a person or a group of your own).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from core.roles import MANAGE_USERS
from governance import access_grants
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
        actor = _actor(options["username"])
        target: Subsidiary | None = None
        try:
            if options["subsidiary"] != "all":
                target = subsidiary_find(options["subsidiary"])
            held = _user(options, target, actor) if options["user"] else _group(options, target, actor)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        who = options["user"] or options["group"]
        self.stdout.write(f"{who} now holds: {', '.join(held) or 'no subsidiary'}")


def _actor(username: str | None) -> User | None:
    if not username:
        return None
    actor = command_user(username)
    if not actor.has_perm(MANAGE_USERS):
        raise CommandError("only admins (manage_users) grant access")
    return actor


def _user(options: dict[str, Any], target: Subsidiary | None, actor: User | None) -> list[str]:
    holder = User.objects.filter(username=options["user"]).first()
    if holder is None:
        raise CommandError(f"no user {options['user']!r}")
    change = access_grants.user_access_revoke if options["revoke"] else access_grants.user_access_grant
    change(user=holder, kind="subsidiary", target=target, actor=actor)
    return access_grants.user_access(user=holder).subsidiaries.names


def _group(options: dict[str, Any], target: Subsidiary | None, actor: User | None) -> list[str]:
    group = Group.objects.filter(name=options["group"]).first()
    if group is None:
        raise CommandError(f"no group {options['group']!r}")
    change = access_grants.group_access_revoke if options["revoke"] else access_grants.group_access_grant
    change(group=group, kind="subsidiary", target=target, actor=actor)
    return access_grants.group_access(group=group).subsidiaries.names
