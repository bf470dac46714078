"""The catalogue sync's schedule, registered by ``SyncConfig.ready`` (see :mod:`core.schedules`)."""

from __future__ import annotations

from core.schedules import ScheduleSpec

CATALOGUE_SYNC = "sync: catalogue from NetSuite"

CATALOGUE_SYNC_SPEC = ScheduleSpec(
    key="catalogue-sync",
    name=CATALOGUE_SYNC,
    func="sync.tasks.catalogue_sync",
    label="Catalogue sync",
    description="Brings NetSuite's items and their prices to Salesforce products and price book entries "
    "(only what changed since the last run).",
    default_minutes=60,
)
