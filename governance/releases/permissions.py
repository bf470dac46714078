"""Who may do what with releases (every role reads them; the console's middleware enforces that).

RevOps (``edit_mappings``) put releases together and test them in the sandbox; RevOps and Finance
sign them off, each in their own role (``edit_mappings``, ``approve_releases``); Finance
(``approve_releases``) publishes them to production and rolls them back. Admin and Auditor read.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import APPROVE_RELEASES, EDIT_MAPPINGS
from governance.releases.models import SignoffRole

SIGNING_PERMISSION = {SignoffRole.REVOPS: EDIT_MAPPINGS, SignoffRole.FINANCE: APPROVE_RELEASES}


def can_edit_releases(user: User | AnonymousUser) -> bool:
    """Create a release, change its items, run its sandbox test."""
    return user.has_perm(EDIT_MAPPINGS)


def can_sign(user: User | AnonymousUser, role: str) -> bool:
    permission = SIGNING_PERMISSION.get(SignoffRole(role)) if role in SignoffRole.values else None
    return permission is not None and user.has_perm(permission)


def signing_roles(user: User | AnonymousUser) -> list[SignoffRole]:
    """The sign-off roles ``user`` may sign in."""
    return [role for role in SignoffRole if can_sign(user, role)]


def can_publish_releases(user: User | AnonymousUser) -> bool:
    """Publish a signed-off release, roll the live one back."""
    return user.has_perm(APPROVE_RELEASES)
