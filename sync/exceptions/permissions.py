"""Who may see and act on which exceptions.

Two questions, answered separately:

* **Where** (scope): ``sync.handle_exceptions`` on a :class:`~sync.models.Subsidiary`. Held model-wide
  (the RevOps, Admin and Auditor roles hold it, or a user permission) it reaches every subsidiary and the
  exceptions that name none. Held on single subsidiaries through django-guardian
  (:func:`subsidiary_scope_grant`), it reaches only their exceptions. The Finance role deliberately has
  no model-wide grant: approving money is given per subsidiary (or model-wide, per person).
* **What** (capability, from :mod:`core.roles`): reading needs ``view_console``; acting (retry, edit,
  resolve, ignore, assign, escalate, comment) needs ``edit_mappings`` or ``approve_exceptions``;
  approving a change to a financial field needs ``approve_exceptions`` and someone other than the proposer.

Per-flow access to mappings, ``sync.operate_flow`` on a :class:`~sync.models.Flow`: the ``edit_mappings``
capability (RevOps) edits every flow's drafts; a person without it may be given single flows (a
django-guardian object permission, :func:`flow_access_grant`, or the model-wide permission for every flow)
and then creates, edits, imports and submits drafts of those flows only. It adds to what a role allows,
never removes: approving and publishing still need ``approve_mappings`` and four eyes (whoever edited a
draft may not approve it), and lookup tables, shared by every flow, stay with ``edit_mappings``. The
mapping services check it (:func:`flow_edit_allowed`) before each write, the views before each form.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import transaction
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from core.roles import APPROVE_EXCEPTIONS, EDIT_MAPPINGS, VIEW_CONSOLE
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.mappings.models import Flow

AnyUser = User | AnonymousUser

HANDLE_EXCEPTIONS = "sync.handle_exceptions"
OPERATE_FLOW = "sync.operate_flow"


def exceptions_visible_to(user: AnyUser) -> QuerySet[ExceptionItem]:
    """Every exception ``user`` may see: all with the model-wide grant, their subsidiaries' otherwise."""
    items = ExceptionItem.objects.all()
    if not user.is_authenticated or not user.has_perm(VIEW_CONSOLE):
        return items.none()
    if user.has_perm(HANDLE_EXCEPTIONS):
        return items
    # accept_global_perms=False: only the per-subsidiary grants count here.
    subsidiaries = get_objects_for_user(
        user, HANDLE_EXCEPTIONS, klass=Subsidiary, accept_global_perms=False, with_superuser=False
    )
    return items.filter(subsidiary__in=subsidiaries)


def can_act(user: AnyUser) -> bool:
    return user.has_perm(EDIT_MAPPINGS) or user.has_perm(APPROVE_EXCEPTIONS)


def can_approve(user: AnyUser) -> bool:
    return user.has_perm(APPROVE_EXCEPTIONS)


def subsidiary_scope_grant(*, holder: User | Group, subsidiary: Subsidiary | None) -> None:
    """Let ``holder`` handle one subsidiary's exceptions, or (``subsidiary=None``) every subsidiary's.

    Audited: guardian's permission rows and user permissions are followed by auditlog.
    """
    with transaction.atomic():
        assign_perm(HANDLE_EXCEPTIONS, holder, subsidiary)
    _forget_cached_permissions(holder)


def subsidiary_scope_revoke(*, holder: User | Group, subsidiary: Subsidiary | None) -> None:
    with transaction.atomic():
        remove_perm(HANDLE_EXCEPTIONS, holder, subsidiary)
    _forget_cached_permissions(holder)


def subsidiaries_in_scope(user: AnyUser) -> QuerySet[Subsidiary]:
    if user.has_perm(HANDLE_EXCEPTIONS):
        return Subsidiary.objects.all()
    return get_objects_for_user(
        user, HANDLE_EXCEPTIONS, klass=Subsidiary, accept_global_perms=False, with_superuser=False
    )


def flow_edit_allowed(user: AnyUser, flow: Flow) -> bool:
    """May ``user`` edit (create, change, import, submit) drafts of ``flow``?"""
    if not user.is_authenticated or not user.has_perm(VIEW_CONSOLE):
        return False
    if user.has_perm(EDIT_MAPPINGS) or user.has_perm(OPERATE_FLOW):
        return True
    return user.has_perm(OPERATE_FLOW, flow)


def flows_editable_by(user: AnyUser) -> QuerySet[Flow]:
    """The flows whose drafts ``user`` may edit."""
    flows = Flow.objects.all()
    if not user.is_authenticated or not user.has_perm(VIEW_CONSOLE):
        return flows.none()
    if user.has_perm(EDIT_MAPPINGS) or user.has_perm(OPERATE_FLOW):
        return flows
    return get_objects_for_user(
        user, OPERATE_FLOW, klass=Flow, accept_global_perms=False, with_superuser=False
    )


def flow_access_grant(*, holder: User | Group, flow: Flow | None) -> None:
    """Let ``holder`` edit one flow's drafts, or (``flow=None``) every flow's."""
    with transaction.atomic():
        assign_perm(OPERATE_FLOW, holder, flow)
    _forget_cached_permissions(holder)


def flow_access_revoke(*, holder: User | Group, flow: Flow | None) -> None:
    with transaction.atomic():
        remove_perm(OPERATE_FLOW, holder, flow)
    _forget_cached_permissions(holder)


def _forget_cached_permissions(holder: User | Group) -> None:
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        holder.__dict__.pop(cache, None)
