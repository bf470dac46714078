"""Who may do what in the reconciliation area.

Every role reads it (``view_console``, enforced for every page by the console's middleware). Starting a
run on demand costs API calls on both systems, so it is for the roles that act on what runs find:
RevOps (fixes data and mappings), Finance (owns the books, approves exception resolutions) and Admin
(runs the installation). Auditors read only. Tolerances change what counts as a mismatch, so they are
configuration like mappings: RevOps edits them (``edit_mappings``), and each change is audited.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import APPROVE_EXCEPTIONS, EDIT_MAPPINGS, MANAGE_CONNECTIONS

RUN_ON_DEMAND = (EDIT_MAPPINGS, APPROVE_EXCEPTIONS, MANAGE_CONNECTIONS)


def can_run_reconciliation(user: User | AnonymousUser) -> bool:
    return any(user.has_perm(permission) for permission in RUN_ON_DEMAND)


def can_edit_tolerances(user: User | AnonymousUser) -> bool:
    return user.has_perm(EDIT_MAPPINGS)
