"""A sync through a connection that reaches the wrong kind of org or account writes nothing there."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulators.core.runner import RunningSimulator
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline.models import JobStatus, SyncJob
from sync.pipeline.runner import run_batch
from tests.simulators.conftest import https_session
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def test_a_salesforce_org_that_answers_as_production_fails_the_job_before_any_write(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    salesforce, netsuite = seeded_connections
    ids = won_ids(sf)[:2]
    running = seeded_simulators[0]
    control = https_session(running.ca_file)
    control.patch(
        running.url + "/_control/salesforce/organization", json={"IsSandbox": False}
    ).raise_for_status()
    # The refresh replaced the org its settings reach: the sessions of the one before are gone with it, so
    # the sign-in this process keeps for the connection is refused and the next one is checked afresh.
    control.post(running.url + "/_control/salesforce/expire-sessions").raise_for_status()
    with pytest.raises(ConnectorError, match="IsSandbox = false"):
        run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids)
    job = SyncJob.objects.get()
    assert job.status == JobStatus.FAILED and "IsSandbox = false" in job.message
    assert all(netsuite_count("transaction", i) == 0 for i in ids)


def test_a_netsuite_account_of_the_other_kind_gets_no_write(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
) -> None:
    salesforce, netsuite = seeded_connections
    ids = won_ids(sf)[:2]
    # Marked production, but its settings reach the sandbox account 1234567_SB1.
    Connection.objects.filter(pk=netsuite.pk).update(environment="production")
    netsuite.refresh_from_db()
    with pytest.raises(ConnectorError, match="this connection is for production"):
        run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids)
    job = SyncJob.objects.get()
    assert job.status == JobStatus.FAILED and "1234567_SB1" in job.message
    assert all(netsuite_count("transaction", i) == 0 for i in ids)
