"""The return flow's credit memos, refunds, fulfilments and subscription status, with in-memory connectors:
exactly once across runs and after a lost answer, the stages' links, the notes for orgs without CPQ or
accounts without SuiteBilling, an exception per record, and a paused type held back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.exceptions.models import ExceptionItem
from sync.mappings.models import Flow
from sync.pipeline import returns
from sync.pipeline.flows import flow_pause
from sync.pipeline.models import CrossReference, PollWatermark
from sync.pipeline.returns import NO_CPQ_NOTE, NO_SUITEBILLING_NOTE, return_flow_run
from tests.sync.pipeline.return_fakes import FakeNetSuite, FakeSalesforce

ACCOUNT = "001S00000000000001"
OPPORTUNITY = "006S00000000000001"
OTHER_OPPORTUNITY = "006S00000000000002"
QUOTE = "a0qS00000000000001"
CONTRACT = "800S00000000000001"
SUBSCRIPTIONS = ("a0zS00000000000001", "a0zS00000000000002", "a0zS00000000000003", "a0zS00000000000004")
LONG_AGO = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=2)
SF_OBJECTS = (
    "Invoice__c",
    "Credit_Memo__c",
    "Refund__c",
    "Opportunity",
    "Account",
    "Contract",
    "SBQQ__Quote__c",
    "SBQQ__Subscription__c",
)


@pytest.fixture
def pair(db: None) -> tuple[Connection, Connection]:
    salesforce = Connection.objects.create(
        name="sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    netsuite = Connection.objects.create(
        name="ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    return salesforce, netsuite


@pytest.fixture
def fakes(
    pair: tuple[Connection, Connection], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeNetSuite, FakeSalesforce]]:
    ns, sf = FakeNetSuite(), FakeSalesforce(objects=SF_OBJECTS)
    monkeypatch.setattr(returns, "netsuite_connector", lambda connection: ns)
    monkeypatch.setattr(returns, "salesforce_connector", lambda connection: sf)
    # What an earlier sync made: the customer and the order from the account and the opportunity.
    for netsuite_type, netsuite_id, salesforce_id in (
        ("customer", "101", ACCOUNT),
        ("salesOrder", "55", OPPORTUNITY),
        ("salesOrder", "56", OTHER_OPPORTUNITY),
    ):
        CrossReference.objects.create(
            netsuite_connection=pair[1],
            netsuite_type=netsuite_type,
            external_id=salesforce_id,
            netsuite_id=netsuite_id,
            salesforce_id=salesforce_id,
            object_key=netsuite_type,
            payload_hash="",
            synced_at=timezone.now(),
        )
    ns.put("customer", {"id": "101", "custentity_sf_account_id": ACCOUNT}, at=LONG_AGO)
    ns.put("salesOrder", _order("55", OPPORTUNITY, fulfilled=0), at=LONG_AGO)
    ns.put("salesOrder", _order("56", "", fulfilled=0), at=LONG_AGO)  # its id only in the cross-reference
    ns.put("invoice", _invoice(), at=LONG_AGO)
    sf.add("Invoice__c", {"Id": "a01S00000000000907", "NetSuite_Invoice_Id__c": "907"})
    sf.add("Account", {"Id": ACCOUNT})
    sf.add("Opportunity", {"Id": OPPORTUNITY})
    sf.add("Opportunity", {"Id": OTHER_OPPORTUNITY})
    yield ns, sf


def _order(order_id: str, opportunity: str, *, fulfilled: int) -> dict[str, Any]:
    return {
        "id": order_id,
        "tranId": f"SO-{order_id}",
        "custbody_sf_opportunity_id": opportunity or None,
        "orderStatus": {"id": "B"},
        "item": {
            "items": [
                {"line": 1, "quantity": 2, "quantityFulfilled": min(fulfilled, 2)},
                {"line": 2, "quantity": 1, "quantityFulfilled": max(fulfilled - 2, 0)},
            ]
        },
    }


def _invoice() -> dict[str, Any]:
    return {
        "id": "907",
        "tranId": "INV-907",
        "entity": {"id": "101"},
        "createdFrom": {"id": "55"},
        "custbody_sf_opportunity_id": OPPORTUNITY,
        "total": 1000.0,
        "amountRemaining": 1000.0,
        "status": {"id": "A"},
        "currency": {"id": "1"},
        "tranDate": "2026-11-01",
    }


def _memo(remaining: float = 300.0, status: str = "A") -> dict[str, Any]:
    return {
        "id": "950",
        "tranId": "CM-950",
        "tranDate": "2026-12-01",
        "entity": {"id": "101"},
        "createdFrom": {"id": "907"},
        "currency": {"id": "1"},
        "total": 300.0,
        "amountRemaining": remaining,
        "status": {"id": status},
        "apply": {"items": []},
    }


def _refund(refund_id: str, amount: float) -> dict[str, Any]:
    return {
        "id": refund_id,
        "tranId": f"RF-{refund_id}",
        "tranDate": "2026-12-02",
        "customer": {"id": "101"},
        "currency": {"id": "1"},
        "total": amount,
        "apply": {"items": [{"doc": {"id": "950"}, "apply": True, "amount": amount}]},
    }


def run(pair: tuple[Connection, Connection], **options: Any) -> returns.ReturnFlowResult:
    return return_flow_run(salesforce=pair[0], netsuite=pair[1], **options)


def start() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)


def test_it_brings_a_credit_memo_and_its_refund_back_once_linked(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    ns.put("creditMemo", _memo(remaining=180.0))
    ns.put("customerRefund", _refund("970", 120.0))

    first = run(pair, start=start())
    assert first.failed == 0, first.problems
    assert (first.credit_memos_written, first.refunds_written) == (1, 1)
    (memo,) = sf.all("Credit_Memo__c")
    assert memo["NetSuite_Credit_Memo_Id__c"] == "950"
    assert (memo["Account__c"], memo["Opportunity__c"], memo["Invoice__c"]) == (
        ACCOUNT,
        OPPORTUNITY,
        "a01S00000000000907",
    )
    assert (memo["Amount__c"], memo["Amount_Refunded__c"], memo["Amount_Remaining__c"]) == (300, 120, 180)
    assert memo["Status__c"] == "Partially Refunded" and memo["CurrencyIsoCode"] == "USD"
    (refund,) = sf.all("Refund__c")
    assert refund["NetSuite_Refund_Id__c"] == "970" and refund["Credit_Memo__c"] == memo["Id"]
    assert refund["Account__c"] == ACCOUNT and refund["Amount__c"] == 120
    trail = {(r.netsuite_type, r.netsuite_id): r for r in first.job.return_records.all()}  # type: ignore[union-attr]
    assert trail["creditMemo", "950"].invoice_id == "907" and trail["creditMemo", "950"].status == "written"
    assert trail["creditMemo", "950"].opportunity_id == OPPORTUNITY
    assert trail["customerRefund", "970"].status == "written"

    # Again: the overlap re-reads both, Salesforce holds them already, nothing is sent.
    writes = len(sf.writes)
    again = run(pair)
    assert (again.written, again.failed) == (0, 0) and again.unchanged >= 2
    assert len(sf.writes) == writes

    # A second refund empties the memo; its answer is lost after Salesforce applied the write.
    ns.touch("creditMemo", "950", amountRemaining=0.0, status={"id": "B"})
    ns.put("customerRefund", _refund("971", 180.0))
    mark = PollWatermark.objects.get(name=f"return-flow:{pair[0].pk}:{pair[1].pk}").watermark
    sf.lose_next_answer = True
    lost = run(pair)
    assert lost.problems and "read timed out" in lost.problems[0]
    assert PollWatermark.objects.get(name=f"return-flow:{pair[0].pk}:{pair[1].pk}").watermark == mark
    retried = run(pair)  # reads the same again: what was applied is not sent twice, the rest is
    assert retried.failed == 0, retried.problems
    assert len(sf.all("Credit_Memo__c")) == 1 and len(sf.all("Refund__c")) == 2
    (memo,) = sf.all("Credit_Memo__c")
    assert (memo["Amount_Refunded__c"], memo["Amount_Remaining__c"], memo["Status__c"]) == (
        300,
        0,
        "Refunded",
    )
    assert {r["NetSuite_Refund_Id__c"]: r["Amount__c"] for r in sf.all("Refund__c")} == {
        "970": 120,
        "971": 180,
    }
    quiet = run(pair)
    assert quiet.written == 0


def test_a_refund_alone_updates_the_credit_memo_salesforce_holds(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    ns.put("creditMemo", _memo(), at=LONG_AGO)  # synced long ago: not read again
    sf.add(
        "Credit_Memo__c", {"NetSuite_Credit_Memo_Id__c": "950", "Amount_Refunded__c": 0, "Status__c": "Open"}
    )
    ns.touch("creditMemo", "950", amountRemaining=200.0)
    ns.modified["creditMemo", "950"] = LONG_AGO  # NetSuite's stamp of the memo did not move
    ns.put("customerRefund", _refund("970", 100.0))

    result = run(pair, start=start())
    assert result.failed == 0, result.problems
    (memo,) = sf.all("Credit_Memo__c")
    assert (memo["Amount_Refunded__c"], memo["Amount_Remaining__c"], memo["Status__c"]) == (
        100,
        200,
        "Partially Refunded",
    )
    assert sf.all("Refund__c")[0]["Credit_Memo__c"] == memo["Id"]


def test_it_opens_an_exception_for_a_credit_memo_it_cannot_map_and_writes_the_others(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    ns.put("creditMemo", {**_memo(), "currency": {"id": "99"}})  # no such currency in the lookup
    ns.put("customerRefund", _refund("970", 50.0))
    result = run(pair, start=start())
    assert result.failed == 1 and result.refunds_written == 1
    item = ExceptionItem.objects.get(dedup_key=f"return:{pair[1].pk}:creditMemo:950")
    assert "cannot be mapped" in item.title
    assert sf.all("Credit_Memo__c") == []
    assert sf.all("Refund__c")[0].get("Credit_Memo__c") is None  # no memo in Salesforce to link yet


def test_it_writes_the_fulfilment_status_and_date_to_the_opportunity(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    ns.touch("salesOrder", "55", **{"item": _order("55", OPPORTUNITY, fulfilled=1)["item"]})
    ns.modified["salesOrder", "55"] = LONG_AGO
    ns.put("itemFulfillment", {"id": "980", "tranDate": "2026-12-03", "createdFrom": {"id": "55"}})
    # The other order's opportunity is known only through the cross-reference.
    ns.touch("salesOrder", "56", **{"item": _order("56", "", fulfilled=3)["item"]})
    ns.modified["salesOrder", "56"] = LONG_AGO
    ns.put("itemFulfillment", {"id": "981", "tranDate": "2026-12-04", "createdFrom": {"id": "56"}})

    result = run(pair, start=start())
    assert result.failed == 0, result.problems
    opportunities = {row["Id"]: row for row in sf.all("Opportunity")}
    assert opportunities[OPPORTUNITY]["NetSuite_Fulfillment_Status__c"] == "Partially fulfilled"
    assert opportunities[OPPORTUNITY]["NetSuite_Fulfilled_Date__c"] == "2026-12-03"
    assert opportunities[OTHER_OPPORTUNITY]["NetSuite_Fulfillment_Status__c"] == "Fulfilled"
    trail = {r.netsuite_id: r for r in result.job.return_records.all()}  # type: ignore[union-attr]
    assert (trail["980"].sales_order_id, trail["980"].opportunity_id) == ("55", OPPORTUNITY)
    assert trail["981"].opportunity_id == OTHER_OPPORTUNITY

    # The rest of the order ships: fulfilled, with the later date; an older fulfilment re-read (its
    # stamp moved) does not move the date back.
    ns.touch("salesOrder", "55", **{"item": _order("55", OPPORTUNITY, fulfilled=3)["item"]})
    ns.put("itemFulfillment", {"id": "982", "tranDate": "2026-12-06", "createdFrom": {"id": "55"}})
    ns.touch("itemFulfillment", "980", memo="edited")
    later = run(pair)
    assert later.failed == 0, later.problems
    opportunity = {row["Id"]: row for row in sf.all("Opportunity")}[OPPORTUNITY]
    assert opportunity["NetSuite_Fulfillment_Status__c"] == "Fulfilled"
    assert opportunity["NetSuite_Fulfilled_Date__c"] == "2026-12-06"
    writes = len(sf.writes)
    assert run(pair).written == 0 and len(sf.writes) == writes


def _subscription_world(ns: FakeNetSuite, sf: FakeSalesforce, status: str = "ACTIVE") -> None:
    ns.put("subscriptionPlan", {"id": "301", "itemId": "PKG-GROWTH"}, at=LONG_AGO)
    ns.items.update({"7": "PLAT-CORE", "8": "ADDON-X"})
    ns.put(
        "subscription",
        {
            "id": "12",
            "name": "Acme - Growth",
            "subscriptionPlan": {"id": "301"},
            "subscriptionStatus": {"id": status},
            "custrecord_sf_quote_id": QUOTE,
        },
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ns.lines[:] = [
        {"id": "31", "subscription": "12", "linenumber": 1, "item": "7", "status": status, "at": now},
        {"id": "32", "subscription": "12", "linenumber": 2, "item": "8", "status": "NOT_INCLUDED", "at": now},
    ]
    sf.add("SBQQ__Quote__c", {"Id": QUOTE, "SBQQ__Opportunity2__c": OPPORTUNITY})
    sf.add("Contract", {"Id": CONTRACT, "SBQQ__Opportunity__c": OPPORTUNITY, "SBQQ__Quote__c": QUOTE})
    parent, core, addon, elsewhere = SUBSCRIPTIONS
    sf.add(
        "SBQQ__Subscription__c",
        {"Id": parent, "SBQQ__Contract__c": CONTRACT, "SBQQ__ProductCode__c": "PKG-GROWTH"},
    )
    for record_id, code in ((core, "PLAT-CORE"), (addon, "ADDON-X")):
        sf.add(
            "SBQQ__Subscription__c",
            {
                "Id": record_id,
                "SBQQ__Contract__c": CONTRACT,
                "SBQQ__ProductCode__c": code,
                "SBQQ__RequiredById__c": parent,
            },
        )
    sf.add(
        "SBQQ__Subscription__c",
        {"Id": elsewhere, "SBQQ__Contract__c": "800S00000000000009", "SBQQ__ProductCode__c": "PLAT-CORE"},
    )


def _statuses(sf: FakeSalesforce) -> dict[str, tuple[Any, Any]]:
    return {
        row["Id"]: (row.get("NetSuite_Status__c"), row.get("NetSuite_Subscription_Line_Id__c"))
        for row in sf.all("SBQQ__Subscription__c")
    }


def test_it_brings_subscription_status_to_the_contract_and_its_subscriptions(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    _subscription_world(ns, sf)
    parent, core, addon, elsewhere = SUBSCRIPTIONS

    result = run(pair, start=start())
    assert result.failed == 0, result.problems
    assert (result.contracts_written, result.subscriptions_written) == (1, 3)
    (contract,) = sf.all("Contract")
    assert contract["NetSuite_Subscription_Status__c"] == "Active"
    assert contract["NetSuite_Subscription_Id__c"] == "12"
    assert _statuses(sf) == {
        parent: ("Active", None),
        core: ("Active", "31"),
        addon: ("Not Included", "32"),
        elsewhere: (None, None),  # same product, another contract
    }
    (row,) = result.job.return_records.all()  # type: ignore[union-attr]
    assert (row.netsuite_type, row.salesforce_id, row.status) == ("subscription", CONTRACT, "written")

    writes = len(sf.writes)
    assert run(pair).written == 0 and len(sf.writes) == writes  # re-read: nothing sent

    # Terminated by change order: only the lines' stamps move in NetSuite.
    ns.records["subscription", "12"]["subscriptionStatus"] = {"id": "TERMINATED"}
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    for line in ns.lines:
        line["status"], line["at"] = "TERMINATED", later
    terminated = run(pair)
    assert terminated.failed == 0, terminated.problems
    assert sf.all("Contract")[0]["NetSuite_Subscription_Status__c"] == "Terminated"
    assert _statuses(sf)[core] == ("Terminated", "31") and _statuses(sf)[parent] == ("Terminated", None)


def test_a_contract_with_another_active_subscription_stays_active(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    _subscription_world(ns, sf, status="TERMINATED")
    ns.put(
        "subscription",
        {
            "id": "15",
            "subscriptionStatus": {"id": "ACTIVE"},
            "custrecord_sf_quote_id": QUOTE,
            "subscriptionPlan": {"id": "301"},
        },
        at=LONG_AGO,
    )
    assert run(pair, start=start()).failed == 0
    (contract,) = sf.all("Contract")
    assert (contract["NetSuite_Subscription_Status__c"], contract["NetSuite_Subscription_Id__c"]) == (
        "Active",
        "12,15",
    )


def test_an_org_without_cpq_skips_subscriptions_with_a_note(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    _subscription_world(ns, sf)
    for name in ("Contract", "SBQQ__Quote__c", "SBQQ__Subscription__c"):
        del sf.objects[name]
    ns.put("creditMemo", _memo())
    result = run(pair, start=start())
    assert result.failed == 0 and result.problems == []
    assert result.notes == [NO_CPQ_NOTE] and result.credit_memos_written == 1
    assert NO_CPQ_NOTE in result.job.message  # type: ignore[union-attr]
    assert not result.job.return_records.filter(netsuite_type="subscription").exists()  # type: ignore[union-attr]
    assert PollWatermark.objects.get(name=f"return-flow:{pair[0].pk}:{pair[1].pk}").watermark is not None


def test_an_account_without_suitebilling_reads_no_subscriptions(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, _ = fakes
    ns.suitebilling = False
    ns.put("creditMemo", _memo())
    result = run(pair, start=start())
    assert result.failed == 0 and result.notes == [NO_SUITEBILLING_NOTE]
    assert result.credit_memos_written == 1


def test_a_paused_subscription_flow_reads_nothing_until_resumed(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce], revops: User
) -> None:
    ns, sf = fakes
    _subscription_world(ns, sf)
    flow = Flow.objects.create(
        key="netsuite_subscription_to_salesforce", source="subscription", target_system="salesforce"
    )
    flow_pause(flow=flow, user=revops)
    result = run(pair, start=start())
    assert result.failed == 0 and not any("subscription" in query for query in ns.queries)
    assert sf.all("Contract")[0].get("NetSuite_Subscription_Status__c") is None
    held = PollWatermark.objects.get(name=f"return-flow:{pair[0].pk}:{pair[1].pk}:subscription")
    assert held.watermark is not None


def test_a_deal_contracted_after_its_subscription_changed_still_gets_the_status(
    pair: tuple[Connection, Connection], fakes: tuple[FakeNetSuite, FakeSalesforce]
) -> None:
    ns, sf = fakes
    _subscription_world(ns, sf)
    contract = sf.objects["Contract"].pop(CONTRACT)  # CPQ has not contracted the deal yet
    first = run(pair, start=start())
    assert first.failed == 0 and first.written == 0 and first.job is None  # nothing to write, no trail
    for line in ns.lines:
        line["at"] = LONG_AGO
    ns.modified["subscription", "12"] = LONG_AGO  # NetSuite changes nothing more
    sf.add("Contract", contract)  # ... and then the deal is contracted
    later = run(pair)
    assert later.contracts_written == 1, later.problems
    assert sf.all("Contract")[0]["NetSuite_Subscription_Status__c"] == "Active"
    assert run(pair).written == 0  # the contract shows the subscription now: not read again
