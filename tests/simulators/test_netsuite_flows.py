"""NetSuite simulator flows: billing and payment (the return flow), subscriptions, customisation, seeding,
restarts and the command line."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simulators.core.runner import READY_PREFIX, RunningSimulator, start_in_thread
from simulators.dataset import PACKAGES, PRODUCTS, Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import seed
from simulators.netsuite.spec import SPEC
from simulators.netsuite.store import database_path
from tests.simulators.conftest import https_session


@pytest.fixture
def ns(netsuite_sim: RunningSimulator, simulator_dir: Path) -> RestClient:
    seed(simulator_dir, Dataset())
    return RestClient(netsuite_sim.url, netsuite_sim.ca_file)


def new_order(ns: RestClient, name: str = "Initech Labs", quantity: int = 10) -> tuple[str, str]:
    customer = ns.create(
        "customer",
        {"companyName": name, "subsidiary": {"externalId": "US"}, "terms": {"externalId": "NET_30"}},
    )
    order = ns.create(
        "salesOrder",
        {
            "entity": {"id": customer},
            "tranDate": "2026-03-01",
            "item": {
                "items": [
                    {"item": {"externalId": "PLAT-CORE"}, "quantity": quantity},
                    {"item": {"externalId": "SVC-ONB"}, "quantity": 1},
                ]
            },
        },
    )
    return customer, order


def detail(answer: Any) -> dict[str, str]:
    assert answer.status_code == 400, answer.text
    return dict(answer.json()["o:errorDetails"][0])


def test_an_order_is_invoiced_and_paid_through_record_transforms(ns: RestClient) -> None:
    customer, order = new_order(ns)
    answer = ns.request("POST", f"record/v1/salesOrder/{order}/!transform/invoice", json={"memo": "March"})
    assert answer.status_code == 204
    invoice_id = answer.headers["Location"].rsplit("/", 1)[-1]
    assert "/record/v1/invoice/" in answer.headers["Location"]
    invoice = ns.get("invoice", invoice_id, expandSubResources="true")
    assert invoice["createdFrom"]["id"] == order and invoice["entity"]["id"] == customer
    assert invoice["total"] == invoice["amountRemaining"] == 450 + 4500
    assert invoice["status"] == {"id": "A", "refName": "Open"} and invoice["memo"] == "March"
    due = dt.date.fromisoformat(invoice["tranDate"]) + dt.timedelta(days=30)  # Net 30, the customer's terms
    assert invoice["dueDate"] == due.isoformat()
    assert [line["item"]["refName"] for line in invoice["item"]["items"]] == ["PLAT-CORE", "SVC-ONB"]
    assert ns.get("salesOrder", order)["orderStatus"]["refName"] == "Billed"
    assert (
        "already billed"
        in detail(ns.request("POST", f"record/v1/salesOrder/{order}/!transform/invoice"))["detail"]
    )

    paid = ns.request("POST", f"record/v1/invoice/{invoice_id}/!transform/customerPayment")
    assert paid.status_code == 204 and "/record/v1/customerPayment/" in paid.headers["Location"]
    invoice = ns.get("invoice", invoice_id)
    assert invoice["amountRemaining"] == 0 and invoice["status"]["refName"] == "Paid In Full"
    row = ns.suiteql(
        f"SELECT BUILTIN.DF(status) AS status, foreignamountremaining FROM transaction "  # noqa: S608
        f"WHERE id = {invoice_id}"
    ).json()["items"][0]
    assert (row["status"], row["foreignamountremaining"]) == ("Paid In Full", "0")


def test_payments_apply_partially_are_checked_and_can_be_undone(ns: RestClient) -> None:
    customer, order = new_order(ns)
    invoice = ns.request("POST", f"record/v1/salesOrder/{order}/!transform/invoice").headers["Location"]
    invoice_id = invoice.rsplit("/", 1)[-1]
    payment = ns.create(
        "customerPayment",
        {
            "customer": {"id": customer},
            "payment": 1000,
            "apply": {"items": [{"doc": {"id": invoice_id}, "amount": 1000}]},
        },
    )
    assert ns.get("invoice", invoice_id)["amountRemaining"] == 3950
    lines = ns.get("customerPayment", payment, expandSubResources="true")["apply"]["items"]
    assert lines[0]["doc"]["refName"] == f"Invoice #INV{invoice_id}" and lines[0]["due"] == 4950
    too_much = ns.request(
        "POST",
        "record/v1/customerPayment",
        json={
            "customer": {"id": customer},
            "payment": 5000,
            "apply": {"items": [{"doc": {"id": invoice_id}, "amount": 5000}]},
        },
    )
    assert detail(too_much)["o:errorPath"] == "apply.items[0].amount"
    stranger = ns.create("customer", {"companyName": "Stranger", "subsidiary": {"id": "1"}})
    foreign = ns.request(
        "POST",
        "record/v1/customerPayment",
        json={"customer": {"id": stranger}, "payment": 10, "apply": {"items": [{"doc": {"id": invoice_id}}]}},
    )
    assert detail(foreign)["o:errorPath"] == "apply.items[0].doc"
    assert ns.request("DELETE", f"record/v1/invoice/{invoice_id}").status_code == 400  # it has a payment
    assert ns.request("DELETE", f"record/v1/customerPayment/{payment}").status_code == 204
    assert ns.get("invoice", invoice_id)["amountRemaining"] == 4950


def test_controls_drive_the_return_flow_with_fresh_modification_dates(
    ns: RestClient, netsuite_sim: RunningSimulator
) -> None:
    orders = [new_order(ns, f"Flow Co {n}", quantity=n + 1)[1] for n in range(4)]
    mark = ns.suiteql("SELECT TO_CHAR(MAX(lastmodifieddate), 'YYYY-MM-DD HH24:MI:SS') AS m FROM transaction")
    watermark = mark.json()["items"][0]["m"]
    control = https_session(netsuite_sim.ca_file)
    billed = control.post(
        netsuite_sim.url + "/_control/netsuite/invoice-orders", json={"all_open": True}
    ).json()
    invoices = [result["invoice"] for result in billed["results"]]
    assert [result["salesOrder"] for result in billed["results"]] == orders and len(invoices) == 4
    half = control.post(
        netsuite_sim.url + "/_control/netsuite/pay-invoices", json={"invoices": invoices[:2], "fraction": 0.5}
    ).json()["results"]
    assert half[0]["amount"] == (45 + 4500) / 2
    rest = control.post(netsuite_sim.url + "/_control/netsuite/pay-invoices", json={"all_open": True}).json()
    assert len(rest["results"]) == 4
    open_left = ns.suiteql("SELECT COUNT(*) AS n FROM transaction WHERE type = 'CustInvc' AND status = 'A'")
    assert open_left.json()["items"][0]["n"] == "0"
    changed = ns.suiteql(
        f"SELECT type, COUNT(*) AS n FROM transaction WHERE lastmodifieddate >= "  # noqa: S608
        f"TO_TIMESTAMP('{watermark}', 'YYYY-MM-DD HH24:MI:SS') GROUP BY type ORDER BY type"
    )
    counts = {row["type"]: int(row["n"]) for row in changed.json()["items"]}
    assert counts["CustInvc"] == 4 and counts["CustPymt"] == 6
    bad = control.post(netsuite_sim.url + "/_control/netsuite/pay-invoices", json={"invoices": "all"})
    assert bad.status_code == 400


def test_subscriptions_use_the_seeded_plans_and_price_books(ns: RestClient) -> None:
    customer = ns.create("customer", {"companyName": "Subscriber", "subsidiary": {"externalId": "UK"}})
    account = ns.create(
        "billingAccount",
        {
            "customer": {"id": customer},
            "billingSchedule": {"externalId": "MONTHLY"},
            "startDate": "2026-04-01",
        },
    )
    record = ns.get("billingAccount", account)
    assert record["currency"]["refName"] == "British Pound" and record["name"] == "Subscriber Billing Account"
    subscription = ns.create(
        "subscription",
        {
            "customer": {"id": customer},
            "billingAccount": {"id": account},
            "subscriptionPlan": {"externalId": "PKG-GROWTH"},
            "priceBook": {"externalId": "PKG-GROWTH-GBP"},
            "startDate": "2026-04-01",
            "externalId": "Q-0001",
        },
    )
    created = ns.get("subscription", subscription)
    assert created["endDate"] == "2028-03-31" and created["initialTerm"]["refName"] == "24 Months"
    assert created["subscriptionStatus"]["id"] == "DRAFT"
    wrong_book = ns.request(
        "POST",
        "record/v1/subscription",
        json={
            "customer": {"id": customer},
            "billingAccount": {"id": account},
            "subscriptionPlan": {"externalId": "PKG-GROWTH"},
            "priceBook": {"externalId": "PKG-STARTER-GBP"},
            "startDate": "2026-04-01",
        },
    )
    assert detail(wrong_book)["o:errorPath"] == "priceBook"
    plan = ns.get("subscriptionPlan", "eid:PKG-GROWTH", expandSubResources="true")
    assert [line["item"]["refName"] for line in plan["member"]["items"]] == [
        "PKG-GROWTH",
        "PLAT-CORE",
        "PLAT-ANL",
        "SUP-PREM",
    ]


def test_custom_fields_declared_at_run_time_are_writable_and_queryable(
    ns: RestClient, netsuite_sim: RunningSimulator
) -> None:
    control = https_session(netsuite_sim.ca_file)
    declared = control.post(
        netsuite_sim.url + "/_control/netsuite/custom-fields",
        json={"recordType": "customer", "id": "custentity_tier", "type": "text"},
    )
    assert declared.status_code == 201
    wrong = control.post(
        netsuite_sim.url + "/_control/netsuite/custom-fields",
        json={"recordType": "customer", "id": "custbody_tier", "type": "text"},
    )
    assert wrong.status_code == 400 and "custentity_" in wrong.json()["error"]
    customer = ns.create(
        "customer", {"companyName": "Tiered", "subsidiary": {"id": "1"}, "custentity_tier": "gold"}
    )
    assert ns.get("customer", customer)["custentity_tier"] == "gold"
    found = ns.suiteql("SELECT id FROM customer WHERE custentity_tier = 'gold'").json()["items"]
    assert [row["id"] for row in found] == [customer]


def _dump(data_dir: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(database_path(data_dir))
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ns_%' AND name NOT IN "
            "('ns_transactionline', 'ns_applied', 'ns_integration', 'ns_certificate', 'ns_custom_field', "
            "'ns_job', 'ns_sequence')"
        )
    ]
    rows = [
        (table, *row)
        for table in sorted(tables)
        for row in connection.execute(
            f"SELECT id, recordtype, externalid, refname, body FROM {table} ORDER BY id"  # noqa: S608
        )
    ]
    connection.close()
    return rows


def test_seeding_is_deterministic_and_covers_the_set_up(tmp_path: Path) -> None:
    counts = seed(tmp_path / "a", Dataset(seed=7))
    seed(tmp_path / "a", Dataset(seed=7))  # again: the same account, not twice the records
    assert seed(tmp_path / "b", Dataset(seed=7)) == counts
    assert _dump(tmp_path / "a") == _dump(tmp_path / "b")
    items = sum(counts.get(kind, 0) for kind in ("inventoryItem", "nonInventorySaleItem", "serviceSaleItem"))
    assert items == len(PRODUCTS)
    assert (
        counts["subscriptionPlan"] == len(PACKAGES)
        and counts["subsidiary"] == 5
        and counts["salesTaxItem"] == 3
    )
    bodies = {row[3]: json.loads(row[5]) for row in _dump(tmp_path / "a") if row[0] == "ns_item"}
    assert set(bodies) == {product.sku for product in PRODUCTS}
    assert bodies["PLAT-CORE"]["custitem_concord_subscription"] is True
    assert bodies["HW-GW"]["custitem_concord_subscription"] is False


def test_data_tokens_and_custom_fields_survive_a_restart(simulator_dir: Path) -> None:
    first = start_in_thread(SPEC, simulator_dir)
    try:
        seed(simulator_dir, Dataset())
        ns = RestClient(first.url, first.ca_file)
        customer = ns.create(
            "customer", {"companyName": "Durable", "subsidiary": {"id": "1"}, "externalId": "D-1"}
        )
        control = https_session(first.ca_file)
        control.post(
            first.url + "/_control/netsuite/tokens",
            json={"consumer_key": "ck9", "consumer_secret": "cs9", "token_id": "t9", "token_secret": "ts9"},
        )
        control.post(
            first.url + "/_control/netsuite/custom-fields",
            json={"recordType": "salesOrder", "id": "custbody_region", "type": "text"},
        )
    finally:
        first.stop()
    second = start_in_thread(SPEC, simulator_dir)
    try:
        ns = RestClient(second.url, second.ca_file)
        assert ns.get("customer", "eid:D-1")["id"] == customer
        assert any(
            token["token_id"] == "t9"
            for token in https_session(second.ca_file)
            .get(second.url + "/_control/netsuite/tokens")
            .json()["tokens"]
        )
        order = ns.create(
            "salesOrder",
            {
                "entity": {"id": customer},
                "custbody_region": "EMEA",
                "item": {"items": [{"item": {"externalId": "HW-GW"}}]},
            },
        )
        assert ns.get("salesOrder", order)["custbody_region"] == "EMEA"
    finally:
        second.stop()


def test_the_command_line_serves_https_and_says_when_ready(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", "netsuite", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        ready = None
        for _ in range(5):
            line = process.stdout.readline()
            if line.startswith(READY_PREFIX):
                ready = json.loads(line[len(READY_PREFIX) :])
                break
        assert ready is not None and ready["url"].startswith("https://127.0.0.1:")
        answer = RestClient(ready["url"], ready["ca_file"]).request("GET", "record/v1/subsidiary")
        assert answer.status_code == 200 and answer.json()["totalResults"] == 0
    finally:
        process.terminate()
        process.wait(timeout=10)
