"""Who may do what in the governance area, one predicate per capability, asked by the pages, the API and the
services alike. Releases have their own (:mod:`governance.releases.permissions`)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import MANAGE_USERS, VIEW_AUDIT

AnyUser = User | AnonymousUser


def can_view_audit(user: AnyUser) -> bool:
    """Read the audit trail, record and verify its checkpoints."""
    return user.has_perm(VIEW_AUDIT)


def can_manage_users(user: AnyUser) -> bool:
    """Invite, change and deactivate users, grant roles and groups, revoke anyone's API tokens."""
    return user.has_perm(MANAGE_USERS)


def can_see_people(user: AnyUser) -> bool:
    """Read who holds which role and group: those who manage users, and auditors."""
    return can_manage_users(user) or can_view_audit(user)
