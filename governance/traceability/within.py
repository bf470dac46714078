"""One integration's part of the records a chain is found in.

Salesforce ids are unique within one org only: two orgs feeding one NetSuite account hand out the same
opportunity ids, so a chain is always followed within one integration: its cross-references (empty:
the primary one's, as rows written before integrations existed) and the syncs, notifications and
return-flow reads of its Salesforce orgs (for the primary, of every org no other integration holds).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from sync.integrations.access import IntegrationScope
from sync.integrations.models import Integration


@dataclass(frozen=True)
class Within:
    integration: Integration
    orgs: frozenset[int]  # the Salesforce connections the integration holds (production and sandbox)
    others: frozenset[int]  # those every other integration holds

    def xrefs(self) -> Q:
        """Cross-references (an ``integration`` field) of this integration."""
        mine = Q(integration_id=self.integration.pk)
        return mine | Q(integration__isnull=True) if self.integration.is_primary else mine

    def of_orgs(self, path: str) -> Q:
        """Rows whose Salesforce connection (at ``path``) is one of this integration's orgs."""
        if self.integration.is_primary:
            return ~Q(**{f"{path}__in": self.others})
        return Q(**{f"{path}__in": self.orgs})

    def exceptions(self) -> Q:
        """Exceptions raised about this integration's records (for the primary also those naming none)."""
        mine = Q(integration_id=self.integration.pk)
        return mine | Q(integration__isnull=True) if self.integration.is_primary else mine


def _orgs(integration: Integration) -> frozenset[int]:
    return frozenset(
        pk
        for pk in (integration.salesforce_connection_id, integration.sandbox_salesforce_connection_id)
        if pk is not None
    )


def within_each(scope: IntegrationScope) -> list[Within]:
    """A :class:`Within` per integration ``scope`` allows (the primary first, then by name): one query."""
    every = sorted(Integration.objects.all(), key=lambda row: (not row.is_primary, row.name))
    held = {row.pk: _orgs(row) for row in every}
    return [
        Within(
            row, held[row.pk], frozenset(pk for other, orgs in held.items() if other != row.pk for pk in orgs)
        )
        for row in every
        if scope.allows(row.pk)
    ]
