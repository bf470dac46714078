"""Seeding: the shipped lookup tables and default mappings, published by the system actor."""

from __future__ import annotations

from django.db import transaction

from sync.mappings.engine.defaults import DEFAULT_FLOWS, load_default
from sync.mappings.models import MappingVersion
from sync.mappings.services.lookups import lookup_tables_seed_defaults
from sync.mappings.services.versions import (
    flow_ensure,
    version_approve,
    version_create_draft,
    version_import,
    version_publish,
    version_submit,
)

SEED_REASON = "shipped default mapping"


def mapping_seed_defaults() -> list[MappingVersion]:
    """Publish each shipped flow as version 1 unless the flow has versions already; returns those published.

    The system actor (no user) makes and approves them: they are the product's reviewed defaults.
    """
    lookup_tables_seed_defaults()
    published = []
    for key in DEFAULT_FLOWS:
        spec = load_default(key)
        with transaction.atomic():
            flow = flow_ensure(
                key=key,
                source=spec["source"],
                target_system=spec["target_system"],
                description=spec["description"],
            )
            if flow.versions.exists():
                continue
            version = version_create_draft(flow=flow, user=None, notes=SEED_REASON)
            version_import(version=version, spec=spec, user=None)
            version_submit(version=version, user=None, reason=SEED_REASON)
            version_approve(version=version, user=None, reason=SEED_REASON)
            published.append(version_publish(version=version, user=None, reason=SEED_REASON))
    return published
