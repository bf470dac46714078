"""Reads in governance. Each selector checks what the asking user may see before it reads."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, Group, User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet

from core.roles import CAPABILITIES, ROLES, ROLES_BY_NAME, Role, capability
from governance.models import ApiToken, AuditEntry
from governance.permissions import can_manage_users, can_see_people, can_view_audit

AnyUser = User | AnonymousUser


@dataclass(frozen=True)
class MatrixRow:
    codename: str
    description: str
    granted: tuple[bool, ...]  # one per role, in ROLES order


def role_matrix() -> tuple[tuple[Role, ...], list[MatrixRow]]:
    """The permission matrix as the roles (columns) and one row per capability."""
    rows = [
        MatrixRow(
            codename=codename,
            description=description,
            granted=tuple(capability(codename) in role.permissions for role in ROLES),
        )
        for codename, description in CAPABILITIES.items()
    ]
    return ROLES, rows


def user_role_names(*, user: AnyUser) -> list[str]:
    if not isinstance(user, User):
        return []
    return sorted(user.groups.filter(name__in=ROLES_BY_NAME).values_list("name", flat=True))


def audit_entries_recent(*, user: AnyUser, limit: int = 50) -> QuerySet[AuditEntry]:
    """The newest audit entries, or none for a user without ``view_audit``."""
    if not can_view_audit(user):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")[:limit]


@dataclass(frozen=True)
class ManagedUser:
    user: User
    roles: list[str]


def users_with_roles(*, user: AnyUser) -> list[ManagedUser]:
    """Every user with their roles, for someone who manages users or audits; nobody otherwise."""
    if not can_see_people(user):
        return []
    return [_managed(account) for account in _with_role_groups().order_by("username")]


def user_detail_get(*, user: AnyUser, user_id: int) -> ManagedUser | None:
    """One user with their roles, for someone who manages users or audits; None otherwise or if missing."""
    if not can_see_people(user):
        return None
    account = _with_role_groups().filter(pk=user_id).first()
    return _managed(account) if account else None


def audit_entries_about_user(*, user: AnyUser, account: User, limit: int = 20) -> QuerySet[AuditEntry]:
    """The newest entries whose object is ``account`` (its changes and sign-ins), for ``view_audit``."""
    if not can_view_audit(user):
        return AuditEntry.objects.none()
    content_type = ContentType.objects.get_for_model(User)
    entries = AuditEntry.objects.filter(content_type=content_type, object_pk=str(account.pk))
    return entries.select_related("actor").order_by("-id")[:limit]


def managed_user_get(*, user: AnyUser, user_id: int) -> ManagedUser | None:
    account = _manageable(user).filter(pk=user_id).first()
    return _managed(account) if account else None


def _manageable(user: AnyUser) -> QuerySet[User]:
    if not can_manage_users(user):
        return User.objects.none()
    return _with_role_groups()


def _with_role_groups() -> QuerySet[User]:
    role_groups = Group.objects.filter(name__in=ROLES_BY_NAME).order_by("name")
    return User.objects.select_related("invitation").prefetch_related(
        Prefetch("groups", queryset=role_groups, to_attr="role_groups")
    )


def _managed(account: User) -> ManagedUser:
    return ManagedUser(user=account, roles=[group.name for group in getattr(account, "role_groups", [])])


def tokens_visible_to(*, user: AnyUser) -> QuerySet[ApiToken]:
    """A person's own API tokens; every user's for someone who manages users (they may revoke them)."""
    if not isinstance(user, User) or not user.is_authenticated:
        return ApiToken.objects.none()
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    return tokens if can_manage_users(user) else tokens.filter(user=user)
