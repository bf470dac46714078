"""Who may do what in the governance area, one predicate per capability, asked by the pages, the API and the
services alike. Releases have their own (:mod:`governance.releases.permissions`).

The audit trail and user administration span every integration by nature (entries and people are of no
one integration), so a person limited to some integrations (:mod:`sync.integrations.access`) is refused
them whatever their roles."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import MANAGE_USERS, VIEW_AUDIT
from sync.integrations.access import integration_scope

AnyUser = User | AnonymousUser


def can_view_audit(user: AnyUser) -> bool:
    """Read the audit trail, record and verify its checkpoints (never a person limited to integrations)."""
    return user.has_perm(VIEW_AUDIT) and not integration_scope(user).limited


def can_manage_users(user: AnyUser) -> bool:
    """Invite, change and deactivate users, grant roles and groups, revoke anyone's API tokens (never a
    person limited to integrations)."""
    return user.has_perm(MANAGE_USERS) and not integration_scope(user).limited


def can_see_people(user: AnyUser) -> bool:
    """Read who holds which role and group: those who manage users, and auditors."""
    return can_manage_users(user) or can_view_audit(user)
