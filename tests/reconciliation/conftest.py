"""Reconciliation tests reuse the seeded simulators and their stored connections from the sync tests."""

from __future__ import annotations

from tests.sync.conftest import (  # noqa: F401
    netsuite_sim,
    salesforce_sim,
    seeded_connections,
    seeded_simulators,
    simulator_dir,
)
