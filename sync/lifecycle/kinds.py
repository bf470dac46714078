"""Which kind of deal an opportunity graph is (CPQ's own markers, see simulators/salesforce/README.md).

- ``amendment``: the opportunity names the contract it amends (``SBQQ__AmendedContract__c``) or its primary
  quote is of type Amendment;
- ``renewal``: the opportunity names the contract it renews (``SBQQ__RenewedContract__c``) or its primary
  quote is of type Renewal;
- ``new``: anything else (a first sale, or an org without CPQ).

Cancellations are judged elsewhere (a synced deal lost afterwards, a cancelled contract): they are about
what happened to a deal already in NetSuite, not about the graph's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NEW = "new"
AMENDMENT = "amendment"
RENEWAL = "renewal"
CANCELLATION = "cancellation"

KIND_LABELS = {
    NEW: "New business",
    AMENDMENT: "Amendment",
    RENEWAL: "Renewal",
    CANCELLATION: "Cancellation",
}


def _primary_quote(graph: Mapping[str, Any]) -> Mapping[str, Any]:
    quote = graph.get("primary_quote")
    return quote if isinstance(quote, Mapping) else {}


def deal_kind(graph: Mapping[str, Any]) -> str:
    """``new``, ``amendment`` or ``renewal`` for an opportunity graph (see the module docstring)."""
    quote_type = str(_primary_quote(graph).get("SBQQ__Type__c") or "")
    if graph.get("SBQQ__AmendedContract__c") or quote_type == "Amendment":
        return AMENDMENT
    if graph.get("SBQQ__RenewedContract__c") or quote_type == "Renewal":
        return RENEWAL
    return NEW


def contract_of(graph: Mapping[str, Any]) -> str:
    """The Salesforce Contract Id an amendment or renewal graph names ("" for a new deal)."""
    return str(graph.get("SBQQ__AmendedContract__c") or graph.get("SBQQ__RenewedContract__c") or "")
