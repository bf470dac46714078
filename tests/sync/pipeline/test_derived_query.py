"""The batch's query is derived from the mapping it runs and filtered by the org's cached metadata
(integration, over HTTPS with the simulators, the metadata read from them by the connections' refresh).

A custom field created in the org (``Account.Region__c``, through the simulator's control API) and
mapped in a draft is read and sent to NetSuite with no code change; before the field exists, the batch
fails before any Salesforce call, naming the row and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.metadata.selectors import connection_metadata
from sync.connections.metadata.services import metadata_refresh
from sync.connections.models import Connection
from sync.mappings.engine.defaults import load_default
from sync.mappings.metadata_check import mapping_metadata_problems
from sync.mappings.models import FieldMapping, Flow
from sync.mappings.services.rows import field_row_save
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.versions import version_create_draft
from sync.pipeline.models import JobStatus, SyncJob
from sync.pipeline.reads import FieldsMissing, batch_read_plan
from sync.pipeline.runner import run_batch
from sync.pipeline.sources import ChosenVersions
from tests.simulators.conftest import https_session
from tests.sync.conftest import SEEDED, netsuite_connection_for, salesforce_connection_for
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB
FLOW = "opportunity_to_netsuite"


def _draft_reading(source: str) -> ChosenVersions:
    """A draft of the Closed Won mapping whose customer row ``comments`` reads ``source`` (on the Account)."""
    mapping_seed_defaults()
    draft = version_create_draft(flow=Flow.objects.get(key=FLOW), user=None)
    customer = FieldMapping.objects.get(object_mapping__version=draft, key="company_name").object_mapping
    field_row_save(
        obj=customer,
        values={"key": "comments", "target": "comments", "kind": "source", "source": source},
        user=None,
    )
    return ChosenVersions(mappings={FLOW: draft})


def _account_of(sf: SalesforceConnector, opportunity_id: str) -> str:
    return str(sf.get_records("Opportunity", [opportunity_id], ["AccountId"])[opportunity_id]["AccountId"])


def test_the_shipped_mapping_fits_the_simulators_metadata_and_runs_filtered(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> None:
    salesforce, netsuite = seeded_connections
    metadata_refresh(connection=salesforce)
    metadata_refresh(connection=netsuite)
    problems = mapping_metadata_problems(
        load_default(FLOW), connection_metadata(salesforce), connection_metadata(netsuite)
    )
    assert [str(problem) for problem in problems] == []
    opportunity_id = won_ids(sf)[0]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    assert job.status == JobStatus.SUCCEEDED, job.records.get().message


def test_a_custom_field_created_in_the_org_and_mapped_is_read_and_sent(
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce_sim, _ = seeded_simulators
    salesforce, netsuite = seeded_connections
    chosen = _draft_reading("Region__c")
    opportunity_id = won_ids(sf)[0]
    metadata_refresh(connection=salesforce)  # the org as it is: no Region__c yet
    with (
        mock.patch("sync.pipeline.runner.salesforce_connector") as connector,
        pytest.raises(FieldsMissing) as raised,
    ):
        run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id], versions=chosen)
    connector.assert_not_called()
    assert raised.value.transient  # released for a later attempt, not dropped
    failed = SyncJob.objects.get()
    assert failed.status == JobStatus.FAILED
    assert (
        "Account.Region__c (mapping row customer / comments): Account has no field Region__c"
        in failed.message
    )

    # An admin creates the field and fills it; the connection's metadata is refreshed; the same draft runs.
    control = https_session(salesforce_sim.ca_file)
    added = control.post(
        f"{salesforce_sim.url}/_control/salesforce/custom-fields",
        json={"object": "Account", "name": "Region__c", "label": "Region", "type": "Text", "length": 40},
    )
    assert added.status_code == 201, added.text
    sf.update("Account", _account_of(sf, opportunity_id), {"Region__c": "EMEA"})
    metadata_refresh(connection=salesforce)
    job = run_batch(
        salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id], versions=chosen
    )
    record = job.records.get()
    assert job.status == JobStatus.SUCCEEDED, record.message
    assert ns.get("customer", record.netsuite_ids["customer"])["comments"] == "EMEA"


def test_without_cached_metadata_a_field_no_default_reads_is_read_as_derived(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> None:
    salesforce, netsuite = seeded_connections
    chosen = _draft_reading("Industry")
    opportunity_id = won_ids(sf)[0]
    account_id = _account_of(sf, opportunity_id)
    industry = sf.get_records("Account", [account_id], ["Industry"])[account_id]["Industry"]
    assert industry, "the seeded account has an industry"
    job = run_batch(
        salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id], versions=chosen
    )
    record = job.records.get()
    assert job.status == JobStatus.SUCCEEDED, record.message
    assert ns.get("customer", record.netsuite_ids["customer"])["comments"] == industry


@pytest.fixture
def single_currency_connections(
    db: None, tmp_path: Path, seeded_simulators: tuple[RunningSimulator, RunningSimulator]
) -> Iterator[tuple[Connection, Connection]]:
    """A single-currency Salesforce org (no CurrencyIsoCode anywhere) beside the seeded NetSuite account."""
    seed_salesforce(tmp_path / "single", SEEDED, currencies="single")
    running = start_in_thread(SALESFORCE_SPEC, tmp_path / "single", currencies="single")
    yield salesforce_connection_for(running, name="sf-single"), netsuite_connection_for(seeded_simulators[1])
    running.stop()


def test_in_a_single_currency_org_the_shipped_mapping_needs_no_change(
    single_currency_connections: tuple[Connection, Connection],
) -> None:
    """The refresh learns the org is single-currency (in USD): the check finds nothing to change and
    says the currency is supplied; the batch's query names no CurrencyIsoCode and prunes no row."""
    salesforce, netsuite = single_currency_connections
    metadata_refresh(connection=salesforce)
    metadata_refresh(connection=netsuite)
    problems = mapping_metadata_problems(
        load_default(FLOW), connection_metadata(salesforce), connection_metadata(netsuite)
    )
    assert [p for p in problems if p.severity == "error"] == []
    assert any("single-currency (USD)" in p.message and p.severity == "info" for p in problems)
    plan = batch_read_plan(salesforce=salesforce, netsuite=netsuite, spec=load_default(FLOW))
    queried = [*plan.query.opportunity, *plan.query.account, *plan.query.quote, *plan.query.quote_line]
    assert not [name for name in queried if "CurrencyIsoCode" in name] and not plan.pruned
    assert ("opportunity", "CurrencyIsoCode", "USD") in plan.query.supplied
