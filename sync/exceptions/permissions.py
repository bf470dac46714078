"""Who may see and act on which exceptions.

Two questions, answered separately:

* **Where** (scope): ``sync.handle_exceptions`` on a :class:`~sync.exceptions.models.Subsidiary`. Held
model-wide
  (the RevOps, Admin and Auditor roles hold it, or a user permission) it reaches every subsidiary and the
  exceptions that name none. Held on single subsidiaries through django-guardian
  (:func:`subsidiary_scope_grant`), it reaches only their exceptions. The Finance role deliberately has
  no model-wide grant: approving money is given per subsidiary (or model-wide, per person).
* **Which integration**: a person limited to some integrations (:mod:`sync.integrations.access`) sees only
  the exceptions raised for those integrations' pairs, whatever their subsidiary grants.
* **What** (capability, from :mod:`core.roles`): reading needs ``view_console``; acting (retry, edit,
  resolve, ignore, assign, escalate, comment) needs ``edit_mappings`` or ``approve_exceptions``;
  approving a change to a financial field needs ``approve_exceptions`` and someone other than the proposer.

Per-flow access to mappings lives with the mappings (:mod:`sync.mappings.permissions`).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import transaction
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from core.access import has_role, permission_caches_forget
from core.roles import APPROVE_EXCEPTIONS, EDIT_MAPPINGS, MANAGE_CONNECTIONS, MANAGE_USERS
from sync.exceptions.models import ExceptionItem, Subsidiary
from sync.integrations.access import integration_scope

AnyUser = User | AnonymousUser

HANDLE_EXCEPTIONS = "sync.handle_exceptions"


def exceptions_visible_to(user: AnyUser) -> QuerySet[ExceptionItem]:
    """Every exception ``user`` may see: all with the model-wide grant, their subsidiaries' otherwise;
    in either case only their integrations' when they are limited to some (then never one naming none)."""
    items = ExceptionItem.objects.all()
    if not has_role(user):
        return items.none()
    items = integration_scope(user).filter(items, integration="integration")
    if user.has_perm(HANDLE_EXCEPTIONS):
        return items
    # accept_global_perms=False: only the per-subsidiary grants count here.
    subsidiaries = get_objects_for_user(
        user, HANDLE_EXCEPTIONS, klass=Subsidiary, accept_global_perms=False, with_superuser=False
    )
    return items.filter(subsidiary__in=subsidiaries)


def can_act(user: AnyUser) -> bool:
    """Retry, edit, accept, resolve, ignore, assign, escalate, comment on, match an exception; reject a
    proposed change."""
    return user.has_perm(EDIT_MAPPINGS) or user.has_perm(APPROVE_EXCEPTIONS)


def can_approve(user: AnyUser) -> bool:
    """Approve a proposed change of a financial field (four eyes checked by the service)."""
    return user.has_perm(APPROVE_EXCEPTIONS)


def can_edit_policy(user: AnyUser) -> bool:
    """Edit the exception policy (categories, escalation paths): Finance, who owns the outcome, and
    admins, who run the installation."""
    return user.has_perm(APPROVE_EXCEPTIONS) or user.has_perm(MANAGE_CONNECTIONS)


def can_edit_ticket_endpoint(user: AnyUser) -> bool:
    """The ticket endpoint holds a credential of an outside system: admins, as for connections."""
    return user.has_perm(MANAGE_CONNECTIONS)


def can_read_netsuite_lists(user: AnyUser) -> bool:
    """Read subsidiaries, departments, classes and locations from NetSuite now: admins (they hold the
    connections) and Finance (who grant and route by them)."""
    return user.has_perm(MANAGE_CONNECTIONS) or user.has_perm(APPROVE_EXCEPTIONS)


def can_grant_subsidiaries(user: AnyUser) -> bool:
    """Give a person or a group a subsidiary's exceptions: user administration, so admins."""
    return user.has_perm(MANAGE_USERS)


def subsidiary_scope_grant(*, holder: User | Group, subsidiary: Subsidiary | None) -> None:
    """Let ``holder`` handle one subsidiary's exceptions, or (``subsidiary=None``) every subsidiary's.

    Audited: guardian's permission rows and user permissions are followed by auditlog.
    """
    with transaction.atomic():
        assign_perm(HANDLE_EXCEPTIONS, holder, subsidiary)
    permission_caches_forget(holder)


def subsidiary_scope_revoke(*, holder: User | Group, subsidiary: Subsidiary | None) -> None:
    with transaction.atomic():
        remove_perm(HANDLE_EXCEPTIONS, holder, subsidiary)
    permission_caches_forget(holder)
