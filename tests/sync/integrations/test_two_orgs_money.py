"""The inbound and money sides of both integrations over HTTPS.

An Outbound Message and the catch-up poll put each org's won deal through the inbox under its own
integration; payments, credit memos, refunds and fulfilment come back to the org whose deal they belong
to, never to the other org that handed out the same Salesforce ids; a second run writes nothing (issue 23,
point 6: every flow of both integrations)."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse

from simulators.salesforce import soap as sim_soap
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.integrations.namespacing import eid_namespaced
from sync.pipeline.models import CrossReference, InboxMessage, InboxStatus, Listener, RecordStatus
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.returns import _same, return_flow_run
from sync.pipeline.runner import run_batch
from sync.pipeline.tasks import inbox_drain
from tests.simulators.conftest import https_session
from tests.sync.integrations.conftest import ACME_ORG_ID, Org, TwoOrgs
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.listener.support import listener_issue, url_token

pytestmark = THREADED_DB


def rows(sf: SalesforceConnector, soql: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "attributes"} for row in sf.query(soql)]


def control(two_orgs: TwoOrgs, action: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    simulator = two_orgs.netsuite
    answer = https_session(simulator.ca_file).post(f"{simulator.url}/_control/netsuite/{action}", json=body)
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def returns(two_orgs: TwoOrgs, org: Org, start: dt.datetime | None = None) -> Any:
    result = return_flow_run(salesforce=org.connection, netsuite=two_orgs.netsuite_connection, start=start)
    assert result.failed == 0 and not result.problems, (org.key, result.problems)
    return result


def test_payments_credits_refunds_and_fulfilment_reach_only_their_own_org(two_orgs: TwoOrgs) -> None:
    a, b, acme = two_orgs.a, two_orgs.b, two_orgs.acme
    ns = two_orgs.ns()
    deal_a = a.closed_won("Alpha Widgets")
    deal_b = b.closed_won("Muster Maschinenbau", country="DE")
    assert deal_a.opportunity == deal_b.opportunity  # the same ids in both orgs
    for org, deal in ((a, deal_a), (b, deal_b)):
        job = run_batch(
            salesforce=org.connection,
            netsuite=two_orgs.netsuite_connection,
            opportunity_ids=[deal.opportunity],
        )
        record = job.records.get()
        assert record.status == RecordStatus.SYNCED, (org.key, record.message)
    orders = {
        key: CrossReference.objects.get(
            integration=integration, netsuite_type="salesOrder", salesforce_id=deal.opportunity
        ).netsuite_id
        for key, integration, deal in (("a", two_orgs.primary, deal_a), ("b", acme, deal_b))
    }
    invoices = {
        row["salesOrder"]: row["invoice"]
        for row in control(two_orgs, "invoice-orders", {"salesOrders": list(orders.values())})
    }
    invoice_b = invoices[orders["b"]]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    returns(two_orgs, a, start)
    returns(two_orgs, b, start)

    # Org B's customer pays half its invoice, is credited part of it and refunded part of the credit; its
    # order is fulfilled. Nothing happens to org A's deal.
    control(two_orgs, "pay-invoices", {"invoices": [invoice_b], "fraction": 0.5})
    customer_b = str(ns.get("invoice", invoice_b)["entity"]["id"])
    memo = ns.create(
        "creditMemo",
        {
            "entity": {"id": customer_b},
            "createdFrom": {"id": invoice_b},
            "item": {"items": [{"item": {"externalId": "SVC-ONB"}, "quantity": 1, "rate": 100}]},
        },
    )
    ns.create(
        "customerRefund",
        {"customer": {"id": customer_b}, "apply": {"items": [{"doc": {"id": memo}, "amount": 40}]}},
    )
    ns.create("itemFulfillment", {"createdFrom": {"id": orders["b"]}, "tranDate": "2026-12-03"})
    first_b = returns(two_orgs, b)
    returns(two_orgs, a)
    assert first_b.written >= 3, first_b

    sf_a, sf_b = a.connector(), b.connector()
    held = ns.get("invoice", invoice_b)
    (invoice_row,) = rows(
        sf_b,
        "SELECT Amount_Paid__c, Amount_Remaining__c FROM Invoice__c "
        f"WHERE NetSuite_Invoice_Id__c = '{invoice_b}'",
    )
    assert _same(invoice_row["Amount_Remaining__c"], held["amountRemaining"])
    assert float(invoice_row["Amount_Paid__c"]) > 0
    (memo_row,) = rows(
        sf_b, "SELECT NetSuite_Credit_Memo_Id__c, Opportunity__c, Amount_Refunded__c FROM Credit_Memo__c"
    )
    assert memo_row["NetSuite_Credit_Memo_Id__c"] == memo and memo_row["Opportunity__c"] == deal_b.opportunity
    assert _same(memo_row["Amount_Refunded__c"], 40)
    assert len(rows(sf_b, "SELECT Id FROM Refund__c")) == 1
    fulfilled = sf_b.get_records("Opportunity", [deal_b.opportunity], ["NetSuite_Fulfillment_Status__c"])
    assert fulfilled[deal_b.opportunity]["NetSuite_Fulfillment_Status__c"] == "Fulfilled"

    # Org A, whose opportunity has the very same id, received none of it.
    assert rows(sf_a, "SELECT Id FROM Credit_Memo__c") == [] and rows(sf_a, "SELECT Id FROM Refund__c") == []
    untouched = sf_a.get_records("Opportunity", [deal_a.opportunity], ["NetSuite_Fulfillment_Status__c"])
    assert untouched[deal_a.opportunity]["NetSuite_Fulfillment_Status__c"] is None
    (invoice_a,) = rows(sf_a, "SELECT NetSuite_Invoice_Id__c, Amount_Paid__c FROM Invoice__c")
    assert invoice_a["NetSuite_Invoice_Id__c"] == invoices[orders["a"]] and not invoice_a["Amount_Paid__c"]

    # The second day: both orgs' return flows run again and write nothing.
    assert returns(two_orgs, b).written == 0 and returns(two_orgs, a).written == 0


def test_an_outbound_message_from_org_b_and_the_catch_up_poll_of_org_a_sync_each_under_its_own_ids(
    two_orgs: TwoOrgs, client: Client
) -> None:
    """Real-time and catch-up for both orgs: org B's Outbound Message (its own org id, its own listener)
    and org A's poll put the same opportunity id in the inbox twice; one drain syncs each under its own
    integration; the second day's poll and drain write nothing new to NetSuite."""
    a, b, acme = two_orgs.a, two_orgs.b, two_orgs.acme
    netsuite = two_orgs.netsuite_connection
    for org in (a, b):
        listener_issue(
            name=f"{org.key}-outbound", salesforce_connection=org.connection, netsuite_connection=netsuite
        )
    listener_b = Listener.objects.get(name="b-outbound")
    Listener.objects.filter(pk=listener_b.pk).update(allowed_org_id=ACME_ORG_ID)
    deal_a = a.closed_won("Alpha Widgets")
    deal_b = b.closed_won("Muster Maschinenbau", country="DE")
    assert deal_a.opportunity == deal_b.opportunity

    body = sim_soap.envelope(
        organization_id=ACME_ORG_ID,
        action_id="04k000000000002AAA",
        session_id=None,
        enterprise_url="https://acme.example/services/Soap/c/62.0",
        partner_url="https://acme.example/services/Soap/u/62.0",
        notifications=[
            sim_soap.Notification(
                "04l000000000009AAA", "Opportunity", (("Id", deal_b.opportunity), ("StageName", "Closed Won"))
            )
        ],
    )
    answer = client.post(
        reverse("sync:inbound-outbound", args=[url_token(listener_b)]),
        data=body,
        content_type="text/xml; charset=utf-8",
        HTTP_SOAPACTION='""',
    )
    assert answer.status_code == 200, answer.content
    assert poll_closed_won(salesforce=a.connection, netsuite=netsuite) >= 1
    inbox = InboxMessage.objects.filter(record_id=deal_a.opportunity)
    assert {row.salesforce_connection_id for row in inbox} == {a.connection.pk, b.connection.pk}

    inbox_drain()
    assert not InboxMessage.objects.exclude(status=InboxStatus.DONE).exists()
    ns = two_orgs.ns()
    for integration, eid in ((two_orgs.primary, deal_a.opportunity), (acme, deal_b.opportunity)):
        reference = CrossReference.objects.get(
            integration=integration, netsuite_type="salesOrder", salesforce_id=eid
        )
        order = ns.get("salesOrder", reference.netsuite_id)
        assert order["externalId"] == eid_namespaced(integration.namespace, eid)
    won_b = b.client.Opportunity.get(deal_b.opportunity)
    assert won_b["ERP_Sync_Status__c"] == "Synced"

    # The second day: the poll of both orgs finds the stamped opportunities again; the drain re-syncs
    # them as no-ops, and NetSuite still holds one order each.
    for org in (a, b):
        poll_closed_won(salesforce=org.connection, netsuite=netsuite)
    inbox_drain()
    assert not InboxMessage.objects.exclude(status=InboxStatus.DONE).exists()
    for integration in (two_orgs.primary, acme):
        eid = eid_namespaced(integration.namespace, deal_a.opportunity)
        assert len(list(ns.suiteql(f"SELECT id FROM transaction WHERE externalid = '{eid}'"))) == 1
