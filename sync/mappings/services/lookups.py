"""Lookup tables (value maps) and the dynamic SKU -> NetSuite item lookup, with its cache table.

The engine asks a :class:`sync.mappings.engine.LookupResolver`; :func:`mapping_lookups` builds one from the
tables in the database and, when a NetSuite connection is given, the ``netsuite_item_by_sku`` source:
answers come from :class:`DynamicLookupEntry` while fresh, else from one SuiteQL query per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import NoSandboxConnection, netsuite_connector
from sync.integrations.models import Integration
from sync.integrations.sandboxes import reading_sandbox
from sync.integrations.selectors import primary_integration
from sync.mappings.engine import CachedDynamicLookup, StaticLookups
from sync.mappings.engine.defaults import load_default_lookups, lookup_descriptions
from sync.mappings.models import DynamicLookupEntry, LookupEntry, LookupTable, LookupVersion, VersionStatus
from sync.mappings.permissions import can_edit_mappings
from sync.mappings.services.versions import require

ITEM_BY_SKU = "netsuite_item_by_sku"
CACHE_FRESH = timedelta(hours=12)


def lookup_tables_seed_defaults(integration: Integration | None = None) -> list[LookupTable]:
    """Create the shipped tables ``integration`` (the primary one when None) is missing, each with its
    shipped entries as version 1, published by the system actor (existing tables and their versions are
    left as they are)."""
    owner = integration if integration is not None else primary_integration()
    created = []
    descriptions = lookup_descriptions()
    with transaction.atomic():
        for name, values in load_default_lookups().items():
            table, made = LookupTable.objects.get_or_create(
                integration=owner, name=name, defaults={"description": descriptions.get(name, "")}
            )
            if made:
                created.append(table)
                version = LookupVersion.objects.create(table=table, number=1, notes="The shipped entries")
                for key, value in values.items():
                    LookupEntry.objects.create(version=version, key=key, value=value)
                version.status = VersionStatus.PUBLISHED
                version.published_at = timezone.now()
                version.save(update_fields=["status", "published_at"])
    return created


def static_tables(
    chosen: Mapping[str, LookupVersion] | None = None, integration: Integration | None = None
) -> dict[str, dict[str, Any]]:
    """``{table: {key: value}}`` of ``integration``'s published versions (the primary integration's when
    None; a draft or approved version maps nothing until it is published), with ``chosen`` (table name ->
    version: a release's test run) in their place."""
    owner = integration if integration is not None else primary_integration()
    published = LookupEntry.objects.filter(
        version__status=VersionStatus.PUBLISHED, version__table__integration=owner
    )
    tables: dict[str, dict[str, Any]] = {
        name: {}
        for name in LookupTable.objects.filter(
            integration=owner, versions__status=VersionStatus.PUBLISHED
        ).values_list("name", flat=True)
    }
    for name, key, value in published.values_list("version__table__name", "key", "value"):
        tables[name][key] = value
    for name, version in (chosen or {}).items():
        tables[name] = dict(version.entries.values_list("key", "value"))
    return tables


def mapping_tables(
    chosen: Mapping[str, LookupVersion] | None = None, integration: Integration | None = None
) -> dict[str, dict[str, Any]]:
    """The tables the sync translates with, for everyone who must agree with it (the pipeline, the
    reconciliation's expected values): ``integration``'s :func:`static_tables` (the primary's when None).

    While the primary integration stores none, the shipped tables stand in (an install before its first
    seed). Another integration never falls back to them: its NetSuite ids are its own, and a value its
    tables lack is a mapping error for a person, never the shipped table's guess.
    """
    owner = integration if integration is not None else primary_integration()
    tables = static_tables(chosen, owner)
    if tables or not owner.is_primary:
        return tables
    return load_default_lookups()


def _quoted(key: str) -> str:
    return "'" + key.replace("'", "''") + "'"


def item_ids_by_sku(connector: NetSuiteConnector, skus: Sequence[str]) -> dict[str, str]:
    """NetSuite item ids of ``skus`` (``itemid`` is the SKU), by one SuiteQL query."""
    if not skus:
        return {}
    # Every SKU is a quoted literal with its quotes doubled: SuiteQL has no bind parameters.
    query = f"SELECT id, itemid FROM item WHERE itemid IN ({', '.join(_quoted(sku) for sku in skus)})"  # noqa: S608
    return {str(row["itemid"]): str(row["id"]) for row in connector.suiteql(query)}


def _cached_fetch(
    fetch: Callable[[Sequence[str]], Mapping[str, str]], connection_id: int
) -> Callable[[Sequence[str]], dict[str, str]]:
    """Answer from the connection's cache rows while fresh; ask NetSuite for the rest and remember its
    answers (per NetSuite connection: each account has its own internal ids)."""

    def answer(keys: Sequence[str]) -> dict[str, str]:
        since = timezone.now() - CACHE_FRESH
        cached = DynamicLookupEntry.objects.filter(
            netsuite_connection_id=connection_id, source=ITEM_BY_SKU, key__in=keys, fetched_at__gte=since
        )
        found = {entry.key: entry.value for entry in cached}
        missing = [key for key in keys if key not in found]
        if missing:
            fetched = fetch(missing)
            now = timezone.now()
            for key in missing:
                value = fetched.get(key)
                DynamicLookupEntry.objects.update_or_create(
                    netsuite_connection_id=connection_id,
                    source=ITEM_BY_SKU,
                    key=key,
                    defaults={"value": value or "", "fetched_at": now},
                )
                found[key] = value or ""
        return {key: value for key, value in found.items() if value}

    return answer


def item_lookup(connection: Connection) -> CachedDynamicLookup:
    connector = netsuite_connector(connection)
    return CachedDynamicLookup(_cached_fetch(lambda skus: item_ids_by_sku(connector, skus), connection.pk))


def mapping_lookups(
    *, netsuite: Connection | None = None, integration: Integration | None = None
) -> StaticLookups:
    """The resolver a mapping runs with: ``integration``'s tables (the primary's when None), and the item
    lookup through ``netsuite``."""
    dynamic = {ITEM_BY_SKU: item_lookup(netsuite)} if netsuite is not None else {}
    return StaticLookups(static_tables(integration=integration), dynamic)


def integration_dynamic_lookup_refresh(*, integration: Integration, user: Any) -> int:
    """Refresh the SKU cache of ``integration``'s own sandbox NetSuite account
    (:func:`sync.integrations.sandboxes.reading_sandbox`: internal ids differ per account, so never
    another integration's); :class:`NoSandboxConnection` when it has none."""
    require(user, can_edit_mappings, needs="edit_mappings")
    connection = reading_sandbox(integration, ConnectionKind.NETSUITE)
    if connection is None:
        raise NoSandboxConnection(
            f"integration {integration.name} has no sandbox NetSuite connection: an admin names one on "
            "the integration"
        )
    return dynamic_lookup_refresh(connection=connection, user=user)


def dynamic_lookup_refresh(*, connection: Connection, user: Any) -> int:
    """Ask NetSuite again for every cached SKU (after the item catalogue changed); returns the count."""
    require(user, can_edit_mappings, needs="edit_mappings")
    cached = DynamicLookupEntry.objects.filter(netsuite_connection=connection, source=ITEM_BY_SKU)
    keys = list(cached.values_list("key", flat=True))
    connector = netsuite_connector(connection)
    now = timezone.now()
    fetched: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        fetched.update(item_ids_by_sku(connector, keys[start : start + 500]))
    with transaction.atomic():
        for key in keys:
            cached.filter(key=key).update(value=fetched.get(key, ""), fetched_at=now)
        audit_record(
            obj=connection,
            actor=user,
            action=AuditAction.UPDATE,
            changes={},
            event="dynamic_lookup_refresh",
            source=ITEM_BY_SKU,
            keys=len(keys),
        )
    return len(keys)
