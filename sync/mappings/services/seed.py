"""Seeding: the shipped lookup tables and default mappings, published by the system actor.

Seeding fills the primary integration; another integration starts as a copy of one that exists
(:func:`sync.onboarding.copying.config_copy`), or from the shipped drafts (:func:`mapping_shipped_install`
with its ``integration``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.engine.defaults import (
    DEFAULT_FLOWS,
    load_default,
    load_default_lookups,
    lookup_descriptions,
)
from sync.mappings.models import LookupTable, LookupVersion, MappingVersion
from sync.mappings.permissions import can_edit_mappings
from sync.mappings.services.lifecycle import require
from sync.mappings.services.lookup_versions import lookup_version_create_draft
from sync.mappings.services.lookups import lookup_tables_seed_defaults
from sync.mappings.services.specs import shipped_defaults_install
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

    The system actor (no user) makes and approves them: they are the product's reviewed defaults, so the
    check against the connected systems' metadata lists their problems without refusing them.
    """
    lookup_tables_seed_defaults()
    published = []
    for key in DEFAULT_FLOWS:
        with transaction.atomic(), shipped_defaults_install():
            version = _shipped_flow_draft(key, user=None, notes=SEED_REASON)
            if version is None:
                continue
            version_submit(version=version, user=None, reason=SEED_REASON)
            version_approve(version=version, user=None, reason=SEED_REASON)
            published.append(version_publish(version=version, user=None, reason=SEED_REASON))
    return published


INSTALL_NOTES = "the shipped default, installed for review"


def mapping_shipped_install(
    *, user: Any, integration: Integration | None = None
) -> list[LookupVersion | MappingVersion]:
    """The shipped lookup tables and flows ``integration`` (the primary one when None) does not have
    yet, each as a draft version 1 made by
    ``user`` (RevOps: ``edit_mappings``), to be submitted, approved by someone else and published like any
    change. What exists already is left alone, so it is safe to run again; returns the drafts made.

    The first-run path of a new installation, from the console (unlike :func:`mapping_seed_defaults`,
    the demo's, which publishes as the system actor).
    """
    require(user, can_edit_mappings, needs="edit_mappings")
    owner = integration if integration is not None else primary_integration()
    made: list[LookupVersion | MappingVersion] = []
    descriptions = lookup_descriptions()
    with transaction.atomic():
        for name, values in load_default_lookups().items():
            table, created = LookupTable.objects.get_or_create(
                integration=owner, name=name, defaults={"description": descriptions.get(name, "")}
            )
            if created or not table.versions.exists():
                made.append(
                    lookup_version_create_draft(table=table, user=user, notes=INSTALL_NOTES, entries=values)
                )
        for key in DEFAULT_FLOWS:
            version = _shipped_flow_draft(key, user=user, notes=INSTALL_NOTES, integration=owner)
            if version is not None:
                made.append(version)
    return made


def _shipped_flow_draft(
    key: str, *, user: Any, notes: str, integration: Integration | None = None
) -> MappingVersion | None:
    """The shipped flow ``key`` of ``integration`` (made when missing) with its shipped spec as a first
    draft by ``user``; ``None`` when the flow has versions already (nothing is touched)."""
    spec = load_default(key)
    flow = flow_ensure(
        key=key,
        source=spec["source"],
        target_system=spec["target_system"],
        description=spec["description"],
        integration=integration,
    )
    if flow.versions.exists():
        return None
    version = version_create_draft(flow=flow, user=user, notes=notes)
    return version_import(version=version, spec=spec, user=user)
