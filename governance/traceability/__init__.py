"""Traceability for auditors: from any id, the chain opportunity -> sales order -> invoices -> payments,
with everything that touched each link.

Given a Salesforce opportunity id, a NetSuite sales order (internal or external id), an invoice (NetSuite
id or the Salesforce ``Invoice__c`` Id) or a customer payment id, :func:`trace_chain` climbs to the
opportunity through the links the pipeline stored (cross-references for the orders Concord wrote, the
return flow's :class:`~sync.pipeline.models.ReturnRecord` rows for NetSuite's invoices and payments) and walks
down again, so every starting point of one chain shows the same chain. For each link it gathers the sync
jobs and records that touched it, the inbound notifications, the mapping and rule versions used (with
who approved and published them), the exceptions with their history and value overrides, and, for a
reader of the audit trail, the audit entries of the jobs' and the people's correlation ids.

It lives in governance because it is the auditor's read across areas; it only reads. The number of
queries does not grow with the size of the chain (tests/governance/test_traceability.py counts them).
Modules: ``links`` finds the chain, ``history`` what touched it, ``export`` writes CSV.
What a reader may see is checked here: exceptions through
:func:`sync.exceptions.permissions.exceptions_visible_to`,
audit entries only with ``view_audit``; a person limited to some integrations follows only chains whose
opportunities their integrations synced.
"""

from __future__ import annotations

from core.access import has_role
from governance.permissions import can_view_audit
from governance.traceability.chain import KINDS, Chain, RuleOutcome, TraceEvent, TraceLink
from governance.traceability.export import trace_csv_rows
from governance.traceability.history import history_gather
from governance.traceability.links import climb, descend, links_build, resolve
from sync.exceptions.permissions import AnyUser
from sync.integrations.access import integration_scope
from sync.pipeline.models import SyncRecord


def _in_scope(user: AnyUser, opportunities: set[str]) -> bool:
    """Whether a person limited to some integrations may follow a chain through ``opportunities``: every
    one of them was synced by their integrations (and there is one)."""
    scope = integration_scope(user)
    if not scope.limited:
        return True
    synced = scope.filter(
        SyncRecord.objects.filter(opportunity_id__in=opportunities), opportunity="opportunity_id"
    )
    return bool(opportunities) and set(synced.values_list("opportunity_id", flat=True)) == opportunities


__all__ = ["KINDS", "Chain", "RuleOutcome", "TraceEvent", "TraceLink", "trace_chain", "trace_csv_rows"]


def trace_chain(*, user: AnyUser, key: str) -> Chain:
    """The chain through ``key`` (any id of any link) with its history, as ``user`` may see it."""
    key = key.strip()
    chain = Chain(query=key, audit_visible=can_view_audit(user))
    if not key or not has_role(user):
        return chain
    keys = resolve(key)
    if keys.empty():
        return chain
    climb(keys)
    if not _in_scope(user, keys.opportunities):
        return chain  # another integration's chain does not exist for this person
    xrefs, returns = descend(keys)
    links = links_build(keys, xrefs, returns)
    chain.links = list(links.values())
    history_gather(chain, user, links, keys, returns)
    return chain
