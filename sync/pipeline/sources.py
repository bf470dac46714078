"""Where the pipeline gets its mapping and lookups.

Everything is the integration's the connection pair runs under (:func:`sync.integrations.selectors.
integration_for_pair`; the primary integration when a caller names none): its flows, its lookup tables.
The mapping is the flow's published version (its id is recorded on every job and record); until a
flow has one, the shipped default runs and the id recorded is None. Lookup tables are the database's
published versions (a RevOps draft maps nothing until someone else approved it and it was published),
falling back to the shipped tables while none is stored.

A run may be given :class:`ChosenVersions` instead: explicit mapping and rule versions, whatever is
published. A release's test run (:mod:`governance.releases`) uses this to sync sandbox records with the
configuration the release would publish, before it is published.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Max

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.integrations.models import Integration
from sync.mappings.engine import CachedDynamicLookup, CompiledMapping, StaticLookups
from sync.mappings.engine.defaults import compile_default
from sync.mappings.selectors import NoPublishedMapping, published_mapping
from sync.mappings.services.lookups import item_ids_by_sku, mapping_tables
from sync.mappings.services.specs import spec_compile, version_spec
from sync.pipeline.models import PollWatermark

if TYPE_CHECKING:
    from sync.mappings.models import LookupVersion, MappingVersion
    from sync.rules.models import RuleVersion


@dataclass(frozen=True)
class ChosenVersions:
    """The versions a run uses in place of the published ones.

    ``mappings``: flow key -> the version to run (a flow not named runs its published version);
    ``rules``: the complete set of rule versions the gates evaluate (None: the published rules);
    ``lookups``: table name -> the lookup version to map with (a table not named uses its published one).
    """

    mappings: Mapping[str, MappingVersion] = field(default_factory=dict)
    rules: Sequence[RuleVersion] | None = None
    lookups: Mapping[str, LookupVersion] = field(default_factory=dict)


def live_mapping(flow_key: str, integration: Integration | None = None) -> tuple[int | None, CompiledMapping]:
    """(mapping version id, compiled mapping) to run ``integration``'s ``flow_key`` with (the primary
    integration's when None); the id is None for the default."""
    try:
        version, compiled = published_mapping(flow_key, integration)
    except NoPublishedMapping:
        return None, compile_default(flow_key)
    return version.pk, compiled


def run_mapping(
    flow_key: str, chosen: ChosenVersions | None = None, integration: Integration | None = None
) -> tuple[int | None, CompiledMapping]:
    """The chosen version of ``flow_key`` compiled, or ``integration``'s live mapping when none was
    chosen."""
    version = chosen.mappings.get(flow_key) if chosen is not None else None
    if version is None:
        return live_mapping(flow_key, integration)
    # Not cached: only published versions are (their rows never change), and test runs are rare.
    return version.pk, spec_compile(version_spec(version), version.flow.integration)


def live_lookups(
    netsuite: NetSuiteConnector, chosen: ChosenVersions | None = None, integration: Integration | None = None
) -> tuple[StaticLookups, dict[str, CachedDynamicLookup]]:
    """``integration``'s lookup tables (the primary integration's when None; their published versions, or
    the chosen ones) plus the dynamic sources (SKU -> NetSuite item id), which the caller prefetches for a
    whole batch (one SuiteQL query per 500 keys, for the SKUs :data:`ITEM_IDS` does not hold) before
    mapping it."""
    dynamic = {"netsuite_item_by_sku": CachedDynamicLookup(_item_fetch(netsuite))}
    tables = mapping_tables(chosen.lookups if chosen is not None else None, integration)
    return StaticLookups(tables, dynamic), dynamic


class ItemIds:
    """SKU -> NetSuite item id, per NetSuite connection, shared by the batches of one process.

    Kept by version, not by time: an entry serves only a batch whose version (:func:`item_ids_version`:
    the connection's version and the catalogue sync's watermark, which moves whenever that sync sees an
    item changed in NetSuite) is the one it was learnt under; a new version starts empty. Only found items
    are kept: a SKU NetSuite lacks is asked again, so an item created for it is used at once. A batch whose
    write NetSuite refused for a reference it does not know (``INVALID_KEY_OR_REF``) drops the
    connection's entries: the next one asks again."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, dict[str, str]]] = {}  # identity -> (version, ids)
        self._lock = threading.Lock()

    def known(self, version: str, skus: Sequence[str]) -> dict[str, str]:
        identity, _, stamp = version.partition("@")
        with self._lock:
            entry = self._entries.get(identity) if version else None
            if entry is None or entry[0] != stamp:
                return {}
            return {sku: entry[1][sku] for sku in skus if sku in entry[1]}

    def learn(self, version: str, found: Mapping[str, str]) -> None:
        identity, _, stamp = version.partition("@")
        if not version or not found:
            return
        with self._lock:
            entry = self._entries.get(identity)
            if entry is None or entry[0] != stamp:
                entry = (stamp, {})
                self._entries[identity] = entry
            entry[1].update(found)

    def forget(self, connection_id: int) -> None:
        """Drop what is kept for a connection (NetSuite refused a reference: something changed there)."""
        with self._lock:
            self._entries.pop(str(connection_id), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


ITEM_IDS = ItemIds()


def item_ids_version(netsuite: NetSuiteConnector) -> str:
    """``<connection id>@<connection version>|<catalogue watermark>`` for :data:`ITEM_IDS`; "" (nothing
    kept) for a connector without a connection version. The watermark is the latest of the catalogue
    syncs of the connection's pairs (one indexed read)."""
    identity, _, version = netsuite.config.cache_key.partition("@")
    if not identity.isdigit():
        return ""
    latest = PollWatermark.objects.filter(
        netsuite_connection_id=int(identity), name__startswith="catalogue:"
    ).aggregate(latest=Max("watermark"))["latest"]
    return f"{identity}@{version}|{latest.isoformat() if latest else ''}"


def _item_fetch(netsuite: NetSuiteConnector) -> Any:
    versions: list[str] = []  # read once per batch, on the first fetch (a batch with no items reads none)

    def fetch(skus: Sequence[str]) -> Mapping[str, str]:
        if not versions:
            versions.append(item_ids_version(netsuite))
        version = versions[0]
        found = ITEM_IDS.known(version, skus)
        missing = [sku for sku in skus if sku not in found]
        fetched: dict[str, str] = {}
        for start in range(0, len(missing), 500):
            fetched.update(item_ids_by_sku(netsuite, list(missing[start : start + 500])))
        ITEM_IDS.learn(version, fetched)
        return {**found, **fetched}

    return fetch
