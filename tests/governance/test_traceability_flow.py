"""Traceability over the real pipeline (integration, simulators over HTTPS): an opportunity marked Closed
Won reaches NetSuite through the listener and the inbox, NetSuite bills and collects it, the return flow
brings the invoice and the payment back, and the payment's id traces the whole chain."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from governance.traceability import trace_chain
from simulators.core.runner import RunningSimulator
from sync import tasks
from sync.connections.models import Connection
from sync.connections.services import salesforce_connector
from sync.mappings.models import MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import RecordStatus, ReturnStatus, SyncRecord
from sync.pipeline.returns import return_flow_run
from sync.rules.services import (
    rule_version_approve,
    rule_version_publish,
    rule_version_submit,
    rules_shipped_install,
)
from tests.simulators.conftest import https_session
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.outbound_support import closed_won_listener_wire
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def control(simulator: RunningSimulator, action: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = https_session(simulator.ca_file).post(f"{simulator.url}/_control/netsuite/{action}", json=body)
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert "error" not in result, result
    return dict(result)


def test_it_traces_a_closed_won_deal_from_its_payment_back_to_the_opportunity(
    live_server: Any,
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    revops: User,
    finance: User,
    auditor: User,
    monkeypatch: Any,
) -> None:
    salesforce_sim, netsuite_sim = seeded_simulators
    salesforce, netsuite = seeded_connections
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda *args, **kwargs: None)
    mapping_seed_defaults()  # version 1 of every flow published: the jobs record it
    rule = {version.rule.key: version for version in rules_shipped_install(user=revops)}[
        "amount_matches_quote"
    ]
    rule_version_submit(version=rule, user=revops, reason="go live")
    rule_version_approve(version=rule, user=finance, reason="agreed")
    rule_version_publish(version=rule, user=finance)
    _, sim, _ = closed_won_listener_wire(
        salesforce_sim=salesforce_sim,
        connections=(salesforce, netsuite),
        base_url=live_server.url,
        fields=["Id", "StageName"],
    )
    sf = salesforce_connector(salesforce)
    open_ids = [
        row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsClosed = false ORDER BY Id")
    ]
    opportunity_id = next(
        graph["Id"]
        for graph in sf.fetch_opportunity_graphs(open_ids, FULL_GRAPH).values()
        if graph["primary_quote"] and graph["Amount"] == graph["primary_quote"]["SBQQ__NetAmount__c"]
    )

    sf.update("Opportunity", opportunity_id, {"StageName": "Closed Won"})
    deadline = time.monotonic() + 20
    while int(sim.get(f"{salesforce_sim.url}/_control/salesforce/outbound").json()["delivered"]) < 1:
        assert time.monotonic() < deadline, "the outbound message never arrived"
        time.sleep(0.1)
    (job_id,) = tasks.inbox_drain()
    record = SyncRecord.objects.get(job_id=job_id, opportunity_id=opportunity_id)
    assert record.status == RecordStatus.SYNCED, record.message
    order_id = record.netsuite_ids["sales_order"]

    invoice_id = control(netsuite_sim, "invoice-orders", {"salesOrders": [order_id]})["invoice"]
    payment_id = control(netsuite_sim, "pay-invoices", {"invoices": [invoice_id], "fraction": 0.5})[
        "customerPayment"
    ]
    returned = return_flow_run(
        salesforce=salesforce, netsuite=netsuite, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    assert returned.failed == 0 and returned.job is not None, returned.problems
    assert returned.job.return_records.filter(netsuite_id=invoice_id, status=ReturnStatus.WRITTEN).exists()

    chain = trace_chain(user=auditor, key=payment_id)

    links = {link.ref: link for link in chain.links}
    assert set(links) == {
        f"opportunity:{opportunity_id}",
        f"sales_order:{order_id}",
        f"invoice:{invoice_id}",
        f"payment:{payment_id}",
    }
    assert links[f"sales_order:{order_id}"].parents == [f"opportunity:{opportunity_id}"]
    assert links[f"invoice:{invoice_id}"].parents == [f"sales_order:{order_id}"]
    assert links[f"payment:{payment_id}"].parents == [f"invoice:{invoice_id}"]
    jobs = {event.job_id for event in chain.timeline if event.job_id}
    assert {job_id, returned.job.pk} <= jobs
    assert any(
        e.kind == "inbound" and e.job_id == job_id for e in links[f"opportunity:{opportunity_id}"].events
    )
    published = MappingVersion.objects.filter(status="published")
    versions = {version.flow.key: version.pk for version in published}
    assert {v.pk for v in chain.mapping_versions} >= {
        versions["opportunity_to_netsuite"],
        versions["netsuite_invoice_to_salesforce"],
        versions["netsuite_payment_to_salesforce"],
    }
    assert [v.pk for v in chain.rule_versions] == [rule.pk]
    assert {(o.version_id, o.outcome) for o in chain.rule_outcomes} == {(rule.pk, "passed")}
    # The auditor sees who approved the rule version that ran, from the audit trail.
    assert any(
        entry.content_type.model == "ruleversion" and entry.actor_id == finance.pk
        for entry in chain.audit_entries
    )
    # The Salesforce Invoice__c Id finds the same chain, and the page links the jobs and the version.
    (invoice_c,) = sf.query(f"SELECT Id FROM Invoice__c WHERE NetSuite_Invoice_Id__c = '{invoice_id}'")  # noqa: S608
    assert {link.ref for link in trace_chain(user=auditor, key=invoice_c["Id"]).links} == set(links)
    client = Client()
    client.force_login(auditor)
    page = client.get(reverse("governance:trace"), {"q": payment_id}).content.decode()
    assert reverse("sync:job", args=[job_id]) in page
    assert reverse("sync:job", args=[returned.job.pk]) in page
    assert reverse("sync:mapping-version", args=[versions["opportunity_to_netsuite"]]) in page
