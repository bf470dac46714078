"""The batch's query is derived from the mapping it runs (integration, over HTTPS with the simulators).

A new row reading an Account field no default reads is read and mapped with no code change; a row reading
a field the org's cached metadata lacks fails the job before any Salesforce call, naming row and field.
(Custom fields added to the simulator through its control API come with the "sim" work: the same test
with ``Account.Region__c`` then replaces ``Industry``.)
"""

from __future__ import annotations

from unittest import mock

import pytest

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.mappings.models import FieldMapping, Flow
from sync.mappings.services.rows import field_row_save
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.versions import version_create_draft
from sync.pipeline.models import JobStatus, SyncJob
from sync.pipeline.reads import FieldsMissing
from sync.pipeline.runner import run_batch
from sync.pipeline.sources import ChosenVersions
from tests.sync.mappings.metadata_shapes import salesforce_metadata
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


def test_a_new_row_on_a_field_no_default_reads_is_read_and_mapped(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector, ns: NetSuiteConnector
) -> None:
    salesforce, netsuite = seeded_connections
    chosen = _draft_reading("Industry")
    opportunity_id = won_ids(sf)[0]
    account_id = sf.get_records("Opportunity", [opportunity_id], ["AccountId"])[opportunity_id]["AccountId"]
    industry = sf.get_records("Account", [account_id], ["Industry"])[account_id]["Industry"]
    assert industry, "the seeded account has an industry"
    job = run_batch(
        salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id], versions=chosen
    )
    record = job.records.get()
    assert job.status == JobStatus.SUCCEEDED, record.message
    customer = ns.get("customer", record.netsuite_ids["customer"])
    assert customer["comments"] == industry


def test_a_row_reading_a_field_the_org_lacks_fails_the_job_before_any_salesforce_call(
    seeded_connections: tuple[Connection, Connection], sf: SalesforceConnector
) -> None:
    salesforce, netsuite = seeded_connections
    chosen = _draft_reading("Region__c")
    opportunity_id = won_ids(sf)[0]
    cached = salesforce_metadata()  # the org as its cached describe says: no Account.Region__c
    with (
        mock.patch(
            "sync.pipeline.reads.connection_metadata",
            side_effect=lambda c: cached if c.kind == "salesforce" else cached.__class__("netsuite", {}),
        ),
        mock.patch("sync.pipeline.runner.salesforce_connector") as connector,
        pytest.raises(FieldsMissing) as raised,
    ):
        run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id], versions=chosen)
    connector.assert_not_called()
    assert raised.value.transient  # released for a later attempt, not dropped
    job = SyncJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert (
        "Account.Region__c (mapping row customer / comments): Account has no field Region__c" in job.message
    )
