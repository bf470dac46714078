"""Credit memos, refunds, fulfilment and subscription status back to Salesforce, against the seeded
simulators over HTTPS through the real connectors: each lands once across runs (and after a write whose
answer was lost), fulfilment reaches the opportunity, a subscription's activation and termination by change
order reach the CPQ contract and its SBQQ__Subscription__c records.

Transactional: run_batch's worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import RecordResult, SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem
from sync.pipeline.models import JobStatus
from sync.pipeline.returns import NO_CPQ_NOTE, _same, return_flow_run
from sync.pipeline.runner import run_batch
from tests.sync.conftest import SEEDED, salesforce_connection_for
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

MEMO_FIELDS = (
    "Id, NetSuite_Credit_Memo_Id__c, Account__c, Opportunity__c, Invoice__c, Amount__c, Amount_Applied__c, "
    "Amount_Remaining__c, Amount_Refunded__c, Status__c, Credit_Date__c"
)
REFUND_FIELDS = "Id, NetSuite_Refund_Id__c, Account__c, Credit_Memo__c, Amount__c, Refund_Date__c"


def hour_ago() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)


def won(sf: SalesforceConnector) -> list[str]:
    rows = sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")
    return [row["Id"] for row in rows]


def synced_order(salesforce: Connection, netsuite: Connection, opportunity_id: str) -> str:
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    assert job.status == JobStatus.SUCCEEDED, job.message
    return str(job.records.get().netsuite_ids["sales_order"])


def rows(sf: SalesforceConnector, soql: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "attributes"} for row in sf.query(soql)]


def test_a_credit_memo_and_its_refund_come_back_once(
    seeded_connections: tuple[Connection, Connection],
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    salesforce, netsuite = seeded_connections
    opportunity = won(sf)[0]
    order = synced_order(salesforce, netsuite, opportunity)
    invoice = ns.transform("salesOrder", order, "invoice")
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite, start=hour_ago()).failed == 0
    (sf_invoice,) = rows(sf, f"SELECT Id FROM Invoice__c WHERE NetSuite_Invoice_Id__c = '{invoice}'")  # noqa: S608
    customer = str(ns.get("invoice", invoice)["entity"]["id"])
    account = str(ns.get("customer", customer)["custentity_sf_account_id"])

    # Finance credits part of the invoice and refunds part of the credit.
    memo = ns.create(
        "creditMemo",
        {
            "entity": {"id": customer},
            "createdFrom": {"id": invoice},
            "item": {"items": [{"item": {"externalId": "SVC-ONB"}, "quantity": 1, "rate": 500}]},
        },
    )
    refund = ns.create(
        "customerRefund",
        {"customer": {"id": customer}, "apply": {"items": [{"doc": {"id": memo}, "amount": 200}]}},
    )
    first = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert first.failed == 0, first.problems
    assert (first.credit_memos_written, first.refunds_written) == (1, 1)
    (held_memo,) = rows(sf, f"SELECT {MEMO_FIELDS} FROM Credit_Memo__c")  # noqa: S608
    ns_memo = ns.get("creditMemo", memo)
    assert held_memo["NetSuite_Credit_Memo_Id__c"] == memo
    assert (held_memo["Account__c"], held_memo["Opportunity__c"], held_memo["Invoice__c"]) == (
        account,
        opportunity,
        sf_invoice["Id"],
    )
    assert _same(held_memo["Amount__c"], ns_memo["total"]) and _same(held_memo["Amount_Refunded__c"], 200)
    assert _same(held_memo["Amount_Remaining__c"], ns_memo["amountRemaining"])
    assert held_memo["Status__c"] == "Partially Refunded"
    (held_refund,) = rows(sf, f"SELECT {REFUND_FIELDS} FROM Refund__c")  # noqa: S608
    assert held_refund["NetSuite_Refund_Id__c"] == refund and held_refund["Credit_Memo__c"] == held_memo["Id"]
    assert held_refund["Account__c"] == account and _same(held_refund["Amount__c"], 200)

    # The second run re-reads both (the overlap): nothing is sent.
    again = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert (again.written, again.failed) == (0, 0) and again.unchanged >= 2

    # The rest is refunded; Salesforce applies the upsert but its answer is lost: the run fails as a whole,
    # the watermark stays, and the next run leaves one record per NetSuite id.
    ns.create("customerRefund", {"customer": {"id": customer}, "apply": {"items": [{"doc": {"id": memo}}]}})
    upsert = SalesforceConnector.collections_upsert
    lost: list[str] = []

    def answer_lost(
        self: SalesforceConnector,
        sobject: str,
        external_field: str,
        records: Sequence[dict[str, Any]],
        **kw: Any,
    ) -> list[RecordResult]:
        results = upsert(self, sobject, external_field, records, **kw)
        if not lost:
            lost.append(sobject)
            raise ConnectorError("salesforce", True, "read timed out", ambiguous=True)
        return results

    monkeypatch.setattr(SalesforceConnector, "collections_upsert", answer_lost)
    failed = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert lost and failed.problems and "read timed out" in failed.problems[0]
    retried = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert retried.failed == 0, retried.problems
    memos = rows(sf, f"SELECT {MEMO_FIELDS} FROM Credit_Memo__c")  # noqa: S608
    refunds = rows(sf, f"SELECT {REFUND_FIELDS} FROM Refund__c")  # noqa: S608
    assert len(memos) == 1 and len(refunds) == 2
    assert memos[0]["Status__c"] == "Refunded" and _same(memos[0]["Amount_Remaining__c"], 0)
    total = float(ns_memo["total"])
    assert _same(memos[0]["Amount_Refunded__c"], total)
    assert sorted(float(r["Amount__c"]) for r in refunds) == [200.0, total - 200]
    assert {r["Credit_Memo__c"] for r in refunds} == {memos[0]["Id"]}
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite).written == 0
    assert not ExceptionItem.objects.filter(category__key="return_flow").exists()


def test_an_item_fulfilment_sets_the_opportunitys_fulfilment_status(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    opportunity = won(sf)[1]
    order = synced_order(salesforce, netsuite, opportunity)
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite, start=hour_ago()).failed == 0
    status = sf.get_records("Opportunity", [opportunity], ["NetSuite_Fulfillment_Status__c"])[opportunity]
    assert status["NetSuite_Fulfillment_Status__c"] is None  # no fulfilment yet: nothing written

    ns.create(
        "itemFulfillment",
        {
            "createdFrom": {"id": order},
            "tranDate": "2026-12-01",
            "item": {"items": [{"orderLine": 1, "quantity": 1}]},
        },
    )
    partly = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert partly.failed == 0, partly.problems
    fields = ["NetSuite_Fulfillment_Status__c", "NetSuite_Fulfilled_Date__c", "NetSuite_Order_Status__c"]
    held = sf.get_records("Opportunity", [opportunity], fields)[opportunity]
    assert held["NetSuite_Fulfillment_Status__c"] == "Partially fulfilled"
    assert held["NetSuite_Fulfilled_Date__c"] == "2026-12-01"

    ns.create("itemFulfillment", {"createdFrom": {"id": order}, "tranDate": "2026-12-03"})  # the rest
    whole = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert whole.failed == 0, whole.problems
    held = sf.get_records("Opportunity", [opportunity], fields)[opportunity]
    assert (held["NetSuite_Fulfillment_Status__c"], held["NetSuite_Fulfilled_Date__c"]) == (
        "Fulfilled",
        "2026-12-03",
    )
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite).written == 0


def _change_order(ns: NetSuiteConnector, subscription: str, action: str, date: str) -> None:
    ns.create(
        "subscriptionChangeOrder",
        {"action": action, "subscription": {"id": subscription}, "effectiveDate": date},
    )


def _subscription_state(sf: SalesforceConnector, contract: str) -> dict[str, tuple[Any, Any]]:
    found = rows(
        sf,
        "SELECT SBQQ__ProductCode__c, NetSuite_Status__c, NetSuite_Subscription_Line_Id__c "  # noqa: S608
        f"FROM SBQQ__Subscription__c WHERE SBQQ__Contract__c = '{contract}'",
    )
    return {
        row["SBQQ__ProductCode__c"]: (row["NetSuite_Status__c"], row["NetSuite_Subscription_Line_Id__c"])
        for row in found
    }


def test_subscription_activation_and_termination_reach_the_contract_and_its_subscriptions(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    graphs = sf.fetch_opportunity_graphs(won(sf))
    opportunity = next(key for key, graph in graphs.items() if graph["primary_quote"])
    quote = graphs[opportunity]["primary_quote"]["Id"]
    synced_order(salesforce, netsuite, opportunity)
    sf.update("Opportunity", opportunity, {"SBQQ__Contracted__c": True})  # CPQ contracts the won deal
    (contract,) = rows(sf, f"SELECT Id FROM Contract WHERE SBQQ__Opportunity__c = '{opportunity}'")  # noqa: S608
    subscriptions = [
        row["id"]
        for row in ns.suiteql(f"SELECT id FROM subscription WHERE custrecord_sf_quote_id = '{quote}'")  # noqa: S608
    ]
    assert subscriptions
    starts = {sub: str(ns.get("subscription", sub)["startDate"]) for sub in subscriptions}
    for sub in subscriptions:  # the Closed Won flow activated each by change order, its lines included
        status = ns.get("subscription", sub)["subscriptionStatus"]
        assert (status.get("id") if isinstance(status, dict) else status) == "ACTIVE"

    active = return_flow_run(salesforce=salesforce, netsuite=netsuite, start=hour_ago())
    assert active.failed == 0, active.problems
    held = sf.get_records(
        "Contract", [contract["Id"]], ["NetSuite_Subscription_Status__c", "NetSuite_Subscription_Id__c"]
    )[contract["Id"]]
    assert held["NetSuite_Subscription_Status__c"] == "Active"
    assert sorted(held["NetSuite_Subscription_Id__c"].split(",")) == sorted(subscriptions)
    state = _subscription_state(sf, contract["Id"])
    lines = {
        str(row["id"])
        for sub in subscriptions
        for row in ns.suiteql(f"SELECT id FROM subscriptionline WHERE subscription = {int(sub)}")  # noqa: S608
    }
    packages = {code for code, (_, line) in state.items() if line is None}
    assert packages and all(code.startswith("PKG-") for code in packages)
    members = {code: value for code, value in state.items() if code not in packages}
    assert members and all(status == "Active" and line in lines for status, line in members.values())
    assert all(state[code][0] == "Active" for code in packages)
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite).written == 0  # re-read: nothing sent

    # Cancelled: every subscription terminated by change order a month in.
    for sub, start in starts.items():
        _change_order(
            ns, sub, "TERMINATE", (dt.date.fromisoformat(start) + dt.timedelta(days=30)).isoformat()
        )
    ended = return_flow_run(salesforce=salesforce, netsuite=netsuite)
    assert ended.failed == 0, ended.problems
    held = sf.get_records("Contract", [contract["Id"]], ["NetSuite_Subscription_Status__c"])[contract["Id"]]
    assert held["NetSuite_Subscription_Status__c"] == "Terminated"
    assert {status for status, _ in _subscription_state(sf, contract["Id"]).values()} == {"Terminated"}
    assert return_flow_run(salesforce=salesforce, netsuite=netsuite).written == 0


def test_an_org_without_cpq_gets_no_subscription_status_but_a_note(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
    tmp_path: Path,
) -> None:
    salesforce, netsuite = seeded_connections
    graphs = sf.fetch_opportunity_graphs(won(sf))
    opportunity = next(key for key, graph in graphs.items() if graph["primary_quote"])
    synced_order(salesforce, netsuite, opportunity)  # NetSuite now holds subscriptions made from a quote
    assert list(ns.suiteql("SELECT id FROM subscription WHERE custrecord_sf_quote_id IS NOT NULL"))
    seed_salesforce(tmp_path / "no-cpq", SEEDED, cpq=False)
    running = start_in_thread(SALESFORCE_SPEC, tmp_path / "no-cpq", cpq=False)
    try:
        plain = salesforce_connection_for(running, name="sf-no-cpq")
        result = return_flow_run(salesforce=plain, netsuite=netsuite, start=hour_ago())
        again = return_flow_run(salesforce=plain, netsuite=netsuite)
    finally:
        running.stop()
    assert result.failed == 0 and result.problems == [], result.problems
    assert result.notes == [NO_CPQ_NOTE] and result.contracts_written == result.subscriptions_written == 0
    assert result.job is not None and NO_CPQ_NOTE in result.job.message
    assert not result.job.return_records.filter(netsuite_type="subscription").exists()
    assert again.failed == 0 and again.problems == []
