"""The whole real-time path: Closed Won in Salesforce -> outbound message -> listener -> inbox -> worker ->
NetSuite, over real HTTPS and a live Django server, then a redelivery and a re-run that change nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from simulators.core.runner import RunningSimulator
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync import tasks
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline.models import InboxMessage, InboxStatus, JobStatus, RecordStatus, SyncRecord
from tests.simulators.conftest import https_session
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.outbound_support import closed_won_listener_wire
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.listener.support import url_token

pytestmark = THREADED_DB
TABLES = ("customer", "contact", "billingaccount", "transaction", "subscriptionplan", "subscription")


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def totals(ns: NetSuiteConnector) -> dict[str, int]:
    return {table: len(list(ns.suiteql(f"SELECT id FROM {table}"))) for table in TABLES}  # noqa: S608


def test_it_syncs_an_opportunity_marked_closed_won_exactly_once(
    live_server: Any,
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    netsuite_count: Callable[[str, str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    salesforce_sim, _ = seeded_simulators
    enqueued: list[str] = []
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: enqueued.append(name))
    listener, control, rule_id = closed_won_listener_wire(
        salesforce_sim=salesforce_sim,
        connections=seeded_connections,
        base_url=live_server.url,
        fields=["Id", "Name", "StageName", "Amount"],
    )
    # An open opportunity with a CPQ quote holding a package (so plans and subscriptions are involved).
    candidates = sf.query("SELECT Id FROM Opportunity WHERE IsClosed = false ORDER BY Id")
    graphs = sf.fetch_opportunity_graphs([row["Id"] for row in candidates], FULL_GRAPH)
    graph = next(
        g
        for g in graphs.values()
        if g["primary_quote"] and any(line["SBQQ__RequiredBy__c"] for line in g["primary_quote"]["lines"])
    )
    opportunity_id = graph["Id"]
    before = totals(ns)

    sf.update("Opportunity", opportunity_id, {"StageName": "Closed Won"})

    def delivered() -> bool:
        status = control.get(f"{salesforce_sim.url}/_control/salesforce/outbound").json()
        return int(status["delivered"]) >= 1

    wait_for(delivered)
    message = InboxMessage.objects.get()
    assert (message.record_id, message.status, message.fields["StageName"]) == (
        opportunity_id,
        InboxStatus.PENDING,
        "Closed Won",
    )
    assert enqueued == ["sync.tasks.inbox_drain"]

    (job_id,) = tasks.inbox_drain()

    record = SyncRecord.objects.get(job_id=job_id)
    assert record.status == RecordStatus.SYNCED, record.message
    assert record.job.status == JobStatus.SUCCEEDED
    message.refresh_from_db()
    assert message.status == InboxStatus.DONE and message.job_id == job_id
    lines = graph["primary_quote"]["lines"]
    parents = {line["SBQQ__RequiredBy__c"] for line in lines if line["SBQQ__RequiredBy__c"]}
    packages = [line for line in lines if line["Id"] in parents]
    order_lines = [line for line in lines if not (line["SBQQ__NetTotal__c"] == 0 and line["Id"] in parents)]
    roles = graph["OpportunityContactRoles"]["records"]
    after = totals(ns)
    assert {table: after[table] - before[table] for table in TABLES} == {
        "customer": 1,
        "contact": len(roles),
        "billingaccount": 1,
        "transaction": 1,
        "subscriptionplan": 0,  # the account's plans already exist: used, never duplicated
        "subscription": len(packages),
    }
    assert netsuite_count("customer", graph["AccountId"]) == 1
    assert all(netsuite_count("contact", role["ContactId"]) == 1 for role in roles)
    assert all(netsuite_count("subscription", "SUB-" + package["Id"]) == 1 for package in packages)
    order = ns.get_by_external_id("salesOrder", opportunity_id, expand=True)
    assert order is not None
    assert order["entity"]["id"] == record.netsuite_ids["customer"]
    sent = [(item["quantity"], item["amount"]) for item in order["item"]["items"]]
    assert packages and len(sent) == len(order_lines) > 1
    assert sent == [(line["SBQQ__Quantity__c"], line["SBQQ__NetTotal__c"]) for line in order_lines]
    subscription = ns.get_by_external_id("subscription", "SUB-" + packages[0]["Id"])
    assert subscription is not None
    assert subscription["billingAccount"]["id"] == record.netsuite_ids["billing_account"]

    # Salesforce holds the NetSuite ids.
    back = sf.get_records(
        "Opportunity", [opportunity_id], ["NetSuite_Sales_Order_Id__c", "Concord_Sync_Status__c"]
    )
    assert back[opportunity_id]["NetSuite_Sales_Order_Id__c"] == order["id"]
    assert back[opportunity_id]["Concord_Sync_Status__c"] == "Synced"
    account = sf.get_records("Account", [graph["AccountId"]], ["NetSuite_Id__c"])[graph["AccountId"]]
    assert account["NetSuite_Id__c"] == record.netsuite_ids["customer"]
    contacts = sf.get_records("Contact", [role["ContactId"] for role in roles], ["NetSuite_Id__c"])
    assert all(row["NetSuite_Id__c"] for row in contacts.values())

    # Salesforce redelivers the same notification: acknowledged, stored once, nothing new to run.
    from simulators.salesforce import soap as sim_soap

    redelivery = https_session(salesforce_sim.ca_file).post(
        live_server.url + reverse("sync:inbound-outbound", args=[url_token(listener)]),
        data=sim_soap.envelope(
            organization_id=DEFAULT_ORG_ID,
            action_id=rule_id,
            session_id=None,
            enterprise_url="",
            partner_url="",
            notifications=[
                sim_soap.Notification(message.notification_id, "Opportunity", (("Id", opportunity_id),))
            ],
        ),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
    )
    assert redelivery.status_code == 200 and sim_soap.acknowledged(redelivery.content)
    assert InboxMessage.objects.count() == 1 and tasks.inbox_drain() == []

    # A re-run of the same opportunity (a new event) writes nothing and duplicates nothing.
    from sync.pipeline.inbox import inbox_requeue_opportunity

    inbox_requeue_opportunity(
        opportunity_id=opportunity_id,
        salesforce_connection_id=seeded_connections[0].pk,
        netsuite_connection_id=seeded_connections[1].pk,
        source="rerun",
    )
    (rerun_job,) = tasks.inbox_drain()
    rerun = SyncRecord.objects.get(job_id=rerun_job)
    assert rerun.status == RecordStatus.SYNCED and rerun.writes == 0 and rerun.writes_skipped > 0
    assert totals(ns) == after
