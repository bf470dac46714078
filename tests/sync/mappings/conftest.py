"""Mappings seeded exactly as the demo seeds them (the shipped defaults published as version 1)."""

from __future__ import annotations

import pytest

from sync.mappings.models import Flow
from sync.mappings.services.seed import mapping_seed_defaults


@pytest.fixture
def seeded_mappings(db: None) -> None:
    mapping_seed_defaults()


@pytest.fixture
def opportunity_flow(seeded_mappings: None) -> Flow:
    return Flow.objects.get(key="opportunity_to_netsuite")
