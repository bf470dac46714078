"""Who may manage integrations: every role reads them (narrowed to the integrations a person is granted,
:func:`sync.integrations.access.integration_scope`); creating, changing, deactivating and onboarding one is
the admins' (``manage_connections``), since an integration names connections and onboarding writes to
NetSuite."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import MANAGE_CONNECTIONS
from sync.mappings.permissions import can_approve_mappings, can_edit_mappings
from sync.rules.permissions import can_approve_rules, can_edit_rules


def can_manage_integrations(user: User | AnonymousUser) -> bool:
    """Create, change, deactivate or onboard an integration (Admin)."""
    return user.has_perm(MANAGE_CONNECTIONS)


def can_submit_config(user: User | AnonymousUser) -> bool:
    """Submit an integration's drafts in one step: who may submit mappings or rules (each version's own
    service checks its kind again)."""
    return can_edit_mappings(user) or can_edit_rules(user)


def can_publish_config(user: User | AnonymousUser) -> bool:
    """Approve and publish an integration's submitted versions in one step: the approvers."""
    return can_approve_mappings(user) or can_approve_rules(user)
