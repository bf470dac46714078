"""Who may manage integrations: every role reads them (narrowed to the integrations a person is granted,
:func:`sync.integrations.access.integration_scope`); creating, changing, deactivating and onboarding one is
the admins' (``manage_connections``), since an integration names connections and onboarding writes to
NetSuite."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import MANAGE_CONNECTIONS


def can_manage_integrations(user: User | AnonymousUser) -> bool:
    """Create, change, deactivate or onboard an integration (Admin)."""
    return user.has_perm(MANAGE_CONNECTIONS)
