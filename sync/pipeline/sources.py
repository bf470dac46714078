"""Where the pipeline gets its mapping and lookups: the seam the mapping versioning work plugs into.

``live_mapping`` answers the shipped default today. At merge it becomes
``sync.selectors.mappings.published_mapping(flow_key)``, returning the published version's id (recorded
on every job and record) and its compiled mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sync.connectors.netsuite import NetSuiteConnector
from sync.mapping import CachedDynamicLookup, CompiledMapping, StaticLookups
from sync.mapping.defaults import compile_default, load_default_lookups


def live_mapping(flow_key: str) -> tuple[int | None, CompiledMapping]:
    """(mapping version id, compiled mapping) to run ``flow_key`` with; the id is None for the default."""
    return None, compile_default(flow_key)


def live_lookups(netsuite: NetSuiteConnector) -> tuple[StaticLookups, dict[str, CachedDynamicLookup]]:
    """Lookup tables plus the dynamic sources (SKU -> NetSuite item id), which the caller prefetches for a
    whole batch (one SuiteQL query per 1,000 keys) before mapping it."""
    dynamic = {"netsuite_item_by_sku": CachedDynamicLookup(_item_fetch(netsuite))}
    return StaticLookups(load_default_lookups(), dynamic), dynamic


def _item_fetch(netsuite: NetSuiteConnector) -> Any:
    def fetch(skus: Sequence[str]) -> Mapping[str, str]:
        if not skus:
            return {}
        literals = ", ".join("'" + sku.replace("'", "''") + "'" for sku in skus)
        rows = netsuite.suiteql(f"SELECT id, itemid FROM item WHERE itemid IN ({literals})")  # noqa: S608
        return {str(row["itemid"]): str(row["id"]) for row in rows}

    return fetch
