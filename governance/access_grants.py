"""Where a person's roles apply: their subsidiary scope for exceptions, their per-flow mapping access and
the integrations they are limited to.

The grants themselves are django-guardian permissions, defined and enforced by
:mod:`sync.exceptions.permissions`
(``sync.handle_exceptions`` on a subsidiary, ``sync.operate_flow`` on a flow; ``None`` as the object means
every one, a model-wide user permission; ``sync.access_integration`` on an integration, defined by
:mod:`sync.integrations.access`, always names one: holding it on some integrations limits a person to
them, so "every integration" is holding none). This module is the console's side: what one user holds (read),
and grant/revoke by an admin (write), each change one audit entry on the user (or on the group, for a
group's grants) with the grants before and after. The permission rows are written with auditlog off so
the trail does not say it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from auditlog.context import disable_auditlog
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import ValidationError
from django.db import transaction

from core.audit import AuditAction, audit_record
from core.roles import EDIT_MAPPINGS, ROLES_BY_NAME
from sync.exceptions.models import Subsidiary, SubsidiaryGroupPermission, SubsidiaryUserPermission
from sync.exceptions.permissions import HANDLE_EXCEPTIONS, subsidiary_scope_grant, subsidiary_scope_revoke
from sync.integrations.access import (
    ACCESS_INTEGRATION,
    integration_access_grant,
    integration_access_revoke,
    integration_scope,
)
from sync.integrations.models import Integration, IntegrationGroupPermission, IntegrationUserPermission
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow, FlowGroupPermission, FlowUserPermission
from sync.mappings.permissions import OPERATE_FLOW, flow_access_grant, flow_access_revoke

GrantKind = Literal["subsidiary", "flow", "integration"]
GRANT_MODELS: dict[str, type[Subsidiary] | type[Flow] | type[Integration]] = {
    "subsidiary": Subsidiary,
    "flow": Flow,
    "integration": Integration,
}
Grantable = Subsidiary | Flow | Integration
EVERY = "all"  # the object key that stands for "every subsidiary" / "every flow"


@dataclass(frozen=True)
class GrantSet:
    """One kind of grant as one user holds it."""

    everything: bool  # a model-wide user permission of their own
    objects: list[Grantable]  # their own per-object grants
    through_roles: bool  # model-wide through a role
    through_groups: list[str]  # "Finance EMEA: SUB-A" (or ": all") for grants held through other groups

    @property
    def names(self) -> list[str]:
        """Their own grants as the audit trail writes them."""
        return ([EVERY] if self.everything else []) + [_key(obj) for obj in self.objects]


@dataclass(frozen=True)
class GrantChoice:
    """One object a grant picker offers: ``key`` is what the person reads."""

    pk: int
    key: str


def flow_label(flow: Flow) -> str:
    """A flow told apart from the same flow of another integration: "acme · opportunity_to_netsuite"."""
    return f"{flow.integration.name} · {flow.key}"


FLOW_LABEL_SEPARATOR = " · "


def flow_find(text: str, *, integration: str | None = None, user: User | AnonymousUser | None = None) -> Flow:
    """The flow ``text`` names: its label as the pickers show it ("acme · opportunity_to_netsuite"), or
    its key in ``integration`` (by name; the primary integration when none). With ``user``, only the
    integrations they see. A ValidationError names what is wrong and what there is."""
    named, _, key = text.strip().rpartition(FLOW_LABEL_SEPARATOR)
    name = (named or integration or "").strip()
    key = key.strip()
    seen = Integration.objects.all() if user is None else integration_scope(user).integrations()
    owner = seen.filter(name=name).first() if name else seen.filter(pk=primary_integration().pk).first()
    if owner is None:
        raise ValidationError(f"No integration {name!r}." if name else "Name the flow's integration.")
    flows = Flow.objects.filter(integration=owner).select_related("integration")
    found = flows.filter(key=key).first()
    if found is None:
        known = ", ".join(flows.order_by("key").values_list("key", flat=True)) or "none"
        raise ValidationError(f"No flow {key!r} in integration {owner.name} (its flows: {known}).")
    return found


def flow_grant_choices(*, user: User | AnonymousUser) -> list[GrantChoice]:
    """The flows a grant picker offers ``user`` (an admin): those of the integrations they see, each
    labelled with its integration (every integration has its own flows under the same keys)."""
    flows = Flow.objects.filter(integration__in=integration_scope(user).integrations()).select_related(
        "integration"
    )
    ordered = flows.order_by("-integration__is_primary", "integration__name", "key")
    return [GrantChoice(flow.pk, flow_label(flow)) for flow in ordered]


@dataclass(frozen=True)
class UserAccess:
    subsidiaries: GrantSet
    flows: GrantSet
    integrations: GrantSet  # none: every integration; some: only those (see sync.integrations.access)


def user_access(*, user: User) -> UserAccess:
    """The subsidiary, flow and integration grants ``user`` holds (their own, and their groups')."""
    return UserAccess(
        subsidiaries=_grant_set(user, "subsidiary"),
        flows=_grant_set(user, "flow"),
        integrations=_grant_set(user, "integration"),
    )


def user_access_grant(*, user: User, kind: GrantKind, target: Grantable | None, actor: User | None) -> User:
    """Give ``user`` one subsidiary or flow (``target=None``: every one). One audit entry."""
    _change(holder=user, kind=kind, target=target, actor=actor, grant=True)
    return user


def user_access_revoke(*, user: User, kind: GrantKind, target: Grantable | None, actor: User | None) -> User:
    """Take back one grant ``user`` holds of their own (grants through a group stay with the group)."""
    _change(holder=user, kind=kind, target=target, actor=actor, grant=False)
    return user


def group_access(*, group: Group) -> UserAccess:
    """The subsidiary and flow grants ``group`` holds (its members get them)."""
    return UserAccess(
        subsidiaries=_grant_set(group, "subsidiary"),
        flows=_grant_set(group, "flow"),
        integrations=_grant_set(group, "integration"),
    )


def group_access_grant(
    *, group: Group, kind: GrantKind, target: Grantable | None, actor: User | None
) -> Group:
    """Give every member of ``group`` one subsidiary or flow (``None``: every one). One audit entry."""
    _change(holder=group, kind=kind, target=target, actor=actor, grant=True)
    return group


def group_access_revoke(
    *, group: Group, kind: GrantKind, target: Grantable | None, actor: User | None
) -> Group:
    _change(holder=group, kind=kind, target=target, actor=actor, grant=False)
    return group


def _change(
    *,
    holder: User | Group,
    kind: GrantKind,
    target: Grantable | None,
    actor: User | None,
    grant: bool,
) -> None:
    _change_check(holder=holder, kind=kind, target=target, actor=actor, grant=grant)
    with transaction.atomic():
        # One change to a holder's grants at a time, so before/after are exact.
        type(holder).objects.select_for_update().filter(pk=holder.pk).first()
        before = _grant_set(holder, kind).names
        with disable_auditlog():
            _permission_write(holder=holder, kind=kind, target=target, grant=grant)
        after = _grant_set(holder, kind).names
        if before != after:
            which: dict[str, Any] = {kind: _key(target) if target is not None else EVERY}
            audit_record(
                obj=holder,
                actor=actor,
                action=AuditAction.UPDATE,
                changes={f"{kind}_grants": [", ".join(before) or "none", ", ".join(after) or "none"]},
                event=f"{kind}_{'grant' if grant else 'revoke'}",
                **which,
            )


def _change_check(
    *, holder: User | Group, kind: GrantKind, target: Grantable | None, actor: User | None, grant: bool
) -> None:
    """Refuse a change that must not be made, with a message for the person asking."""
    expected = GRANT_MODELS.get(kind)
    if expected is None:
        raise ValidationError(f"unknown kind of grant {kind!r}")
    if target is not None and not isinstance(target, expected):
        raise ValidationError(f"a {kind} grant names a {kind}")
    if (
        isinstance(target, Flow)
        and actor is not None
        and not integration_scope(actor).allows(target.integration_id)
    ):
        raise ValidationError(f"{flow_label(target)} is not a flow of your integrations.")
    if kind == "integration" and target is None:
        # Holding no integration grant is what "every integration" means: there is no grant to give.
        raise ValidationError(
            "An integration grant names one integration (someone holding none sees them all)."
        )
    if isinstance(holder, User) and grant and not holder.is_active:
        raise ValidationError(f"{holder.get_username()} is deactivated: reactivate them first.")
    if grant and actor is not None and actor.is_authenticated:
        # Nobody grants themselves access, directly or through a group they belong to (maker-checker).
        if isinstance(holder, User) and holder.pk == actor.pk:
            raise ValidationError("You cannot grant access to yourself; ask another admin.")
        if isinstance(holder, Group) and holder.user_set.filter(pk=actor.pk).exists():
            raise ValidationError(f"You are a member of {holder.name}: ask another admin to grant it access.")
    if isinstance(holder, Group) and holder.name in ROLES_BY_NAME:
        # roles_sync owns the role groups' permissions (it would drop a model-wide grant at the next migrate).
        raise ValidationError(f"{holder.name} is a role: give access to a person or to a group of your own.")


def _permission_write(
    *, holder: User | Group, kind: GrantKind, target: Grantable | None, grant: bool
) -> None:
    # ``target`` matches ``kind`` (checked before); None stands for every one.
    if kind == "subsidiary":
        subsidiary = target if isinstance(target, Subsidiary) else None
        change = subsidiary_scope_grant if grant else subsidiary_scope_revoke
        change(holder=holder, subsidiary=subsidiary)
    elif isinstance(target, Integration):
        change_integration = integration_access_grant if grant else integration_access_revoke
        change_integration(holder=holder, integration=target)
    else:
        flow = target if isinstance(target, Flow) else None
        change_flow = flow_access_grant if grant else flow_access_revoke
        change_flow(holder=holder, flow=flow)


_GRANT_TABLES: dict[str, tuple[str, Any, Any, str]] = {
    # kind: (permission, user grants, group grants, the granted object's name field)
    "subsidiary": (HANDLE_EXCEPTIONS, SubsidiaryUserPermission, SubsidiaryGroupPermission, "key"),
    "flow": (OPERATE_FLOW, FlowUserPermission, FlowGroupPermission, "key"),
    "integration": (ACCESS_INTEGRATION, IntegrationUserPermission, IntegrationGroupPermission, "name"),
}


def _grant_set(holder: User | Group, kind: GrantKind) -> GrantSet:
    permission, user_model, group_model, name_field = _GRANT_TABLES[kind]
    app_label, _, codename = permission.partition(".")
    wide = {"content_type__app_label": app_label, "codename": codename}
    own_rows: Any
    if isinstance(holder, User):
        own_rows = user_model.objects.filter(user=holder, permission__codename=codename)
        everything = holder.user_permissions.filter(**wide).exists()
        groups = Group.objects.filter(user=holder)
    else:
        own_rows = group_model.objects.filter(group=holder, permission__codename=codename)
        everything = holder.permissions.filter(**wide).exists()
        groups = Group.objects.none()
    own_rows = own_rows.select_related("content_object").order_by(f"content_object__{name_field}")
    wide_groups = list(
        groups.filter(
            permissions__content_type__app_label=app_label, permissions__codename=codename
        ).values_list("name", flat=True)
    )
    group_rows = (
        group_model.objects.filter(group__in=groups, permission__codename=codename)
        .select_related("group", "content_object")
        .order_by("group__name", f"content_object__{name_field}")
    )
    through_roles = any(name in ROLES_BY_NAME for name in wide_groups)
    if kind == "flow" and not through_roles:
        # edit_mappings (RevOps) reaches every flow without an operate_flow grant.
        app, _, capability = EDIT_MAPPINGS.partition(".")
        role_groups = groups.filter(name__in=ROLES_BY_NAME)
        through_roles = role_groups.filter(
            permissions__content_type__app_label=app, permissions__codename=capability
        ).exists()
    return GrantSet(
        everything=everything,
        objects=[row.content_object for row in own_rows],
        through_roles=through_roles,
        through_groups=[f"{name}: {EVERY}" for name in sorted(wide_groups) if name not in ROLES_BY_NAME]
        + [f"{row.group.name}: {_key(row.content_object)}" for row in group_rows],
    )


def _key(obj: Grantable) -> str:
    """An object as the audit trail names it; another integration's flow with its integration (the
    primary's keeps its bare key, as before there were integrations)."""
    if isinstance(obj, Integration):
        return obj.name
    if isinstance(obj, Flow) and not obj.integration.is_primary:
        return flow_label(obj)
    return obj.key
