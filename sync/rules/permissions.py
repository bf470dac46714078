"""Who may do what with business rules: RevOps (``edit_mappings``) writes and submits them, Finance
(``approve_mappings``) approves, sends back and publishes them; every role reads them. The pages, the API
and the services ask these predicates."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import APPROVE_MAPPINGS, EDIT_MAPPINGS


def can_edit_rules(user: User | AnonymousUser) -> bool:
    """Create a rule, edit and submit its drafts, install the shipped rules."""
    return user.has_perm(EDIT_MAPPINGS)


def can_approve_rules(user: User | AnonymousUser) -> bool:
    """Approve, send back and publish a submitted rule version."""
    return user.has_perm(APPROVE_MAPPINGS)
