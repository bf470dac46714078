"""Two Salesforce orgs feeding one NetSuite account, over real HTTPS through the real connectors.

Both Salesforce simulators are seeded alike, so they hand out the very same record ids (and company
names): the collision namespacing must make impossible. Org A runs under the primary integration, org B
under ``acme`` (namespace ACQ).

Transactional: the pipeline's worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync import tasks
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.matching import exception_match_decide
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.pipeline.models import (
    CrossReference,
    FieldConflict,
    RecordStatus,
    SyncedFieldValue,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import run_batch
from tests.simulators.conftest import https_session
from tests.sync.conftest import SEEDED, netsuite_connection_for, salesforce_connection_for
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.integrations.support import config_live
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


@dataclass
class Org:
    connection: Connection
    sf: SalesforceConnector
    simulator: RunningSimulator


@dataclass
class TwoOrgs:
    a: Org
    b: Org
    netsuite: Connection
    ns: NetSuiteConnector
    netsuite_sim: RunningSimulator
    acme: Integration


@pytest.fixture
def alike_orgs(tmp_path: Path, seeded_mappings: None) -> Iterator[TwoOrgs]:
    """Org A (primary) and org B (``acme``, namespace ACQ), seeded alike, and one NetSuite account."""
    dir_a, dir_b = tmp_path / "a", tmp_path / "b"
    seed_salesforce(dir_a, SEEDED)
    seed_netsuite(dir_a, SEEDED)
    seed_salesforce(dir_b, SEEDED)
    simulators = [
        start_in_thread(SALESFORCE_SPEC, dir_a),
        start_in_thread(SALESFORCE_SPEC, dir_b),
        start_in_thread(NETSUITE_SPEC, dir_a),
    ]
    try:
        sf_a = salesforce_connection_for(simulators[0], name="sf-org-a")
        sf_b = salesforce_connection_for(simulators[1], name="sf-org-b")
        netsuite = netsuite_connection_for(simulators[2])
        primary = primary_integration()
        primary.salesforce_connection, primary.netsuite_connection = sf_a, netsuite
        primary.save()
        acme = Integration.objects.create(
            name="acme",
            label="Acme",
            namespace="ACQ",
            salesforce_connection=sf_b,
            netsuite_connection=netsuite,
        )
        config_live(primary, acme)
        yield TwoOrgs(
            Org(sf_a, salesforce_connector(sf_a), simulators[0]),
            Org(sf_b, salesforce_connector(sf_b), simulators[1]),
            netsuite,
            netsuite_connector(netsuite, limited=False),
            simulators[2],
            acme,
        )
    finally:
        for simulator in simulators:
            simulator.stop()


def won(sf: SalesforceConnector) -> list[dict[str, Any]]:
    """One won opportunity per account, in id order."""
    rows = sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id")
    return list({row["AccountId"]: dict(row) for row in reversed(list(rows))}.values())[::-1]


def sync(org: Org, orgs: TwoOrgs, opportunity_id: str) -> SyncJob:
    job = run_batch(salesforce=org.connection, netsuite=orgs.netsuite, opportunity_ids=[opportunity_id])
    record = job.records.get()
    assert record.status == RecordStatus.SYNCED, (record.message, list(record.failures.values()))
    return job


def make_distinct(org: Org, opportunity_id: str, name: str) -> None:
    """Org B's account of this deal is another company (its name and contacts' e-mails its own)."""
    graph = org.sf.fetch_opportunity_graphs([opportunity_id], FULL_GRAPH)[opportunity_id]
    org.sf.update("Account", graph["AccountId"], {"Name": name})
    for number, role in enumerate((graph.get("OpportunityContactRoles") or {}).get("records") or []):
        org.sf.update(
            "Contact", role["ContactId"], {"Email": f"buyer{number}@{name.split()[0].lower()}.example"}
        )


def customers_of(ns: NetSuiteConnector, account_id: str) -> list[dict[str, Any]]:
    query = (
        "SELECT id, externalid, companyname, phone FROM customer "  # noqa: S608 - a Salesforce id
        f"WHERE custentity_sf_account_id = '{account_id}' ORDER BY id"
    )
    return list(ns.suiteql(query))


def test_the_same_salesforce_ids_in_two_orgs_never_overwrite_each_other(alike_orgs: TwoOrgs) -> None:
    orgs = alike_orgs
    deal = won(orgs.a.sf)[0]
    opportunity, account = deal["Id"], deal["AccountId"]
    # The same ids in both orgs: the collision to prove impossible.
    assert (
        orgs.b.sf.get_records("Opportunity", [opportunity], ["AccountId"])[opportunity]["AccountId"]
        == account
    )
    make_distinct(orgs.b, opportunity, "Bravo Distinct Traders")

    job_a, job_b = sync(orgs.a, orgs, opportunity), sync(orgs.b, orgs, opportunity)

    order_a = orgs.ns.get_by_external_id("salesOrder", opportunity)
    order_b = orgs.ns.get_by_external_id("salesOrder", f"ACQ-{opportunity}")
    assert order_a is not None and order_b is not None and order_a["id"] != order_b["id"]
    customers = {row["externalid"]: row for row in customers_of(orgs.ns, account)}
    assert set(customers) == {account, f"ACQ-{account}"}
    assert customers[f"ACQ-{account}"]["companyname"] == "Bravo Distinct Traders"
    assert customers[account]["companyname"] != "Bravo Distinct Traders"
    assert order_b["entity"]["id"] == customers[f"ACQ-{account}"]["id"]
    assert order_a["entity"]["id"] == customers[account]["id"]
    # Every external id org B wrote carries its namespace; each integration keeps its own references.
    written_b = [eid for eid in job_b.records.get().netsuite_ids]
    assert written_b
    refs = CrossReference.objects.filter(netsuite_connection=orgs.netsuite)
    acme_refs = refs.filter(integration=orgs.acme)
    assert acme_refs.exists() and all(
        ref.external_id.startswith("ACQ-")
        or ref.netsuite_type == "subscriptionPlan"
        or ref.object_key.startswith("customer_currency")
        or ref.object_key == "subscription_line"
        for ref in acme_refs
    )
    assert not refs.filter(integration=orgs.acme, shared=True).exists()
    primary_orders = refs.filter(integration__is_primary=True, netsuite_type="salesOrder")
    assert {(r.external_id, r.netsuite_id) for r in primary_orders} == {(opportunity, str(order_a["id"]))}
    assert job_a.records.get().netsuite_ids["sales_order"] == str(order_a["id"])

    # Second day: each org changes its account; a re-sync updates only its own customer.
    orgs.b.sf.update("Account", account, {"Phone": "+44 20 7946 0002"})
    sync(orgs.b, orgs, opportunity)
    after_b = {row["externalid"]: row for row in customers_of(orgs.ns, account)}
    assert after_b[f"ACQ-{account}"]["phone"] == "+44 20 7946 0002"
    assert after_b[account]["phone"] == customers[account]["phone"]
    orgs.a.sf.update("Account", account, {"Phone": "+1 415 555 0001"})
    sync(orgs.a, orgs, opportunity)
    after_a = {row["externalid"]: row for row in customers_of(orgs.ns, account)}
    assert after_a[account]["phone"] == "+1 415 555 0001"
    assert after_a[f"ACQ-{account}"]["phone"] == "+44 20 7946 0002"
    assert len(after_a) == 2


def test_a_customer_both_companies_sell_to_is_linked_shared_and_never_re_keyed(alike_orgs: TwoOrgs) -> None:
    orgs = alike_orgs
    deal = won(orgs.a.sf)[1]
    opportunity, account = deal["Id"], deal["AccountId"]
    sync(orgs.a, orgs, opportunity)
    [customer] = customers_of(orgs.ns, account)
    assert customer["externalid"] == account

    # Org B sells to the same company (same name, same e-mails): pre-match links it, shared.
    job_b = sync(orgs.b, orgs, opportunity)
    [still] = customers_of(orgs.ns, account)
    assert (still["id"], still["externalid"]) == (customer["id"], account)  # not re-keyed
    assert orgs.ns.get_by_external_id("customer", f"ACQ-{account}") is None
    shared = CrossReference.objects.get(integration=orgs.acme, netsuite_type="customer")
    assert (shared.external_id, shared.netsuite_id, shared.shared) == (
        f"ACQ-{account}",
        str(customer["id"]),
        True,
    )
    order_b = orgs.ns.get_by_external_id("salesOrder", f"ACQ-{opportunity}")
    assert order_b is not None and order_b["entity"]["id"] == str(customer["id"])
    order_a = orgs.ns.get_by_external_id("salesOrder", opportunity)
    assert order_a is not None and order_a["id"] != order_b["id"]
    assert job_b.records.get().netsuite_ids["customer"] == str(customer["id"])

    # Second day, org B: the one customer is updated by its internal id (PATCH), never upserted by eid.
    orgs.b.sf.update("Account", account, {"Phone": "+44 20 7946 0003"})
    job = sync(orgs.b, orgs, opportunity)
    exchanges = job.records.get().exchanges
    customer_calls = [e for e in exchanges if e["operation"].endswith("customer") and e["method"] != "GET"]
    assert customer_calls and all(e["method"] == "PATCH" for e in customer_calls)
    assert not [e for e in exchanges if "eid:" in e["url"] and "/customer/" in e["url"]]
    assert all(f"/customer/{customer['id']}" in e["url"] for e in customer_calls)
    [after_b] = customers_of(orgs.ns, account)
    assert (after_b["phone"], after_b["externalid"]) == ("+44 20 7946 0003", account)

    # Second day, org A: its own upsert by its own eid updates the same customer.
    orgs.a.sf.update("Account", account, {"Phone": "+1 415 555 0003"})
    sync(orgs.a, orgs, opportunity)
    [after_a] = customers_of(orgs.ns, account)
    assert (after_a["id"], after_a["phone"], after_a["externalid"]) == (
        customer["id"],
        "+1 415 555 0003",
        account,
    )


def control(simulator: RunningSimulator, action: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = https_session(simulator.ca_file).post(f"{simulator.url}/_control/netsuite/{action}", json=body)
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def invoices(sf: SalesforceConnector) -> dict[str, dict[str, Any]]:
    rows = sf.query("SELECT Id, NetSuite_Invoice_Id__c, Opportunity__c FROM Invoice__c")
    return {row["NetSuite_Invoice_Id__c"]: row for row in rows}


def test_each_orgs_return_flow_brings_back_only_its_own_records_to_its_own_org(alike_orgs: TwoOrgs) -> None:
    orgs = alike_orgs
    deal = won(orgs.a.sf)[0]
    opportunity = deal["Id"]
    make_distinct(orgs.b, opportunity, "Bravo Distinct Traders")
    order_a = sync(orgs.a, orgs, opportunity).records.get().netsuite_ids["sales_order"]
    order_b = sync(orgs.b, orgs, opportunity).records.get().netsuite_ids["sales_order"]
    billed = control(orgs.netsuite_sim, "invoice-orders", {"salesOrders": [order_a, order_b]})
    invoice_of = {result["salesOrder"]: result["invoice"] for result in billed}
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)

    result_a = return_flow_run(salesforce=orgs.a.connection, netsuite=orgs.netsuite, start=start)
    result_b = return_flow_run(salesforce=orgs.b.connection, netsuite=orgs.netsuite, start=start)
    assert (result_a.failed, result_b.failed) == (0, 0), (result_a.problems, result_b.problems)

    held_a, held_b = invoices(orgs.a.sf), invoices(orgs.b.sf)
    assert set(held_a) == {invoice_of[order_a]} and set(held_b) == {invoice_of[order_b]}
    assert held_a[invoice_of[order_a]]["Opportunity__c"] == opportunity
    assert held_b[invoice_of[order_b]]["Opportunity__c"] == opportunity
    fields = ["NetSuite_Sales_Order_Id__c"]
    assert orgs.a.sf.get_records("Opportunity", [opportunity], fields)[opportunity][fields[0]] == order_a
    assert orgs.b.sf.get_records("Opportunity", [opportunity], fields)[opportunity][fields[0]] == order_b
    # Each run's trail names only its own integration's NetSuite records.
    assert result_a.job is not None and result_b.job is not None
    read_a = set(result_a.job.return_records.values_list("netsuite_id", flat=True))
    read_b = set(result_b.job.return_records.values_list("netsuite_id", flat=True))
    assert order_a in read_a and order_b not in read_a and invoice_of[order_b] not in read_a
    assert order_b in read_b and order_a not in read_b and invoice_of[order_a] not in read_b
    # Each org's two-way field ledger is its own: the same opportunity id holds two orders, no conflict.
    ledger = SyncedFieldValue.objects.filter(
        sobject="Opportunity", salesforce_id=opportunity, field=fields[0]
    )
    assert {(row.integration_id, row.value) for row in ledger} == {
        (primary_integration().pk, order_a),
        (orgs.acme.pk, order_b),
    }
    assert not FieldConflict.objects.exists()


def test_an_uncertain_match_with_another_integrations_customer_waits_for_a_person_whose_link_shares_it(
    alike_orgs: TwoOrgs, finance_everywhere: User
) -> None:
    orgs = alike_orgs
    deal = won(orgs.a.sf)[2]
    opportunity, account = deal["Id"], deal["AccountId"]
    sync(orgs.a, orgs, opportunity)
    [customer] = customers_of(orgs.ns, account)
    # Org B knows the company under a near name, its people by other addresses: a suspect, not a link.
    make_distinct(orgs.b, opportunity, f"{customer['companyname']} Holdings")
    job = run_batch(salesforce=orgs.b.connection, netsuite=orgs.netsuite, opportunity_ids=[opportunity])
    assert job.records.get().status == RecordStatus.BLOCKED
    assert orgs.ns.get_by_external_id("salesOrder", f"ACQ-{opportunity}") is None  # nothing written
    [item] = ExceptionItem.objects.filter(category__key="duplicate_suspect")
    match = item.details["match"]
    assert match["external_id"] == f"ACQ-{account}"
    assert {(c["netsuite_id"], c["external_id"]) for c in match["candidates"]} == {
        (str(customer["id"]), account)
    }

    # The person links it: shared, the other integration's external id left alone.
    exception_match_decide(item=item, user=finance_everywhere, choice="link", netsuite_id=str(customer["id"]))
    tasks.inbox_drain()
    latest = SyncRecord.objects.filter(
        opportunity_id=opportunity, job__salesforce_connection=orgs.b.connection
    )
    assert latest.order_by("-id").first().status == RecordStatus.SYNCED  # type: ignore[union-attr]
    [still] = customers_of(orgs.ns, account)
    assert (still["id"], still["externalid"]) == (customer["id"], account)
    shared = CrossReference.objects.get(integration=orgs.acme, netsuite_type="customer")
    assert (shared.netsuite_id, shared.shared) == (str(customer["id"]), True)
    order_b = orgs.ns.get_by_external_id("salesOrder", f"ACQ-{opportunity}")
    assert order_b is not None and order_b["entity"]["id"] == str(customer["id"])
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
