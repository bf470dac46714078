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

A chain is always one integration's: Salesforce ids are unique within one org only, so a raw opportunity
id two orgs both handed out finds two chains, one per integration, never one merged chain
(:func:`trace_chains`; :mod:`governance.traceability.within` keeps every step inside one integration).

It lives in governance because it is the auditor's read across areas; it only reads. The number of
queries does not grow with the size of the chain (tests/governance/test_traceability.py counts them),
only with the number of integrations searched.
Modules: ``links`` finds the chain, ``history`` what touched it, ``export`` writes CSV.
What a reader may see is checked here: only the integrations they may see are searched
(:mod:`sync.integrations.access`), exceptions through
:func:`sync.exceptions.permissions.exceptions_visible_to`, audit entries only with ``view_audit``.
"""

from __future__ import annotations

from core.access import has_role
from governance.permissions import can_view_audit
from governance.traceability.chain import KINDS, Chain, RuleOutcome, TraceEvent, TraceLink
from governance.traceability.export import trace_csv_rows
from governance.traceability.history import history_gather
from governance.traceability.links import climb, descend, links_build, resolve
from governance.traceability.within import Within, within_each
from sync.exceptions.permissions import AnyUser
from sync.integrations.access import integration_scope

# Characters of a searched id kept (every id of a chain is far shorter).
QUERY_LIMIT = 200

__all__ = [
    "KINDS",
    "QUERY_LIMIT",
    "Chain",
    "SeveralChains",
    "RuleOutcome",
    "TraceEvent",
    "TraceLink",
    "trace_chain",
    "trace_chains",
    "trace_csv_rows",
]


def trace_chains(*, user: AnyUser, key: str) -> list[Chain]:
    """Every chain through ``key`` (any id of any link) with its history, one per integration ``user``
    may see that has one (the primary first, then by name); none when nothing matches."""
    key = key.strip()
    if not key or not has_role(user):
        return []
    chains = [_trace_within(user, key, within) for within in within_each(integration_scope(user))]
    return [chain for chain in chains if chain.found]


class SeveralChains(ValueError):
    """The id is in several integrations' records and none was named: the caller must choose one."""


def trace_chain(*, user: AnyUser, key: str, integration: str = "") -> Chain:
    """The chain through ``key`` in the integration named ``integration``; when not named, the one chain
    there is (:class:`SeveralChains` when there are several: never merged). An empty chain when there is
    none ``user`` may see."""
    chains = trace_chains(user=user, key=key)
    if integration:
        chains = [chain for chain in chains if chain.integration == integration]
    elif len(chains) > 1:
        names = ", ".join(chain.integration for chain in chains)
        raise SeveralChains(
            f"{key.strip()!r} is in the records of several integrations ({names}): name one (integration)."
        )
    return chains[0] if chains else Chain(query=key.strip(), audit_visible=can_view_audit(user))


def _trace_within(user: AnyUser, key: str, within: Within) -> Chain:
    chain = Chain(
        query=key,
        integration=within.integration.name,
        integration_label=within.integration.label,
        audit_visible=can_view_audit(user),
    )
    keys = resolve(key, within)
    if keys.empty():
        return chain
    climb(keys, within)
    xrefs, returns = descend(keys, within)
    links = links_build(keys, xrefs, returns)
    chain.links = list(links.values())
    history_gather(chain, user, links, keys, returns, within)
    return chain
