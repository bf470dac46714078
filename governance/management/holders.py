"""What the grant commands share (``subsidiary_grant``, ``integration_grant``, ``flow_grant``): the acting
admin, and one grant or revoke for a user or an access group named on the command line, through
:mod:`governance.access_grants` (its checks and its one audit entry)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.commands import command_user
from core.roles import MANAGE_USERS
from governance import access_grants
from governance.access_grants import EVERY, Grantable, GrantKind, UserAccess


def grant_actor(username: str | None) -> User | None:
    """The admin a command acts as (``--as``); None: the system."""
    if not username:
        return None
    actor = command_user(username)
    if not actor.has_perm(MANAGE_USERS):
        raise CommandError("only admins (manage_users) grant access")
    return actor


def _held(access: UserAccess, kind: GrantKind) -> list[str]:
    grants = {"subsidiary": access.subsidiaries, "flow": access.flows, "integration": access.integrations}
    return grants[kind].names


def holder_grant_change(
    *,
    user: str | None,
    group: str | None,
    kind: GrantKind,
    target: Grantable | None,
    revoke: bool,
    actor: User | None,
) -> tuple[str, list[str]]:
    """Grant (``revoke``: take back) ``target`` to the user or the group named; returns who, and the
    grants of ``kind`` they hold afterwards. CommandError for an unknown name; the service's
    ValidationError for a refused change."""
    if group:
        found_group = Group.objects.filter(name=group).first()
        if found_group is None:
            raise CommandError(f"no group {group!r}")
        change_group = access_grants.group_access_revoke if revoke else access_grants.group_access_grant
        change_group(group=found_group, kind=kind, target=target, actor=actor)
        return found_group.name, _held(access_grants.group_access(group=found_group), kind)
    holder = User.objects.filter(username=user).first()
    if holder is None:
        raise CommandError(f"no user {user!r}")
    change = access_grants.user_access_revoke if revoke else access_grants.user_access_grant
    change(user=holder, kind=kind, target=target, actor=actor)
    return holder.get_username(), _held(access_grants.user_access(user=holder), kind)


class HolderGrantCommand(BaseCommand):
    """``manage.py <kind>_grant TARGET --user U | --group G [--revoke] [--as ADMIN]``: a subclass names its
    kind, its target argument (``add_target_arguments``) and how a target is found (``target_find``; the
    word ``all``, :data:`~governance.access_grants.EVERY`, is every one: no target)."""

    kind: GrantKind
    target_option: str
    nothing_held: str  # what "holds: ..." says when nothing is left

    def add_target_arguments(self, parser: CommandParser) -> None:
        raise NotImplementedError

    def target_find(self, name: str, options: dict[str, Any], actor: User | None) -> Grantable:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_target_arguments(parser)
        parser.add_argument("--user", help="the username")
        parser.add_argument("--group", help="the access group's name")
        parser.add_argument("--revoke", action="store_true")
        parser.add_argument("--as", dest="username", help="the admin acting (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["user"]) == bool(options["group"]):
            raise CommandError("give --user or --group (one of them)")
        actor = grant_actor(options["username"])
        name = options[self.target_option].strip()
        try:
            target = None if name == EVERY else self.target_find(name, options, actor)
            who, held = holder_grant_change(
                user=options["user"],
                group=options["group"],
                kind=self.kind,
                target=target,
                revoke=options["revoke"],
                actor=actor,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"{who} now holds: {', '.join(held) or self.nothing_held}")
