"""The second day of a deal, over HTTPS against both simulators: a won opportunity syncs; a rep reopens
it, CPQ changes its quote (quantities changed, a line removed, a line added) and it is won again; the
pipeline runs again. NetSuite's sales order must hold exactly the new lines and the new total, never the
old and the new side by side (NetSuite adds an update's lines unless ``?replace=item``), also when the
order's write lands and its answer is lost, so that the connector sends it again.

Transactional: the worker threads take NetSuite request slots through the database limiter.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.pipeline.models import RecordStatus, SyncRecord
from sync.pipeline.runner import run_batch
from tests.simulators.conftest import https_session
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB, graph_of

pytestmark = THREADED_DB


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def order_lines(graph: dict[str, Any]) -> list[dict[str, Any]]:
    """The quote lines the mapping puts on the order: all but zero-priced package headers."""
    lines = graph["primary_quote"]["lines"]
    parents = {line["SBQQ__RequiredBy__c"] for line in lines if line["SBQQ__RequiredBy__c"]}
    return [line for line in lines if not (line["SBQQ__NetTotal__c"] == 0 and line["Id"] in parents)]


def expected(graph: dict[str, Any]) -> list[tuple[str, float, float]]:
    return sorted(
        (line["Id"], float(line["SBQQ__Quantity__c"]), float(line["SBQQ__NetTotal__c"]))
        for line in order_lines(graph)
    )


def held(ns: NetSuiteConnector, opportunity_id: str) -> tuple[list[tuple[str, float, float]], float]:
    """The order's lines (quote line id, quantity, amount) and its total, as NetSuite holds them."""
    order = ns.get_by_external_id("salesOrder", opportunity_id, expand=True)
    assert order is not None
    lines = sorted(
        (line["custcol_sf_quote_line_id"], float(line["quantity"]), float(line["amount"]))
        for line in order["item"]["items"]
    )
    return lines, float(order["total"])


def plan_members(ns: NetSuiteConnector, sku: str) -> list[tuple[int, str]]:
    plan = ns.get_by_external_id("subscriptionPlan", sku, expand=True)
    assert plan is not None
    return [(line["lineNumber"], line["item"]["refName"]) for line in plan["member"]["items"]]


def children(graph: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The package lines of the quote: parent line id -> its member lines."""
    found: dict[str, list[dict[str, Any]]] = {}
    for line in graph["primary_quote"]["lines"]:
        if line["SBQQ__RequiredBy__c"]:
            found.setdefault(line["SBQQ__RequiredBy__c"], []).append(line)
    return found


def a_won_deal_to_change(sf: SalesforceConnector) -> dict[str, Any]:
    """A won opportunity with a package of three members or more (it keeps two when one goes)."""
    ids = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")]
    for graph in sf.fetch_opportunity_graphs(ids, FULL_GRAPH).values():
        if graph["primary_quote"] and any(len(members) >= 3 for members in children(graph).values()):
            return graph
    raise AssertionError("the seeded data has no won deal with a package of three members")


def change_the_deal(sf: SalesforceConnector, graph: dict[str, Any]) -> None:
    """Through the Salesforce API, as a rep and CPQ would: reopen, change quantities, remove a line, add a
    line, win again. CPQ keeps each line's net total in step with its quantity."""
    opportunity_id, quote = graph["Id"], graph["primary_quote"]
    sf.update("Opportunity", opportunity_id, {"StageName": "Negotiation/Review"})
    members = next(members for members in children(graph).values() if len(members) >= 3)
    *kept, removed = members
    sf.delete("SBQQ__QuoteLine__c", removed["Id"])
    for line in order_lines(graph):
        if line["Id"] == removed["Id"]:
            continue
        quantity = Decimal(str(line["SBQQ__Quantity__c"]))
        total = Decimal(str(line["SBQQ__NetTotal__c"])) / quantity * (quantity + 3)
        sf.update(
            "SBQQ__QuoteLine__c",
            line["Id"],
            {"SBQQ__Quantity__c": float(quantity + 3), "SBQQ__NetTotal__c": money(total)},
        )
    # A product the quote does not hold yet (NetSuite holds every product of the catalogue as an item).
    codes = {line["SBQQ__ProductCode__c"] for line in quote["lines"]}
    product = next(
        row
        for row in sf.query("SELECT Id, ProductCode FROM Product2 ORDER BY ProductCode")
        if row["ProductCode"] not in codes and not str(row["ProductCode"]).startswith("PKG-")
    )
    price = Decimal("120.50")
    sf.create(
        "SBQQ__QuoteLine__c",
        {
            "SBQQ__Quote__c": quote["Id"],
            "SBQQ__Product__c": product["Id"],
            "SBQQ__Number__c": max(line["SBQQ__Number__c"] or 0 for line in quote["lines"]) + 1,
            "SBQQ__Quantity__c": 4,
            "SBQQ__ListPrice__c": float(price),
            "SBQQ__NetPrice__c": float(price),
            "SBQQ__NetTotal__c": money(price * 4),
        },
    )
    sf.update("Opportunity", opportunity_id, {"StageName": "Closed Won"})


@pytest.mark.parametrize("fault", [None, "timeout_after"])
def test_a_deal_changed_after_it_synced_leaves_exactly_its_new_lines_in_netsuite(
    fault: str | None,
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    salesforce, netsuite = seeded_connections
    graph = a_won_deal_to_change(sf)
    opportunity_id = graph["Id"]
    first = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])
    record = SyncRecord.objects.get(job=first)
    assert record.status == RecordStatus.SYNCED, record.message
    lines, total = held(ns, opportunity_id)
    assert lines == expected(graph) and total == pytest.approx(sum(amount for *_, amount in lines))
    subscriptions = sorted(ns.list_ids("subscription"))
    package = next(line for line in graph["primary_quote"]["lines"] if line["Id"] in children(graph))
    members = plan_members(ns, package["SBQQ__ProductCode__c"])

    change_the_deal(sf, graph)
    changed = graph_of(sf, opportunity_id)
    assert changed["IsWon"] and expected(changed) != expected(graph)
    assert len(expected(changed)) == len(expected(graph))  # one line out, one in
    control = https_session(seeded_simulators[1].ca_file)
    if fault is not None:
        # The order's PUT lands in NetSuite, but its answer never comes: the connector's read time-out
        # fires and it sends the same PUT again.
        netsuite.read_timeout = 2.0
        netsuite.save(update_fields=["read_timeout"])
        governance = seeded_simulators[1].url + "/_control/governance"
        control.patch(governance, json={"timeout_seconds": 4.0}).raise_for_status()
        rule = {"kind": fault, "method": "PUT", "path_contains": f"/salesOrder/eid:{opportunity_id}"}
        control.post(seeded_simulators[1].url + "/_control/faults", json=rule).raise_for_status()

    again = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity_id])

    record = SyncRecord.objects.get(job=again)
    assert record.status == RecordStatus.SYNCED, record.message
    lines, total = held(ns, opportunity_id)
    assert lines == expected(changed)  # exactly the new lines: none of the old ones, none twice
    assert total == pytest.approx(sum(float(line["SBQQ__NetTotal__c"]) for line in order_lines(changed)))
    assert (
        record.netsuite_ids["sales_order"]
        == (ns.get_by_external_id("salesOrder", opportunity_id) or {})["id"]
    )
    order_puts = [
        x["status"] for x in record.exchanges if x["method"] == "PUT" and "/salesOrder/" in x["url"]
    ]
    assert order_puts == ([None, 204] if fault else [204])  # with the fault: lost, then sent again
    # Packages' plans and subscriptions are not duplicated either.
    assert sorted(ns.list_ids("subscription")) == subscriptions
    assert plan_members(ns, package["SBQQ__ProductCode__c"]) == members
    if fault is not None:
        stats = control.get(seeded_simulators[1].url + "/_control/stats").json()
        assert stats["counters"][f"fault_{fault}"] == 1
        assert control.get(seeded_simulators[1].url + "/_control/faults").json() == {"faults": []}
    # Salesforce shows Synced, and now NetSuite holds what it says.
    back = sf.get_records("Opportunity", [opportunity_id], ["Concord_Sync_Status__c"])[opportunity_id]
    assert back["Concord_Sync_Status__c"] == "Synced"


def test_a_new_customer_whose_create_answer_was_lost_keeps_one_billing_address(
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,
) -> None:
    """Any sublist, not only order lines: the customer's create body carries its billing address line; the
    PUT lands, the answer is lost, and the connector's second PUT must not add a second address."""
    salesforce, netsuite = seeded_connections
    graph = a_won_deal_to_change(sf)
    account_id = graph["AccountId"]
    assert ns.get_by_external_id("customer", account_id) is None  # created by this sync
    rule = {"kind": "drop_after", "method": "PUT", "path_contains": f"/customer/eid:{account_id}"}
    control = https_session(seeded_simulators[1].ca_file)
    control.post(seeded_simulators[1].url + "/_control/faults", json=rule).raise_for_status()

    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[graph["Id"]])

    record = SyncRecord.objects.get(job=job)
    assert record.status == RecordStatus.SYNCED, record.message
    customer_puts = [
        x["status"] for x in record.exchanges if x["method"] == "PUT" and "/customer/" in x["url"]
    ]
    assert customer_puts == [None, 204]  # lost, then sent again
    customer = ns.get_by_external_id("customer", account_id, expand=True)
    assert customer is not None
    book = customer["addressBook"]["items"]
    assert [line["addressBookAddress"]["addr1"] for line in book] == [graph["Account"]["BillingStreet"]]
