"""Who may read the governance area's restricted parts: the audit trail and its checkpoints are for
Auditors (``view_audit``). Releases have their own (:mod:`governance.releases.permissions`)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import VIEW_AUDIT


def can_view_audit(user: User | AnonymousUser) -> bool:
    """Read the audit trail, record and verify its checkpoints."""
    return user.has_perm(VIEW_AUDIT)
