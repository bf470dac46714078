"""Where a person's roles apply: their subsidiary scope for exceptions and their per-flow mapping access.

The grants themselves are django-guardian permissions, defined and enforced by :mod:`sync.permissions`
(``sync.handle_exceptions`` on a subsidiary, ``sync.operate_flow`` on a flow; ``None`` as the object means
every one, a model-wide user permission). This module is the console's side: what one user holds (read),
and grant/revoke by an admin (write), each change one audit entry on the user with the grants before
and after. The permission rows are written with auditlog off so the trail does not say it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from auditlog.context import disable_auditlog
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction

from governance.models import AuditEntry
from sync.models import (
    Flow,
    FlowGroupPermission,
    FlowUserPermission,
    Subsidiary,
    SubsidiaryGroupPermission,
    SubsidiaryUserPermission,
)
from sync.permissions import (
    HANDLE_EXCEPTIONS,
    OPERATE_FLOW,
    flow_access_grant,
    flow_access_revoke,
    subsidiary_scope_grant,
    subsidiary_scope_revoke,
)

GrantKind = Literal["subsidiary", "flow"]
EVERY = "all"  # the object key that stands for "every subsidiary" / "every flow"


@dataclass(frozen=True)
class GrantSet:
    """One kind of grant as one user holds it."""

    everything: bool  # a model-wide user permission of their own
    objects: list[Subsidiary | Flow]  # their own per-object grants
    through_roles: bool  # model-wide through a role or another group
    through_groups: list[str]  # "Finance EMEA: SUB-A" for per-object grants held through groups

    @property
    def names(self) -> list[str]:
        """Their own grants as the audit trail writes them."""
        return ([EVERY] if self.everything else []) + [_key(obj) for obj in self.objects]


@dataclass(frozen=True)
class UserAccess:
    subsidiaries: GrantSet
    flows: GrantSet


def user_access(*, user: User) -> UserAccess:
    """The subsidiary and flow grants ``user`` holds (their own, and what their groups give them)."""
    return UserAccess(
        subsidiaries=_grant_set(user, "subsidiary"),
        flows=_grant_set(user, "flow"),
    )


def user_access_grant(
    *, user: User, kind: GrantKind, target: Subsidiary | Flow | None, actor: User | None
) -> User:
    """Give ``user`` one subsidiary or flow (``target=None``: every one). One audit entry."""
    return _change(user=user, kind=kind, target=target, actor=actor, grant=True)


def user_access_revoke(
    *, user: User, kind: GrantKind, target: Subsidiary | Flow | None, actor: User | None
) -> User:
    """Take back one grant ``user`` holds of their own (grants through a group stay with the group)."""
    return _change(user=user, kind=kind, target=target, actor=actor, grant=False)


def _change(
    *, user: User, kind: GrantKind, target: Subsidiary | Flow | None, actor: User | None, grant: bool
) -> User:
    expected = Subsidiary if kind == "subsidiary" else Flow
    if target is not None and not isinstance(target, expected):
        raise ValidationError(f"a {kind} grant names a {kind}")
    if grant and not user.is_active:
        raise ValidationError(f"{user.get_username()} is deactivated: reactivate them first.")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one change to a user's grants at a time
        before = _grant_set(user, kind).names
        with disable_auditlog():
            # ``target`` matches ``kind`` (checked above); None stands for every one.
            if kind == "subsidiary":
                subsidiary = target if isinstance(target, Subsidiary) else None
                change = subsidiary_scope_grant if grant else subsidiary_scope_revoke
                change(holder=user, subsidiary=subsidiary)
            else:
                flow = target if isinstance(target, Flow) else None
                change_flow = flow_access_grant if grant else flow_access_revoke
                change_flow(holder=user, flow=flow)
        after = _grant_set(user, kind).names
        if before != after:
            AuditEntry.objects.log_create(
                user,
                force_log=True,
                action=AuditEntry.Action.UPDATE,
                actor=actor if actor is not None and actor.is_authenticated else None,
                changes={f"{kind}_grants": [", ".join(before) or "none", ", ".join(after) or "none"]},
                additional_data={
                    "event": f"{kind}_{'grant' if grant else 'revoke'}",
                    kind: _key(target) if target is not None else EVERY,
                },
            )
    return user


def _grant_set(user: User, kind: GrantKind) -> GrantSet:
    codename_full = HANDLE_EXCEPTIONS if kind == "subsidiary" else OPERATE_FLOW
    app_label, _, codename = codename_full.partition(".")
    user_model = SubsidiaryUserPermission if kind == "subsidiary" else FlowUserPermission
    group_model = SubsidiaryGroupPermission if kind == "subsidiary" else FlowGroupPermission
    own_rows = (
        user_model.objects.filter(user=user, permission__codename=codename)
        .select_related("content_object")
        .order_by("content_object__key")
    )
    everything = user.user_permissions.filter(content_type__app_label=app_label, codename=codename).exists()
    groups = Group.objects.filter(user=user)
    through_roles = groups.filter(
        permissions__content_type__app_label=app_label, permissions__codename=codename
    ).exists()
    group_rows = (
        group_model.objects.filter(group__in=groups, permission__codename=codename)
        .select_related("group", "content_object")
        .order_by("group__name", "content_object__key")
    )
    return GrantSet(
        everything=everything,
        objects=[row.content_object for row in own_rows],
        through_roles=through_roles,
        through_groups=[f"{row.group.name}: {_key(row.content_object)}" for row in group_rows],
    )


def _key(obj: Subsidiary | Flow) -> str:
    return obj.key
