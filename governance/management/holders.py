"""What the grant commands share (``subsidiary_grant``, ``integration_grant``, ``flow_grant``): the acting
admin, and one grant or revoke for a user or an access group named on the command line, through
:mod:`governance.access_grants` (its checks and its one audit entry)."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.core.management.base import CommandError

from core.commands import command_user
from core.roles import MANAGE_USERS
from governance import access_grants
from governance.access_grants import Grantable, GrantKind, UserAccess


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
