"""Two orgs, one NetSuite account, through the real pipeline over HTTPS (a draft of the two-integration
story: org A's deal syncs under the primary today; org B's, with the same ids, must sync beside it)."""
# ruff: noqa: S608 - the f-strings build SuiteQL for the simulator

from __future__ import annotations

from typing import Any

import pytest

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.integrations.namespacing import eid_namespaced
from sync.pipeline.models import RecordStatus, SyncRecord
from sync.pipeline.runner import run_batch
from tests.sync.integrations.conftest import TwoOrgs
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def sync(salesforce: Connection, netsuite: Connection, opportunity: str) -> SyncRecord:
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity])
    return job.records.get()


def synced(record: SyncRecord) -> bool:
    return record.status == RecordStatus.SYNCED


def netsuite_rows(ns: NetSuiteConnector, table: str, external_id: str) -> list[dict[str, Any]]:
    escaped = external_id.replace("'", "''")
    return list(
        ns.suiteql(
            f"SELECT id, BUILTIN.DF(currency) AS currency, BUILTIN.DF(subsidiary) AS subsidiary "
            f"FROM {table} WHERE externalid = '{escaped}'"
        )
    )


def test_a_deal_from_org_a_syncs_under_the_primary(two_orgs: TwoOrgs) -> None:
    deal = two_orgs.a.closed_won("Alpha Widgets")
    record = sync(two_orgs.a.connection, two_orgs.netsuite_connection, deal.opportunity)
    assert synced(record), (record.status, record.message, list((record.failures or {}).values()))
    ns = two_orgs.ns()
    assert [row["currency"] for row in netsuite_rows(ns, "customer", deal.account)] == ["US Dollar"]
    assert len(netsuite_rows(ns, "transaction", deal.opportunity)) == 1
    won = two_orgs.a.client.Opportunity.get(deal.opportunity)
    assert won["Concord_Sync_Status__c"] == "Synced" and won["NetSuite_Sales_Order_Id__c"]


@pytest.mark.xfail(
    strict=True,
    reason="completed at merge: acme's own configuration (config_copy, published, its "
    "country_to_subsidiary), namespaced external ids and cross-references, and acme's sync status "
    "field names (ERP_Sync_*)",
)
def test_the_same_ids_from_org_b_sync_beside_org_a_without_overwriting(two_orgs: TwoOrgs) -> None:
    deal_a = two_orgs.a.closed_won("Alpha Widgets")
    deal_b = two_orgs.b.closed_won("Muster Maschinenbau", country="DE")
    assert (deal_a.opportunity, deal_a.account) == (deal_b.opportunity, deal_b.account)
    first = sync(two_orgs.a.connection, two_orgs.netsuite_connection, deal_a.opportunity)
    assert synced(first), first.message
    second = sync(two_orgs.b.connection, two_orgs.netsuite_connection, deal_b.opportunity)
    assert synced(second), (second.status, second.message, list((second.failures or {}).values()))
    ns = two_orgs.ns()
    acme_customer = eid_namespaced(two_orgs.acme.namespace, deal_b.account)
    assert [(row["subsidiary"], row["currency"]) for row in netsuite_rows(ns, "customer", acme_customer)] == [
        ("Concord Software GmbH", "Euro")
    ]
    assert [row["currency"] for row in netsuite_rows(ns, "customer", deal_a.account)] == ["US Dollar"]
    assert len(netsuite_rows(ns, "transaction", deal_a.opportunity)) == 1
    assert (
        len(netsuite_rows(ns, "transaction", eid_namespaced(two_orgs.acme.namespace, deal_b.opportunity)))
        == 1
    )
    won_b = two_orgs.b.client.Opportunity.get(deal_b.opportunity)
    assert won_b["ERP_Sync_Status__c"] == "Synced" and won_b["NetSuite_Sales_Order_Id__c"]
    won_a = two_orgs.a.client.Opportunity.get(deal_a.opportunity)
    assert won_a["NetSuite_Sales_Order_Id__c"] != won_b["NetSuite_Sales_Order_Id__c"]
