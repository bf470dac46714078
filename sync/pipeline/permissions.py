"""Who may put work back into the pipeline: re-run a record, requeue a job's unfinished opportunities,
start or resume a backfill, push one record now. RevOps (``edit_mappings``, who fixes what made it fail)
and Admin (``manage_connections``, who runs the installation); every role reads jobs, records and
backfills. Operating a flow (pause, resume, trigger): :func:`can_operate_flow`."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from core.access import has_role
from core.roles import EDIT_MAPPINGS, MANAGE_CONNECTIONS
from sync.mappings.models import Flow
from sync.mappings.permissions import flow_edit_allowed, flows_editable_by


def can_rerun(user: User | AnonymousUser) -> bool:
    """Re-run a record, requeue a job, start or resume a backfill."""
    return user.has_perm(EDIT_MAPPINGS) or user.has_perm(MANAGE_CONNECTIONS)


def can_operate_flow(user: User | AnonymousUser, flow: Flow) -> bool:
    """Pause, resume and choose the trigger of ``flow``: RevOps (``edit_mappings``) and whoever was given
    the flow (``sync.operate_flow``, see sync.mappings.permissions), and Admin (``manage_connections``),
    who runs the installation and may need to stop a flow in an incident."""
    return flow_edit_allowed(user, flow) or (has_role(user) and user.has_perm(MANAGE_CONNECTIONS))


def can_operate_flows(user: User | AnonymousUser) -> bool:
    """Whether ``user`` may operate some flow (the API's check before it reads the request)."""
    if not has_role(user):
        return False
    return can_rerun(user) or flows_editable_by(user).exists()


def can_push(user: User | AnonymousUser) -> bool:
    """Push one record now: whoever may re-run a record (RevOps, Admin)."""
    return can_rerun(user)
