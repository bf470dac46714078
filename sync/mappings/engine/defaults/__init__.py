"""The mappings Concord ships: one JSON file per flow, plus the default lookup tables.

They are a starting point a person edits in the console (the edited copy is stored as a new mapping
version); every one compiles, and the tests map realistic graphs with them. ``lookups.json`` holds the
internal ids the NetSuite simulator seeds: a real account's ids are read at set-up and replace them.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sync.mappings.engine.engine import CompiledMapping, compile_mapping
from sync.mappings.engine.lookups import StaticLookups

DEFAULT_FLOWS: tuple[str, ...] = (
    "opportunity_to_netsuite",
    "netsuite_invoice_to_salesforce",
    "netsuite_payment_to_salesforce",
    "netsuite_order_status_to_salesforce",
    "netsuite_item_to_salesforce",
    "netsuite_customer_to_salesforce",
    "netsuite_credit_memo_to_salesforce",
    "netsuite_refund_to_salesforce",
    "netsuite_fulfillment_to_salesforce",
    "netsuite_subscription_to_salesforce",
)


def _read(name: str) -> Any:
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


def load_default(flow: str) -> dict[str, Any]:
    """The shipped mapping spec of ``flow`` (a fresh copy: callers may edit it)."""
    if flow not in DEFAULT_FLOWS:
        raise KeyError(f"no default mapping for flow {flow!r} (flows: {', '.join(DEFAULT_FLOWS)})")
    spec: dict[str, Any] = _read(f"{flow}.json")
    return spec


def compile_default(flow: str) -> CompiledMapping:
    """The shipped mapping of ``flow``, compiled against the shipped lookup table names."""
    return compile_mapping(load_default(flow), tables=set(load_default_lookups()))


def load_default_lookups() -> dict[str, dict[str, Any]]:
    """The shipped lookup tables: ``{table: {key: value}}``."""
    tables = _read("lookups.json")["tables"]
    return {name: dict(table["values"]) for name, table in tables.items()}


def lookup_descriptions() -> dict[str, str]:
    """What each shipped lookup table translates, for the console's table list."""
    return {
        name: str(table.get("description", "")) for name, table in _read("lookups.json")["tables"].items()
    }


def default_lookups(**dynamic: Any) -> StaticLookups:
    """A resolver over the shipped tables, with the given dynamic sources (``netsuite_item_by_sku=...``)."""
    return StaticLookups(load_default_lookups(), dynamic)
