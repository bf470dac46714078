"""The return flow against the seeded simulators over HTTPS: invoices, payments and order status land in
Salesforce once; the watermark keeps a second run silent; a later payment updates only its invoice.

Transactional: run_batch's worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django_q.models import Schedule

from simulators.core.runner import RunningSimulator
from sync import tasks
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.actions import exception_value_edit
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.pipeline.models import JobStatus, PollWatermark, SyncedInvoice
from sync.pipeline.returns import _same, changed_since, return_flow_run
from sync.pipeline.runner import run_batch
from sync.pipeline.schedules import RETURN_FLOW
from tests.simulators.conftest import https_session
from tests.sync.pipeline.conftest import THREADED_DB

INVOICE_FIELDS = (
    "Id, NetSuite_Invoice_Id__c, Opportunity__c, Amount__c, Amount_Paid__c, Amount_Remaining__c, Status__c, "
    "CurrencyIsoCode, Invoice_Date__c"
)


def control(simulator: RunningSimulator, action: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    answer = https_session(simulator.ca_file).post(f"{simulator.url}/_control/netsuite/{action}", json=body)
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    assert all("error" not in result for result in results), results
    return results


def invoices(sf: SalesforceConnector) -> dict[str, dict[str, Any]]:
    rows = sf.query(f"SELECT {INVOICE_FIELDS}, LastModifiedDate FROM Invoice__c")  # noqa: S608
    return {row["NetSuite_Invoice_Id__c"]: row for row in rows}


@THREADED_DB
def test_it_brings_invoices_payments_and_order_status_back_once(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    netsuite_sim = seeded_simulators[1]
    won = [
        row["Id"] for row in sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id")
    ]
    ids = won[:2]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids)
    assert job.status == JobStatus.SUCCEEDED
    orders = {r.opportunity_id: r.netsuite_ids["sales_order"] for r in job.records.all()}
    billed = control(netsuite_sim, "invoice-orders", {"salesOrders": [orders[i] for i in ids]})
    invoice_of = {result["salesOrder"]: result["invoice"] for result in billed}
    first, second = (invoice_of[orders[i]] for i in ids)
    paid = control(netsuite_sim, "pay-invoices", {"invoices": [first], "fraction": 0.25})[0]["amount"]

    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    # Keyset pages of 2 over transactions that share a second read every one of them exactly once.
    whole = [row["id"] for row in changed_since(ns, start)]
    assert [row["id"] for row in changed_since(ns, start, page_size=2)] == whole
    assert len(whole) == len(set(whole)) == 5  # 2 orders, 2 invoices, 1 payment

    result = return_flow_run(salesforce=salesforce, netsuite=netsuite, start=start, page_size=2)
    assert result.failed == 0, result.problems
    held = invoices(sf)
    assert set(held) == {first, second}
    ns_first, ns_second = ns.get("invoice", first), ns.get("invoice", second)
    assert ns_first["amountPaid"] == paid > 0
    for invoice_id, opportunity_id, ns_invoice, status in (
        (first, ids[0], ns_first, "Partially Paid"),
        (second, ids[1], ns_second, "Open"),
    ):
        row = held[invoice_id]
        assert row["Opportunity__c"] == opportunity_id and row["Status__c"] == status
        assert _same(row["Amount__c"], ns_invoice["total"]) and float(row["Amount__c"]) > 0
        assert _same(row["Amount_Remaining__c"], ns_invoice["amountRemaining"])
        assert _same(row["Amount_Paid__c"], ns_invoice.get("amountPaid") or 0)
    assert _same(held[first]["Amount_Remaining__c"], float(held[first]["Amount__c"]) - paid)
    opportunities = sf.get_records(
        "Opportunity", ids, ["NetSuite_Sales_Order_Id__c", "NetSuite_Order_Status__c"]
    )
    for opportunity_id in ids:
        assert opportunities[opportunity_id]["NetSuite_Sales_Order_Id__c"] == orders[opportunity_id]
        assert opportunities[opportunity_id]["NetSuite_Order_Status__c"] == "Billed"
    mark = PollWatermark.objects.get(name=f"return-flow:{salesforce.pk}:{netsuite.pk}")
    assert mark.watermark is not None and result.watermark == mark.watermark
    # The run is a job whose records keep NetSuite's links: order <- invoice <- payment -> opportunity.
    assert result.job is not None and result.job.flow == "netsuite_to_salesforce"
    assert result.job.status == JobStatus.SUCCEEDED and result.job.correlation_id
    trail = {(r.netsuite_type, r.netsuite_id, r.invoice_id): r for r in result.job.return_records.all()}
    for opportunity_id, invoice_id in ((ids[0], first), (ids[1], second)):
        kept = trail[("invoice", invoice_id, invoice_id)]
        assert (kept.sales_order_id, kept.opportunity_id, kept.status) == (
            orders[opportunity_id],
            opportunity_id,
            "written",
        )
        assert kept.salesforce_id == held[invoice_id]["Id"] and kept.mapping_version_id is None
        order_kept = trail[("salesOrder", orders[opportunity_id], "")]
        assert (order_kept.opportunity_id, order_kept.status) == (opportunity_id, "written")
    (payment_row,) = [row for key, row in trail.items() if key[0] == "customerPayment"]
    assert payment_row.invoice_id == first and payment_row.message == "written with its invoice"

    # Again: the overlap re-reads the same transactions, but Salesforce already holds them.
    again = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert (again.written, again.failed) == (0, 0) and again.unchanged >= 4
    assert again.job is not None and again.job.records_synced == 0
    assert {r.status for r in again.job.return_records.exclude(netsuite_type="customerPayment")} == {
        "unchanged"
    }
    assert invoices(sf) == held

    # A further payment: only that invoice changes.
    control(netsuite_sim, "pay-invoices", {"invoices": [second], "fraction": 1.0})
    later = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert (later.invoices_written, later.opportunities_written, later.failed) == (1, 0, 0)
    after = invoices(sf)
    assert set(after) == {first, second} and after[first] == held[first]
    assert after[second]["Status__c"] == "Paid" and _same(after[second]["Amount_Remaining__c"], 0)
    assert not ExceptionItem.objects.filter(category__key="return_flow").exists()
    # The dashboard's ledger (DSO, quote to cash) holds what Salesforce holds.
    ledger = {
        entry.netsuite_id: entry for entry in SyncedInvoice.objects.filter(netsuite_connection=netsuite)
    }
    assert set(ledger) == {first, second}
    for invoice_id, opportunity_id in ((first, ids[0]), (second, ids[1])):
        entry, sent = ledger[invoice_id], after[invoice_id]
        assert entry.opportunity_id == opportunity_id and entry.currency == sent["CurrencyIsoCode"]
        assert entry.invoice_date == dt.date.fromisoformat(sent["Invoice_Date__c"])
        assert _same(float(entry.amount), sent["Amount__c"]) and _same(
            float(entry.amount_paid), sent["Amount_Paid__c"]
        )
        assert _same(float(entry.amount_remaining), sent["Amount_Remaining__c"])
    assert (
        ledger[second].amount_remaining == 0
        and ledger[second].first_synced_at < ledger[second].last_synced_at
    )


@THREADED_DB
def test_it_opens_an_exception_for_a_record_salesforce_refuses_and_its_retry_writes_it(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    won = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id LIMIT 2")]
    ids = won[:1]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=ids)
    order = job.records.get().netsuite_ids["sales_order"]
    invoice = control(seeded_simulators[1], "invoice-orders", {"salesOrders": [order]})[0]["invoice"]
    sf.delete("Opportunity", ids[0])  # the invoice now points at an opportunity Salesforce no longer has

    result = return_flow_run(
        salesforce=salesforce, netsuite=netsuite, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    assert result.failed == 1 and result.invoices_written == 0
    item = ExceptionItem.objects.get(dedup_key=f"return:{netsuite.pk}:invoice:{invoice}")
    assert item.vendor_code == "ENTITY_IS_DELETED" and "Invoice__c" in item.title
    assert PollWatermark.objects.get(name=f"return-flow:{salesforce.pk}:{netsuite.pk}").watermark is not None
    assert invoices(sf) == {}

    # Someone points the invoice at a live opportunity; the exception's retry writes just that record.
    ns.patch("invoice", invoice, {"custbody_sf_opportunity_id": won[1]})
    tasks.exception_retry_run(item.pk, {})
    assert invoices(sf)[invoice]["Opportunity__c"] == won[1]
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED


@THREADED_DB
def test_it_retries_a_refused_invoice_with_the_edited_value(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
    revops: User,
) -> None:
    """Edit value and retry on a return-flow exception: the retry writes the edited value to Salesforce
    (NetSuite still names the deleted opportunity), and the exception says it was sent."""
    salesforce, netsuite = seeded_connections
    won = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id LIMIT 2")]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=won[:1])
    order = job.records.get().netsuite_ids["sales_order"]
    invoice = control(seeded_simulators[1], "invoice-orders", {"salesOrders": [order]})[0]["invoice"]
    sf.delete("Opportunity", won[0])
    return_flow_run(
        salesforce=salesforce, netsuite=netsuite, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    item = ExceptionItem.objects.get(dedup_key=f"return:{netsuite.pk}:invoice:{invoice}")
    subsidiary_scope_grant(holder=revops, subsidiary=None)

    exception_value_edit(item=item, user=revops, field="invoice.Opportunity__c", new_value=won[1])

    assert invoices(sf)[invoice]["Opportunity__c"] == won[1]
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED
    sent = item.events.get(action=ExceptionAction.OVERRIDE_SENT)
    assert sent.after["invoice.Opportunity__c"] == won[1]


@pytest.mark.django_db
def test_it_schedules_the_return_flow_every_five_minutes() -> None:
    call_command("sync_schedules_ensure")
    call_command("sync_schedules_ensure")
    schedule = Schedule.objects.get(name=RETURN_FLOW)
    assert (schedule.func, schedule.minutes) == ("sync.tasks.return_flow", 5)
    assert Schedule.objects.filter(name=RETURN_FLOW).count() == 1
