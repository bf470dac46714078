"""``manage.py integration_grant USER INTEGRATION | --group G INTEGRATION [--revoke] [--as ADMIN]``: limit a
person (or every member of an access group) to an integration, on top of the ones they already hold; a
person holding no integration grant sees every integration. The same service and audit entry as the user's
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
from sync.integrations.models import Integration


class Command(BaseCommand):
    help = "Limit a user or a group to an integration (or, with --revoke, take it back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "names", nargs="+", metavar="USER INTEGRATION", help="the username, then the integration"
        )
        parser.add_argument("--group", help="the access group's name (then give only the INTEGRATION)")
        parser.add_argument("--revoke", action="store_true")
        parser.add_argument("--as", dest="username", help="the admin acting (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        names: list[str] = options["names"]
        expected = 1 if options["group"] else 2
        if len(names) != expected:
            raise CommandError("give USER INTEGRATION, or --group G INTEGRATION")
        integration = Integration.objects.filter(name=names[-1]).first()
        if integration is None:
            known = ", ".join(Integration.objects.order_by("name").values_list("name", flat=True)) or "none"
            raise CommandError(f"no integration {names[-1]!r} (there are: {known})")
        actor = _actor(options["username"])
        grant = not options["revoke"]
        try:
            if options["group"]:
                group = Group.objects.filter(name=options["group"]).first()
                if group is None:
                    raise CommandError(f"no group {options['group']!r}")
                change_group = (
                    access_grants.group_access_grant if grant else access_grants.group_access_revoke
                )
                change_group(group=group, kind="integration", target=integration, actor=actor)
                held = access_grants.group_access(group=group).integrations.names
                who = group.name
            else:
                holder = User.objects.filter(username=names[0]).first()
                if holder is None:
                    raise CommandError(f"no user {names[0]!r}")
                change = access_grants.user_access_grant if grant else access_grants.user_access_revoke
                change(user=holder, kind="integration", target=integration, actor=actor)
                held = access_grants.user_access(user=holder).integrations.names
                who = holder.get_username()
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{who} now holds: {', '.join(held) or 'no integration (sees every integration)'}")


def _actor(username: str | None) -> User | None:
    if not username:
        return None
    actor = command_user(username)
    if not actor.has_perm(MANAGE_USERS):
        raise CommandError("only admins (manage_users) grant access")
    return actor
