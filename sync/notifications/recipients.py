"""Who is told: each kind's default audience, each person's preferences, and what they may see.

Default audiences: an escalation's new owners; connection admins (``manage_connections``) for connections
going down or back and for failure rates; finance approvers (``approve_exceptions``) for reconciliation
mismatches. A person's :class:`~sync.notifications.models.NotificationPreference` (this integration's row,
else their all-integrations row) turns the console and e-mail on or off, inside the default audience or
outside it (anyone with a console role may opt in). Nobody is told about an integration they may not see
(``integration_scope``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Permission, User
from django.db.models import Q, QuerySet

from core.access import has_role
from core.roles import APPROVE_EXCEPTIONS, MANAGE_CONNECTIONS
from sync.integrations.access import integration_scope
from sync.notifications.models import EventKind, NotificationEvent, NotificationPreference

AUDIENCE_PERMISSION: dict[str, str] = {
    EventKind.CONNECTION_DOWN: MANAGE_CONNECTIONS,
    EventKind.CONNECTION_BACK: MANAGE_CONNECTIONS,
    EventKind.FAILURE_RATE: MANAGE_CONNECTIONS,
    EventKind.RECONCILIATION_MISMATCHES: APPROVE_EXCEPTIONS,
}


def users_with_permission(permission: str) -> QuerySet[User]:
    """Active users holding ``permission`` (through a group, directly, or as superusers)."""
    app_label, codename = permission.split(".")
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    who = Q(is_superuser=True)
    if found is not None:
        who |= Q(groups__permissions=found) | Q(user_permissions=found)
    return User.objects.filter(who, is_active=True).distinct().order_by("pk")


@dataclass(frozen=True)
class Choice:
    console: bool
    email: bool


def preference_of(*, user: User, event: NotificationEvent, in_audience: bool) -> Choice:
    """What ``user`` wants for ``event``: the most specific preference row, else the audience default."""
    rows = {
        row.integration_id: row
        for row in NotificationPreference.objects.filter(user=user, event=event.kind).filter(
            Q(integration__isnull=True) | Q(integration_id__in=event.integration_ids)
        )
    }
    for integration_id in event.integration_ids:
        if integration_id in rows:
            row = rows[integration_id]
            return Choice(row.console, row.email)
    if None in rows:
        return Choice(rows[None].console, rows[None].email)
    return Choice(in_audience, in_audience)


def may_see(user: User, event: NotificationEvent) -> bool:
    """Only what the person's integration scope shows them (an event naming none: unlimited people)."""
    if not has_role(user):
        return False
    scope = integration_scope(user)
    if not event.integration_ids:
        return not scope.limited
    return any(scope.allows(pk) for pk in event.integration_ids)


def event_recipients(event: NotificationEvent) -> list[tuple[User, Choice]]:
    """Each person to tell about ``event`` and how (console, e-mail), in a stable order."""
    if event.recipient_ids is not None:
        audience = set(event.recipient_ids)
    else:
        permission = AUDIENCE_PERMISSION.get(event.kind)
        audience = (
            set(users_with_permission(permission).values_list("pk", flat=True)) if permission else set()
        )
    opted = set(
        NotificationPreference.objects.filter(event=event.kind)
        .filter(Q(console=True) | Q(email=True))
        .values_list("user_id", flat=True)
    )
    found = []
    for user in User.objects.filter(pk__in=audience | opted, is_active=True).order_by("pk"):
        choice = preference_of(user=user, event=event, in_audience=user.pk in audience)
        if (choice.console or choice.email) and may_see(user, event):
            found.append((user, choice))
    return found
