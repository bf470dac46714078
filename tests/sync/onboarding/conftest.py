"""A second Salesforce org for onboarding: the acquired company's, seeded with the same default data as
the first org's simulator (the same record ids, the same companies), served over HTTPS beside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import salesforce_connector
from tests.sync.conftest import SEEDED, salesforce_connection_for
from tests.sync.pipeline.conftest import ns, sf  # noqa: F401


@pytest.fixture
def org_b_simulator(tmp_path: Path) -> Iterator[RunningSimulator]:
    data_dir = tmp_path / "org-b"
    seed_salesforce(data_dir, SEEDED)
    running = start_in_thread(SALESFORCE_SPEC, data_dir)
    yield running
    running.stop()


@pytest.fixture
def org_b(db: None, org_b_simulator: RunningSimulator) -> Connection:
    """The acquired org's connection (a sandbox connection, as every simulator's)."""
    return salesforce_connection_for(org_b_simulator, name="sf-org-b")


@pytest.fixture
def sf_b(org_b: Connection) -> SalesforceConnector:
    return salesforce_connector(org_b)
