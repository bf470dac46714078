"""Who sees which integration's data.

``sync.access_integration`` held on an integration (django-guardian, directly or through a group) limits a
person to the integrations they hold it on: granted only integration B, they see nothing of A on any page,
export or API answer. A person with no such grant is not limited (a single-org install never grants one),
nor is a superuser. Every selector that reads data of an integration filters through
:func:`integration_scope`; the data carries its integration directly (``integration``) or through its
Salesforce connection (an org belongs to one integration). Rows a NetSuite account keeps per Salesforce
record (order locks, synced invoices, field conflicts) name their integration too: Salesforce ids are
unique within one org only, so two orgs' rows may carry the same opportunity id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from core.access import has_role, permission_caches_forget
from sync.integrations.models import Integration

M = TypeVar("M", bound=Model)

ACCESS_INTEGRATION = "sync.access_integration"
ACCESS_CODENAME = "access_integration"


@dataclass(frozen=True)
class IntegrationScope:
    """The integrations one person may see. ``limited`` False: every integration (and data naming none)."""

    limited: bool
    integration_ids: frozenset[int] = field(default_factory=frozenset)
    salesforce_connection_ids: frozenset[int] = field(default_factory=frozenset)
    netsuite_connection_ids: frozenset[int] = field(default_factory=frozenset)

    def allows(self, integration_id: int | None) -> bool:
        return not self.limited or integration_id in self.integration_ids

    def allows_connection(self, connection_id: int | None) -> bool:
        if not self.limited:
            return True
        return (
            connection_id in self.salesforce_connection_ids or connection_id in self.netsuite_connection_ids
        )

    def integrations(self) -> QuerySet[Integration]:
        found = Integration.objects.all()
        return found.filter(pk__in=self.integration_ids) if self.limited else found

    def filter(
        self,
        queryset: QuerySet[M],
        *,
        integration: str | None = None,
        salesforce: str | None = None,
        connection: str | None = None,
    ) -> QuerySet[M]:
        """``queryset`` narrowed to this scope through the field path ``integration`` (to an Integration),
        ``salesforce`` (to the Salesforce Connection) or ``connection`` (to a Connection of either kind,
        for connections themselves: ``"pk"``); unchanged when not limited. Never through a Salesforce id
        alone: another org may hand out the same one."""
        if not self.limited:
            return queryset
        condition = Q(pk__in=[])
        if integration is not None:
            condition |= Q(**{f"{integration}__in": self.integration_ids})
        if salesforce is not None:
            condition |= Q(**{f"{salesforce}__in": self.salesforce_connection_ids})
        if connection is not None:
            condition |= Q(
                **{f"{connection}__in": self.salesforce_connection_ids | self.netsuite_connection_ids}
            )
        return queryset.filter(condition)


NOTHING = IntegrationScope(limited=True)
EVERYTHING = IntegrationScope(limited=False)


def integration_scope(user: User | AnonymousUser) -> IntegrationScope:
    """The integrations ``user`` may see (cached on the user object for the request)."""
    if not has_role(user):
        return NOTHING
    if user.is_superuser:
        return EVERYTHING
    cached: IntegrationScope | None = getattr(user, "_concord_integration_scope", None)
    if cached is not None:
        return cached
    granted = list(
        get_objects_for_user(
            user, ACCESS_INTEGRATION, klass=Integration, accept_global_perms=False, with_superuser=False
        )
    )
    if not granted:
        scope = EVERYTHING
    else:
        connections = {
            kind: frozenset(
                pk
                for row in granted
                for pk in (
                    getattr(row, f"{kind}_connection_id"),
                    getattr(row, f"sandbox_{kind}_connection_id"),
                )
                if pk is not None
            )
            for kind in ("salesforce", "netsuite")
        }
        scope = IntegrationScope(
            limited=True,
            integration_ids=frozenset(row.pk for row in granted),
            salesforce_connection_ids=connections["salesforce"],
            netsuite_connection_ids=connections["netsuite"],
        )
    user._concord_integration_scope = scope  # type: ignore[union-attr]
    return scope


def scope_of_integration(integration: Integration) -> IntegrationScope:
    """The scope of exactly one integration (a page's "integration" filter within a person's scope)."""
    return IntegrationScope(
        limited=True,
        integration_ids=frozenset({integration.pk}),
        salesforce_connection_ids=frozenset(
            pk
            for pk in (integration.salesforce_connection_id, integration.sandbox_salesforce_connection_id)
            if pk is not None
        ),
        netsuite_connection_ids=frozenset(
            pk
            for pk in (integration.netsuite_connection_id, integration.sandbox_netsuite_connection_id)
            if pk is not None
        ),
    )


def integration_chosen(user: User | AnonymousUser, name: str) -> Integration | None:
    """The integration a page's ``?integration=<name>`` filter names, among those ``user`` may see; None
    for no filter; Integration.DoesNotExist for a name they cannot see (the page answers 404)."""
    if not name:
        return None
    return integration_scope(user).integrations().get(name=name)


def connections_in_scope(user: User | AnonymousUser, connections: QuerySet[M]) -> QuerySet[M]:
    """``connections`` (a Connection queryset) narrowed to the ones of ``user``'s integrations."""
    return integration_scope(user).filter(connections, connection="pk")


def integration_scope_forget(user: User | AnonymousUser) -> None:
    """Drop the cached scope (after a grant or revoke in the same request)."""
    if hasattr(user, "_concord_integration_scope"):
        del user._concord_integration_scope


def integration_access_grant(*, holder: User | Group, integration: Integration) -> None:
    """Limit ``holder`` (a person, or every member of a group) to ``integration``, on top of the ones they
    already hold. Call through :mod:`governance.access_grants`, which checks the actor and audits."""
    with transaction.atomic():
        assign_perm(ACCESS_INTEGRATION, holder, integration)
    _forget(holder)


def integration_access_revoke(*, holder: User | Group, integration: Integration) -> None:
    """Take ``integration`` back (the last one taken back: ``holder`` is no longer limited)."""
    with transaction.atomic():
        remove_perm(ACCESS_INTEGRATION, holder, integration)
    _forget(holder)


def _forget(holder: User | Group) -> None:
    permission_caches_forget(holder)
    if isinstance(holder, User):
        integration_scope_forget(holder)
