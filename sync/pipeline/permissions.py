"""Who may put work back into the pipeline: re-run a record, requeue a job's unfinished opportunities,
start or resume a backfill. RevOps (``edit_mappings``, who fixes what made it fail) and Admin
(``manage_connections``, who runs the installation); every role reads jobs, records and backfills."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.roles import EDIT_MAPPINGS, MANAGE_CONNECTIONS


def can_rerun(user: User | AnonymousUser) -> bool:
    """Re-run a record, requeue a job, start or resume a backfill."""
    return user.has_perm(EDIT_MAPPINGS) or user.has_perm(MANAGE_CONNECTIONS)
