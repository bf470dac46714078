"""A bulk retry against the simulators over HTTPS: two invoices Salesforce refused (their opportunity was
deleted) are found by the queue's flow filter, fixed in NetSuite and retried in one call under one reason;
each retry writes its own record and closes its own exception, each with its own history."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User

from simulators.core.runner import RunningSimulator
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import run_batch
from tests.api_support import token_client
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.test_returns import control, invoices


@THREADED_DB
def test_a_bulk_retry_writes_each_fixed_invoice_and_closes_its_exception(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    revops: User,
) -> None:
    salesforce, netsuite = seeded_connections
    won = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id LIMIT 3")]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=won[:2])
    orders = [record.netsuite_ids["sales_order"] for record in job.records.order_by("opportunity_id")]
    made = control(seeded_simulators[1], "invoice-orders", {"salesOrders": orders})
    refused = [result["invoice"] for result in made]
    for opportunity in won[:2]:
        sf.delete("Opportunity", opportunity)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite, start=start).failed == 2
    subsidiary_scope_grant(holder=revops, subsidiary=None)
    api = token_client(revops)

    listed = api.get("/api/v1/exceptions/", {"flow": "netsuite_invoice_to_salesforce", "sort": "id"}).json()
    ids = [row["id"] for row in listed["results"]]
    assert len(ids) == 2 and listed["count"] == 2
    assert api.get("/api/v1/exceptions/", {"flow": "opportunity_to_netsuite"}).json()["results"] == []

    for invoice in refused:  # the fix, made in NetSuite
        ns.patch("invoice", invoice, {"custbody_sf_opportunity_id": won[2]})
    answer = api.post(
        "/api/v1/exceptions/bulk/",
        {"ids": ids, "action": "retry", "reason": "Invoices re-pointed at the live deal"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["done"] == ids and answer.json()["refused"] == []
    written = invoices(sf)
    assert {invoice: written[invoice]["Opportunity__c"] for invoice in refused} == dict.fromkeys(
        refused, won[2]
    )
    for item in ExceptionItem.objects.filter(pk__in=ids):
        assert item.status == ExceptionStatus.RESOLVED
        retry = item.events.get(action=ExceptionAction.RETRY)
        assert (retry.actor, retry.reason) == (revops, "Invoices re-pointed at the live deal")

    # The second day: the same selection again is refused per exception (closed), nothing is rewritten.
    again = api.post(
        "/api/v1/exceptions/bulk/",
        {"ids": ids, "action": "retry", "reason": "again"},
        content_type="application/json",
    ).json()
    assert again["done"] == [] and {r["error"] for r in again["refused"]} == {"This exception is closed."}
