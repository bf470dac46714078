"""A sales order's life in the NetSuite simulator over HTTPS: fulfilment, billing and closing and what they
lock; credit memos and customer refunds; all readable through SuiteQL's ``transaction``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator
from simulators.dataset import Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import seed


@pytest.fixture
def ns(netsuite_sim: RunningSimulator, simulator_dir: Path) -> RestClient:
    seed(simulator_dir, Dataset())
    return RestClient(netsuite_sim.url, netsuite_sim.ca_file)


def detail(answer: Any) -> dict[str, str]:
    assert answer.status_code == 400, answer.text
    return dict(answer.json()["o:errorDetails"][0])


def new_order(ns: RestClient, name: str = "Lifecycle Co") -> tuple[str, str]:
    customer = ns.create("customer", {"companyName": name, "subsidiary": {"externalId": "US"}})
    order = ns.create(
        "salesOrder",
        {
            "entity": {"id": customer},
            "item": {
                "items": [
                    {"item": {"externalId": "HW-GW"}, "quantity": 10, "rate": 100},
                    {"item": {"externalId": "SVC-ONB"}, "quantity": 1, "rate": 500},
                ]
            },
        },
    )
    return customer, order


def order_of(ns: RestClient, order: str) -> dict[str, Any]:
    return ns.get("salesOrder", order, expandSubResources="true")


def patch(ns: RestClient, record: str, key: str, body: dict[str, Any], **params: str) -> Any:
    return ns.request("PATCH", f"record/v1/{record}/{key}", json=body, params=params)


def test_fulfilment_moves_the_order_and_locks_what_was_fulfilled(ns: RestClient) -> None:
    _, order = new_order(ns)
    first = ns.create(
        "itemFulfillment",
        {"createdFrom": {"id": order}, "item": {"items": [{"orderLine": 1, "quantity": 4}]}},
    )
    record = order_of(ns, order)
    assert record["orderStatus"]["id"] == "E"
    assert [line["quantityFulfilled"] for line in record["item"]["items"]] == [4, 0]
    fulfilment = ns.get("itemFulfillment", first)
    assert (
        fulfilment["shipStatus"]["refName"] == "Shipped"
        and fulfilment["entity"]["id"] == record["entity"]["id"]
    )
    too_many = ns.request(
        "POST",
        "record/v1/itemFulfillment",
        json={"createdFrom": {"id": order}, "item": {"items": [{"orderLine": 1, "quantity": 7}]}},
    )
    assert detail(too_many)["o:errorPath"] == "item.items[0].quantity"
    # Below the fulfilled quantity, or removing the fulfilled line: refused. Above it: fine.
    lower = patch(ns, "salesOrder", order, {"item": {"items": [{"line": 1, "quantity": 3}]}})
    assert detail(lower)["o:errorPath"] == "item.items[0].quantity"
    removed = patch(
        ns,
        "salesOrder",
        order,
        {"item": {"items": [{"item": {"externalId": "SVC-ONB"}, "quantity": 1}]}},
        replace="item",
    )
    assert "fulfilled" in detail(removed)["detail"]
    assert (
        patch(ns, "salesOrder", order, {"item": {"items": [{"line": 1, "quantity": 12}]}}).status_code == 204
    )
    # The rest, without lines: everything left.
    ns.create("itemFulfillment", {"createdFrom": {"id": order}, "shipStatus": "A"})
    record = order_of(ns, order)
    assert record["orderStatus"]["id"] == "F"
    assert [line["quantityFulfilled"] for line in record["item"]["items"]] == [12, 1]
    assert detail(ns.request("DELETE", f"record/v1/salesOrder/{order}"))
    # Billed: lines locked, the same lines again are no change.
    invoiced = ns.request("POST", f"record/v1/salesOrder/{order}/!transform/invoice")
    assert invoiced.status_code == 204, invoiced.text
    record = order_of(ns, order)
    assert record["orderStatus"]["id"] == "G" and record["item"]["items"][0]["quantityBilled"] == 12
    locked = patch(ns, "salesOrder", order, {"item": {"items": [{"line": 2, "quantity": 2}]}})
    assert "Billed" in detail(locked)["detail"]
    same = patch(ns, "salesOrder", order, {"memo": "again", "item": {"items": [{"line": 2, "quantity": 1}]}})
    assert same.status_code == 204, same.text
    rows = ns.suiteql(
        "SELECT id, type, BUILTIN.DF(status) AS status, createdfrom, lastmodifieddate FROM transaction "
        "WHERE type = 'ItemShip' ORDER BY id"
    ).json()["items"]
    assert [(r["type"], r["createdfrom"]) for r in rows] == [("ItemShip", order), ("ItemShip", order)]
    assert [r["status"] for r in rows] == ["Shipped", "Picked"] and all(r["lastmodifieddate"] for r in rows)


def test_closing_an_order_by_its_lines(ns: RestClient) -> None:
    _, order = new_order(ns)
    lines = order_of(ns, order)["item"]["items"]
    closed = patch(
        ns,
        "salesOrder",
        order,
        {"item": {"items": [{"line": int(line["line"]), "isClosed": True} for line in lines]}},
        replace="item",
    )
    assert closed.status_code == 204, closed.text
    record = order_of(ns, order)
    assert record["orderStatus"]["refName"] == "Closed"
    assert all(line["isClosed"] for line in record["item"]["items"])
    reopened = patch(ns, "salesOrder", order, {"item": {"items": [{"line": 1, "isClosed": False}]}})
    assert "Closed" in detail(reopened)["detail"]
    shipped = ns.request("POST", "record/v1/itemFulfillment", json={"createdFrom": {"id": order}})
    assert detail(shipped)["o:errorPath"] == "createdFrom"
    billed = ns.request("POST", f"record/v1/salesOrder/{order}/!transform/invoice")
    assert detail(billed)


def test_credit_memos_and_refunds(ns: RestClient) -> None:
    customer, order = new_order(ns, "Refunded Co")
    invoiced = ns.request("POST", f"record/v1/salesOrder/{order}/!transform/invoice")
    invoice = invoiced.headers["Location"].rsplit("/", 1)[-1]
    assert ns.get("invoice", invoice)["amountRemaining"] == 1500
    memo = ns.create(
        "creditMemo",
        {
            "entity": {"id": customer},
            "createdFrom": {"id": invoice},
            "item": {"items": [{"item": {"externalId": "SVC-ONB"}, "quantity": 1, "rate": 500}]},
            "apply": {"items": [{"doc": {"id": invoice}, "amount": 200}]},
        },
    )
    credit = ns.get("creditMemo", memo)
    assert credit["total"] == 500 and credit["applied"] == 200 and credit["amountRemaining"] == 300
    assert credit["status"]["refName"] == "Open"
    assert ns.get("invoice", invoice)["amountRemaining"] == 1300
    other, _ = new_order(ns, "Someone Else")
    stranger = ns.request(
        "POST",
        "record/v1/customerRefund",
        json={"customer": {"id": other}, "apply": {"items": [{"doc": {"id": memo}, "amount": 10}]}},
    )
    assert detail(stranger)["o:errorPath"] == "apply.items[0].doc"
    too_much = ns.request(
        "POST",
        "record/v1/customerRefund",
        json={"customer": {"id": customer}, "apply": {"items": [{"doc": {"id": memo}, "amount": 301}]}},
    )
    assert detail(too_much)["o:errorPath"] == "apply.items[0].amount"
    refund = ns.create(
        "customerRefund", {"customer": {"id": customer}, "apply": {"items": [{"doc": {"id": memo}}]}}
    )
    assert ns.get("customerRefund", refund)["total"] == 300
    credit = ns.get("creditMemo", memo)
    assert credit["amountRemaining"] == 0 and credit["amountRefunded"] == 300
    assert credit["status"]["refName"] == "Fully Applied"
    assert detail(ns.request("DELETE", f"record/v1/creditMemo/{memo}"))
    rows = ns.suiteql(
        "SELECT id, type, entity, foreigntotal, foreignamountremaining, lastmodifieddate FROM transaction "
        "WHERE type IN ('CustCred', 'CustRfnd') ORDER BY id"
    ).json()["items"]
    assert [(r["type"], r["entity"], r["foreigntotal"]) for r in rows] == [
        ("CustCred", customer, "500"),
        ("CustRfnd", customer, "300"),
    ]
    # Deleting the refund gives the credit back.
    assert ns.request("DELETE", f"record/v1/customerRefund/{refund}").status_code == 204
    assert ns.get("creditMemo", memo)["amountRemaining"] == 300


def test_transforms_fulfil_credit_and_refund(ns: RestClient) -> None:
    customer, order = new_order(ns, "Transformed Co")

    def transform(source: str, key: str, target: str) -> str:
        answer = ns.request("POST", f"record/v1/{source}/{key}/!transform/{target}")
        assert answer.status_code == 204, answer.text
        assert f"/record/v1/{target}/" in answer.headers["Location"]
        return str(answer.headers["Location"].rsplit("/", 1)[-1])

    transform("salesOrder", order, "itemFulfillment")
    assert order_of(ns, order)["orderStatus"]["refName"] == "Pending Billing"
    invoice = transform("salesOrder", order, "invoice")
    memo = transform("invoice", invoice, "creditMemo")
    credit = ns.get("creditMemo", memo, expandSubResources="true")
    assert credit["total"] == 1500 and credit["entity"]["id"] == customer
    assert [line["item"]["refName"] for line in credit["item"]["items"]] == ["HW-GW", "SVC-ONB"]
    refund = transform("creditMemo", memo, "customerRefund")
    assert ns.get("customerRefund", refund)["total"] == 1500
    assert ns.get("creditMemo", memo)["status"]["id"] == "B"
