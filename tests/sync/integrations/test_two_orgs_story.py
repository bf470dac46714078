"""Two orgs, one NetSuite account, through the real pipeline over HTTPS (a draft of the two-integration
story: org A's deal syncs under the primary today; org B's, with the same ids, must sync beside it)."""
# ruff: noqa: S608 - the f-strings build SuiteQL for the simulator

from __future__ import annotations

import datetime as dt
from typing import Any

from reconciliation.models import Mismatch, RunStatus
from reconciliation.services import reconciliation_run
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.integrations.namespacing import eid_namespaced
from sync.pipeline.models import CrossReference, RecordStatus, SyncRecord
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import run_batch
from tests.simulators.conftest import https_session
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


def control(two_orgs: TwoOrgs, action: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    simulator = two_orgs.netsuite
    answer = https_session(simulator.ca_file).post(f"{simulator.url}/_control/netsuite/{action}", json=body)
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def customers_named(ns: NetSuiteConnector, name: str) -> list[dict[str, Any]]:
    return list(ns.suiteql(f"SELECT id, externalid, currency FROM customer WHERE companyname = '{name}'"))


def test_two_differently_shaped_orgs_live_side_by_side_on_one_netsuite_account(two_orgs: TwoOrgs) -> None:
    """The acquisition's whole story: both orgs' deals (same Salesforce ids, different currencies and
    fields) sync, change and sync again, are invoiced and paid back to their own org, share a customer
    both companies sell to, and reconcile per integration with no mismatch; nothing crosses over."""
    a, b, acme = two_orgs.a, two_orgs.b, two_orgs.acme
    ns = two_orgs.ns()
    deal_a = a.closed_won("Alpha Widgets")
    deal_b = b.closed_won("Muster Maschinenbau", country="DE")
    assert deal_a.opportunity == deal_b.opportunity  # the collision namespacing must survive
    for org, deal in ((a, deal_a), (b, deal_b)):
        record = sync(org.connection, two_orgs.netsuite_connection, deal.opportunity)
        assert synced(record), (org.key, record.message, list((record.failures or {}).values()))

    # Second day: org B renames its customer and raises the quantity; the re-sync updates its own records.
    b.client.Account.update(deal_b.account, {"Phone": "+49 30 1234567"})
    again = sync(b.connection, two_orgs.netsuite_connection, deal_b.opportunity)
    assert synced(again), again.message
    acme_customer = eid_namespaced(acme.namespace, deal_b.account)
    [customer_b] = list(ns.suiteql(f"SELECT id, phone FROM customer WHERE externalid = '{acme_customer}'"))
    assert customer_b["phone"] == "+49 30 1234567"
    [customer_a] = list(ns.suiteql(f"SELECT id, phone FROM customer WHERE externalid = '{deal_a.account}'"))
    assert customer_a["id"] != customer_b["id"] and customer_a.get("phone") != "+49 30 1234567"

    # A company both sell to: org A's customer first; org B's account (same name, same domain) links to it
    # as shared, never re-keyed, and its euro order adds the euro to the customer's currencies.
    shared_a = a.closed_won("Globex Corporation", email_domain="globex.example")
    assert synced(sync(a.connection, two_orgs.netsuite_connection, shared_a.opportunity))
    shared_b = b.closed_won("Globex Corporation", country="US", email_domain="globex.example")
    record = sync(b.connection, two_orgs.netsuite_connection, shared_b.opportunity)
    assert synced(record), (record.message, list((record.failures or {}).values()))
    [globex] = customers_named(ns, "Globex Corporation")
    assert globex["externalid"] == shared_a.account
    link = CrossReference.objects.get(
        integration=acme, netsuite_type="customer", salesforce_id=shared_b.account
    )
    assert link.shared and link.netsuite_id == str(globex["id"])
    held = ns.get("customer", str(globex["id"]), expand=True)
    currencies = {held["currency"]["id"], *(line["currency"]["id"] for line in held["currencyList"]["items"])}
    assert held["currency"]["id"] == "1" and currencies == {"1", "4"}  # its US dollar, plus org B's euro

    # Invoices flow back, each to its own org only.
    orders = {
        key: CrossReference.objects.get(
            integration=integration, netsuite_type="salesOrder", salesforce_id=deal.opportunity
        ).netsuite_id
        for key, integration, deal in (("a", two_orgs.primary, deal_a), ("b", acme, deal_b))
    }
    billed = {
        row["salesOrder"]: row["invoice"]
        for row in control(two_orgs, "invoice-orders", {"salesOrders": list(orders.values())})
    }
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    results: dict[str, Any] = {}
    for org in (a, b):
        result = return_flow_run(
            salesforce=org.connection, netsuite=two_orgs.netsuite_connection, start=start
        )
        assert result.failed == 0 and not result.problems, result.problems
        results[org.key] = result
    for key, org in (("a", a), ("b", b)):
        rows = org.connector().query("SELECT NetSuite_Invoice_Id__c, Opportunity__c FROM Invoice__c")
        assert {row["NetSuite_Invoice_Id__c"] for row in rows} == {billed[orders[key]]}, (key, results[key])
    won_b = b.client.Opportunity.get(deal_b.opportunity)
    assert won_b["ERP_Sync_Status__c"] == "Synced" and won_b["NetSuite_Sales_Order_Id__c"] == orders["b"]
    assert a.client.Opportunity.get(deal_a.opportunity)["NetSuite_Sales_Order_Id__c"] == orders["a"]

    # Reconciliation per integration, over the story's records: no mismatch on either side.
    for integration, accounts, opportunities in (
        (two_orgs.primary, [deal_a.account, shared_a.account], [deal_a.opportunity, shared_a.opportunity]),
        (acme, [deal_b.account, shared_b.account], [deal_b.opportunity, shared_b.opportunity]),
    ):
        for check, keys in (("accounts", accounts), ("opportunities", opportunities)):
            run = reconciliation_run(check=check, integration=integration, scope=keys)
            assert run.status == RunStatus.SUCCEEDED, run.error
            found = list(Mismatch.objects.filter(run=run).values_list("kind", "key", "field"))
            assert found == [], (integration.name, check, found)
