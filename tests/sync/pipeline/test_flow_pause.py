"""Pausing and resuming flows against the simulators over HTTPS: Closed Won notifications arrive over the
real listener while the flow is paused, wait in the inbox, and each syncs once on resume (twice over); a
paused return flow reads nothing of its type, its watermark holds, and it catches up on resume."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from simulators.core.runner import RunningSimulator
from sync import tasks
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.mappings.models import Flow
from sync.pipeline.flows import flow_pause, flow_resume
from sync.pipeline.models import (
    InboxMessage,
    InboxStatus,
    JobStatus,
    PollWatermark,
    RecordStatus,
    SyncJob,
    SyncRecord,
)
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import run_batch
from tests.simulators.conftest import https_session
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.outbound_support import closed_won_listener_wire
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_it_keeps_notifications_while_paused_and_syncs_each_once_on_resume_twice_over(
    live_server: Any,
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    opportunity_flow: Flow,
    revops: User,
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    salesforce_sim, _ = seeded_simulators
    salesforce, netsuite = seeded_connections
    enqueued: list[str] = []
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: enqueued.append(name))
    _, control, _ = closed_won_listener_wire(
        salesforce_sim=salesforce_sim,
        connections=seeded_connections,
        base_url=live_server.url,
        fields=["Id", "Name", "StageName"],
    )
    open_ids = [
        row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsClosed = false ORDER BY Id")
    ]
    graphs = sf.fetch_opportunity_graphs(open_ids, FULL_GRAPH)
    first, second, third = [key for key in open_ids if graphs[key]["primary_quote"]][:3]

    def delivered(count: int) -> Callable[[], bool]:
        return lambda: (
            int(control.get(f"{salesforce_sim.url}/_control/salesforce/outbound").json()["delivered"])
            >= count
        )

    flow_pause(flow=opportunity_flow, user=revops, reason="NetSuite upgrade window")
    sf.update("Opportunity", first, {"StageName": "Closed Won"})
    sf.update("Opportunity", second, {"StageName": "Closed Won"})
    wait_for(delivered(2))
    # The catch-up poll still reads too: the same deals, stored under their own ids.
    assert poll_closed_won(salesforce=salesforce, netsuite=netsuite) >= 2
    waiting = InboxMessage.objects.filter(record_id__in=[first, second])
    assert waiting.count() >= 4 and set(waiting.values_list("status", flat=True)) == {InboxStatus.PENDING}
    assert tasks.inbox_drain() == []  # paused: nothing claimed
    assert set(waiting.values_list("status", flat=True)) == {InboxStatus.PENDING}
    assert not SyncRecord.objects.exists() and netsuite_count("transaction", first) == 0

    enqueued.clear()
    flow_resume(flow=opportunity_flow, user=revops)
    assert enqueued == ["sync.tasks.inbox_drain"]  # resuming asks for a drain at once
    jobs = tasks.inbox_drain()
    assert set(waiting.values_list("status", flat=True)) == {InboxStatus.DONE}
    synced = SyncRecord.objects.filter(opportunity_id__in=[first, second], status=RecordStatus.SYNCED)
    assert sorted(synced.values_list("opportunity_id", flat=True)) == sorted([first, second])  # once each
    assert netsuite_count("transaction", first) == netsuite_count("transaction", second) == 1
    assert all(job_status == JobStatus.SUCCEEDED for job_status in _statuses(jobs))

    # The second day: paused again, another deal arrives, resumed again.
    flow_pause(flow=opportunity_flow, user=revops)
    sf.update("Opportunity", third, {"StageName": "Closed Won"})
    wait_for(delivered(3))
    assert tasks.inbox_drain() == []
    assert InboxMessage.objects.get(record_id=third, source="outbound_message").status == InboxStatus.PENDING
    flow_resume(flow=opportunity_flow, user=revops)
    tasks.inbox_drain()
    assert SyncRecord.objects.filter(opportunity_id=third, status=RecordStatus.SYNCED).count() == 1
    assert SyncRecord.objects.filter(opportunity_id=first).count() == 1  # nothing ran twice
    assert netsuite_count("transaction", third) == 1


def _statuses(job_ids: list[int]) -> list[str]:
    return list(SyncJob.objects.filter(pk__in=job_ids).values_list("status", flat=True))


def _invoice_ids(sf: SalesforceConnector) -> set[str]:
    return {
        row["NetSuite_Invoice_Id__c"] for row in sf.query("SELECT NetSuite_Invoice_Id__c FROM Invoice__c")
    }


def test_it_holds_a_paused_return_flows_changes_and_catches_up_on_resume(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_mappings: None,
    revops: User,
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    netsuite_sim = seeded_simulators[1]
    invoice_flow = Flow.objects.get(key="netsuite_invoice_to_salesforce")
    won = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")][:2]
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=won)
    orders = {r.opportunity_id: r.netsuite_ids["sales_order"] for r in job.records.all()}
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite, start=start).failed == 0
    shared = f"return-flow:{salesforce.pk}:{netsuite.pk}"
    before = PollWatermark.objects.get(name=shared).watermark

    flow_pause(flow=invoice_flow, user=revops)
    time.sleep(1.1)  # NetSuite stamps to the second: the invoice is later than the watermark
    answer = https_session(netsuite_sim.ca_file).post(
        f"{netsuite_sim.url}/_control/netsuite/invoice-orders", json={"salesOrders": [orders[won[0]]]}
    )
    assert answer.status_code == 200, answer.text
    invoice = answer.json()["results"][0]["invoice"]

    paused_run = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert paused_run.failed == 0, paused_run.problems
    assert invoice not in _invoice_ids(sf)  # the paused type read nothing
    # ... while the order status (another flow) still came back: the order is billed now.
    status = sf.get_records("Opportunity", [won[0]], ["NetSuite_Order_Status__c"])[won[0]]
    assert status["NetSuite_Order_Status__c"] == "Billed"
    held = PollWatermark.objects.get(name=f"{shared}:invoice")
    assert held.watermark == before  # where the shared one stood when the type was left out
    moved = PollWatermark.objects.get(name=shared).watermark
    assert before is not None and moved is not None and moved > before  # the others moved on

    again = return_flow_run(salesforce=salesforce, netsuite=netsuite)  # still paused: still held
    assert invoice not in _invoice_ids(sf) and again.failed == 0
    assert PollWatermark.objects.get(name=f"{shared}:invoice").watermark == before

    flow_resume(flow=invoice_flow, user=revops)
    caught_up = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert caught_up.failed == 0, caught_up.problems
    assert invoice in _invoice_ids(sf)
    assert not PollWatermark.objects.filter(name=f"{shared}:invoice").exists()  # caught up: no hold left
