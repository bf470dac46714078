"""Connections to the simulators, stored and encrypted exactly as an admin would enter them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from demo.launcher import simulator_connection_ensure
from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.models import Connection
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.mappings.models import Flow
from sync.mappings.services.seed import mapping_seed_defaults
from tests.simulators.conftest import netsuite_sim, salesforce_sim, simulator_dir  # noqa: F401
from tests.sync.exceptions.support import RETRY_CALLS


def salesforce_connection_for(running: RunningSimulator, *, name: str = "sf-sandbox") -> Connection:
    ca_bundle = Path(running.ca_file).read_text()
    return simulator_connection_ensure("salesforce", name=name, url=running.url, ca_bundle=ca_bundle)


def netsuite_connection_for(
    running: RunningSimulator, *, name: str = "ns-sandbox", limit: int = 5
) -> Connection:
    ca_bundle = Path(running.ca_file).read_text()
    return simulator_connection_ensure(
        "netsuite", name=name, url=running.url, ca_bundle=ca_bundle, concurrency_limit=limit
    )


# Small but complete: 12 accounts, 24 opportunities with CPQ quotes, and the matching NetSuite catalog.
SEEDED = Dataset(seed=1, accounts=12, opportunities_per_account=2)


@pytest.fixture
def seeded_simulators(tmp_path: Path) -> Iterator[tuple[RunningSimulator, RunningSimulator]]:
    """Both simulators, seeded with :data:`SEEDED`, serving from one data directory."""
    data_dir = tmp_path / "seeded"
    seed_salesforce(data_dir, SEEDED)
    seed_netsuite(data_dir, SEEDED)
    salesforce = start_in_thread(SALESFORCE_SPEC, data_dir)
    netsuite = start_in_thread(NETSUITE_SPEC, data_dir)
    yield salesforce, netsuite
    salesforce.stop()
    netsuite.stop()


@pytest.fixture
def seeded_connections(
    db: None, seeded_simulators: tuple[RunningSimulator, RunningSimulator]
) -> tuple[Connection, Connection]:
    """Stored sandbox connections (Salesforce, NetSuite) to the seeded simulators."""
    salesforce, netsuite = seeded_simulators
    return salesforce_connection_for(salesforce), netsuite_connection_for(netsuite)


@pytest.fixture
def salesforce_connection(db: None, salesforce_sim: RunningSimulator) -> Connection:  # noqa: F811
    return salesforce_connection_for(salesforce_sim)


@pytest.fixture
def netsuite_connection(db: None, netsuite_sim: RunningSimulator) -> Connection:  # noqa: F811
    return netsuite_connection_for(netsuite_sim)


@pytest.fixture
def finance_everywhere(finance: User) -> User:
    """The finance persona with the model-wide grant: every subsidiary's exceptions."""
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    return finance


@pytest.fixture
def retry_calls() -> Iterator[list[dict[str, Any]]]:
    RETRY_CALLS.clear()
    yield RETRY_CALLS
    RETRY_CALLS.clear()


@pytest.fixture
def seeded_mappings(db: None) -> None:
    """Mappings seeded exactly as the demo seeds them (the shipped defaults published as version 1)."""
    mapping_seed_defaults()


@pytest.fixture
def opportunity_flow(seeded_mappings: None) -> Flow:
    return Flow.objects.get(key="opportunity_to_netsuite")
