"""Access groups: named sets of people who share subsidiary and flow grants ("Finance EMEA").

The four role groups are not access groups: their permissions come from :mod:`core.roles`, and a
person's roles are set with :func:`governance.services.user_roles_set`. An access group holds no model
permission of its own, only the grants of :mod:`governance.access_grants`; its members get them on top of
their roles. Creating a group and changing its members each write one audit entry (membership on the
person, like roles, with their groups before and after).
"""

from __future__ import annotations

from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet

from core.audit import AuditAction, audit_record
from core.roles import ROLES_BY_NAME
from governance.permissions import can_see_people
from governance.selectors import AnyUser


def access_groups(*, user: AnyUser) -> QuerySet[Group]:
    """Every access group with its member count, for someone who manages users or audits."""
    if not can_see_people(user):
        return Group.objects.none()
    groups = Group.objects.exclude(name__in=ROLES_BY_NAME).annotate(member_count=Count("user"))
    return groups.order_by("name")


def access_group_get(*, user: AnyUser, group_id: int) -> Group | None:
    return access_groups(user=user).filter(pk=group_id).first()


def user_access_groups(*, user: User) -> list[str]:
    """The names of the access groups ``user`` belongs to."""
    return sorted(user.groups.exclude(name__in=ROLES_BY_NAME).values_list("name", flat=True))


def group_create(*, name: str, actor: User | None) -> Group:
    """A new, empty access group. Role names are taken."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Name the group.")
    if name.casefold() in {role.casefold() for role in ROLES_BY_NAME}:
        raise ValidationError(f"{name} is a role; choose another name.")
    if Group.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"There is a group called {name} already.")
    group = Group(name=name)
    group.full_clean()
    with transaction.atomic():
        with disable_auditlog():
            group.save()
        audit_record(
            obj=group,
            actor=actor,
            action=AuditAction.CREATE,
            changes={"name": [None, name]},
            event="group_create",
        )
    return group


@dataclass(frozen=True)
class MembershipChange:
    group: Group
    user: User
    changed: bool


def group_member_add(*, group: Group, user: User, actor: User | None) -> MembershipChange:
    """Put ``user`` in the access group (their grants follow at once)."""
    return _membership(group=group, user=user, actor=actor, join=True)


def group_member_remove(*, group: Group, user: User, actor: User | None) -> MembershipChange:
    return _membership(group=group, user=user, actor=actor, join=False)


def _membership(*, group: Group, user: User, actor: User | None, join: bool) -> MembershipChange:
    if group.name in ROLES_BY_NAME:
        raise ValidationError(f"{group.name} is a role: set it on the person's roles instead.")
    if join and actor is not None and actor.pk == user.pk:
        # The group's grants would be the actor's own: nobody grants themselves access.
        raise ValidationError("You cannot add yourself to a group; ask another admin.")
    if join and not user.is_active:
        raise ValidationError(f"{user.get_username()} is deactivated: reactivate them first.")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        before = user_access_groups(user=user)
        with disable_auditlog():
            if join:
                user.groups.add(group)
            else:
                user.groups.remove(group)
        after = user_access_groups(user=user)
        if before == after:
            return MembershipChange(group=group, user=user, changed=False)
        audit_record(
            obj=user,
            actor=actor,
            action=AuditAction.UPDATE,
            changes={"groups": [", ".join(before) or "none", ", ".join(after) or "none"]},
            event="group_join" if join else "group_leave",
            group=group.name,
        )
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return MembershipChange(group=group, user=user, changed=True)
