"""Whose records a pipeline run writes and reads: the integration of its connection pair.

Several integrations (Salesforce orgs) may feed one NetSuite account, and two orgs hand out the same
Salesforce ids. So every external id a run writes is namespaced (:func:`payload_namespaced`, the one place
mapped payloads get theirs; :func:`sync.integrations.namespacing.eid_namespaced`), every cross-reference it
reads or writes is its integration's (:meth:`EidScope.xrefs`), and a NetSuite record carrying another
integration's external id is never re-keyed: it is *shared* (a customer both companies sell to), updated
by internal id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from sync.integrations.models import Integration
from sync.integrations.namespacing import eid_namespaced, eid_raw, suiteql_owned
from sync.integrations.selectors import integration_for_pair
from sync.mappings.engine import ObjectPayload
from sync.pipeline.models import CrossReference


@dataclass(frozen=True)
class EidScope:
    """An integration as a run needs it: its namespace, the others' and its cross-references."""

    integration_id: int | None
    namespace: str = ""
    others: tuple[str, ...] = ()
    is_primary: bool = True

    def eid(self, raw: str) -> str:
        """The external id this integration writes for ``raw``."""
        return eid_namespaced(self.namespace, raw)

    def owns(self, external_id: str) -> bool:
        """``external_id`` is one this integration wrote (for the primary: one no other namespace marks)."""
        return bool(external_id) and eid_raw(self.namespace, external_id, others=self.others) is not None

    def foreign(self, external_id: str) -> bool:
        """``external_id`` is another integration's: a record carrying it can only be shared, not re-keyed."""
        return bool(external_id) and not self.owns(external_id)

    def xref_filter(self) -> Q:
        """The condition on rows (cross-references, synced field values, field conflicts: an ``integration``
        field) that are this integration's; for the primary also the rows that name no integration."""
        if self.integration_id is None:
            return Q(integration__isnull=True)
        mine = Q(integration_id=self.integration_id)
        return mine | Q(integration__isnull=True) if self.is_primary else mine

    def xrefs(self, queryset: QuerySet[CrossReference] | None = None) -> QuerySet[CrossReference]:
        """This integration's cross-references (of ``queryset``, else all)."""
        rows = queryset if queryset is not None else CrossReference.objects.all()
        return rows.filter(self.xref_filter())

    def suiteql_owned(self, column: str = "externalid") -> str:
        """A SuiteQL condition: ``column`` is one of this integration's external ids."""
        return suiteql_owned(self.namespace, self.others, column=column)


def eid_scope_of(integration: Integration) -> EidScope:
    others = tuple(
        sorted(
            namespace
            for namespace in Integration.objects.exclude(pk=integration.pk).values_list(
                "namespace", flat=True
            )
            if namespace
        )
    )
    return EidScope(integration.pk, integration.namespace, others, integration.is_primary)


def eid_scope(salesforce_connection_id: int | None, netsuite_connection_id: int | None) -> EidScope:
    """The scope of the integration the pair runs under (an unclaimed pair: the primary one)."""
    return eid_scope_of(integration_for_pair(salesforce_connection_id, netsuite_connection_id))


def payload_namespaced(payload: ObjectPayload, namespace: str) -> ObjectPayload:
    """``payload`` with its external id (and the body field that carries it, if any) in ``namespace``.

    Create-only records are the account's catalogue (subscription plans keyed by product code, which may
    predate Concord), sold from by every integration: they keep their external id."""
    if not namespace or not payload.external_id or payload.mode == "create_only":
        return payload
    external_id = eid_namespaced(namespace, payload.external_id)
    body: dict[str, Any] = payload.body
    field = payload.external_id_field
    if field and body.get(field) == payload.external_id:
        body = {**body, field: external_id}
    return dataclasses.replace(payload, external_id=external_id, body=body)


def payloads_namespaced(payloads: Iterable[ObjectPayload], namespace: str) -> list[ObjectPayload]:
    return [payload_namespaced(payload, namespace) for payload in payloads]
