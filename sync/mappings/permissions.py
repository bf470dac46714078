"""Who may do what with mappings and lookup tables.

By role (:mod:`core.roles`): RevOps (``edit_mappings``) edits drafts and submits them; Finance
(``approve_mappings``) approves, rejects, publishes and rolls back, and never a draft they edited (four
eyes, checked by the services). The dry run reads both sandboxes, so it is for either of them.

Per-flow access, ``sync.operate_flow`` on a :class:`~sync.mappings.models.Flow`: a person without
``edit_mappings`` may be given single flows (a django-guardian object permission, :func:`flow_access_grant`,
or the model-wide permission for every flow) and then creates, edits, imports and submits drafts of those
flows only. It adds to what a role allows, never removes: approving and publishing still need
``approve_mappings``, and lookup tables, shared by every flow, stay with ``edit_mappings``. The mapping
services check :func:`flow_edit_allowed` before each write, the views before each form.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import transaction
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from core.access import has_role, permission_caches_forget
from core.roles import APPROVE_MAPPINGS, EDIT_MAPPINGS
from sync.integrations.access import integration_scope
from sync.mappings.models import Flow

AnyUser = User | AnonymousUser

OPERATE_FLOW = "sync.operate_flow"


def can_edit_mappings(user: AnyUser) -> bool:
    """Create, edit and submit drafts of every flow; edit lookup tables."""
    return user.has_perm(EDIT_MAPPINGS)


def can_approve_mappings(user: AnyUser) -> bool:
    """Approve, reject, publish and roll back mapping and lookup versions (four eyes on top)."""
    return user.has_perm(APPROVE_MAPPINGS)


def can_preview_mappings(user: AnyUser) -> bool:
    """Dry-run a version against the sandboxes: for the people who make or approve mappings."""
    return can_edit_mappings(user) or can_approve_mappings(user)


def flow_edit_allowed(user: AnyUser, flow: Flow) -> bool:
    """May ``user`` edit (create, change, import, submit) drafts of ``flow``? Never of a flow of an
    integration outside their scope."""
    if not has_role(user) or not integration_scope(user).allows(flow.integration_id):
        return False
    if can_edit_mappings(user) or user.has_perm(OPERATE_FLOW):
        return True
    return user.has_perm(OPERATE_FLOW, flow)


def flows_editable_by(user: AnyUser) -> QuerySet[Flow]:
    """The flows whose drafts ``user`` may edit (within the integrations they may see)."""
    flows = Flow.objects.all()
    if not has_role(user):
        return flows.none()
    flows = integration_scope(user).filter(flows, integration="integration")
    if can_edit_mappings(user) or user.has_perm(OPERATE_FLOW):
        return flows
    return get_objects_for_user(
        user, OPERATE_FLOW, klass=flows, accept_global_perms=False, with_superuser=False
    )


def flow_access_grant(*, holder: User | Group, flow: Flow | None) -> None:
    """Let ``holder`` edit one flow's drafts, or (``flow=None``) every flow's."""
    with transaction.atomic():
        assign_perm(OPERATE_FLOW, holder, flow)
    permission_caches_forget(holder)


def flow_access_revoke(*, holder: User | Group, flow: Flow | None) -> None:
    with transaction.atomic():
        remove_perm(OPERATE_FLOW, holder, flow)
    permission_caches_forget(holder)
