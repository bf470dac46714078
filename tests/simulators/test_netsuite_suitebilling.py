"""SuiteBilling's life cycle in the NetSuite simulator, over HTTPS: subscription lines, the locks of an
active subscription, change orders (actions, effective dates, one per line per date, externalId upserts),
renewal by a new subscription, and the customer's currencies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator
from simulators.dataset import Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import seed

START, END = "2026-04-01", "2028-03-31"  # PKG-GROWTH: 24 months


@pytest.fixture
def ns(netsuite_sim: RunningSimulator, simulator_dir: Path) -> RestClient:
    seed(simulator_dir, Dataset())
    return RestClient(netsuite_sim.url, netsuite_sim.ca_file)


def detail(answer: Any) -> dict[str, str]:
    assert answer.status_code == 400, answer.text
    return dict(answer.json()["o:errorDetails"][0])


def rows(ns: RestClient, query: str) -> list[dict[str, Any]]:
    answer = ns.suiteql(query)
    assert answer.status_code == 200, answer.text
    return [{k: v for k, v in row.items() if k != "links"} for row in answer.json()["items"]]


def customer_and_account(ns: RestClient, name: str = "Subscriber") -> tuple[str, str]:
    customer = ns.create("customer", {"companyName": name, "subsidiary": {"externalId": "UK"}})
    account = ns.create(
        "billingAccount",
        {"customer": {"id": customer}, "billingSchedule": {"externalId": "MONTHLY"}, "startDate": START},
    )
    return customer, account


def subscription_body(customer: str, account: str, **more: Any) -> dict[str, Any]:
    return {
        "customer": {"id": customer},
        "billingAccount": {"id": account},
        "subscriptionPlan": {"externalId": "PKG-GROWTH"},
        "priceBook": {"externalId": "PKG-GROWTH-GBP"},
        "startDate": START,
        **more,
    }


def new_subscription(ns: RestClient) -> tuple[str, str, str]:
    customer, account = customer_and_account(ns)
    subscription = ns.create(
        "subscription",
        subscription_body(
            customer,
            account,
            subscriptionLine={"items": [{"item": {"externalId": "PLAT-CORE"}, "quantity": 10}]},
        ),
    )
    return customer, account, subscription


def lines_of(ns: RestClient, subscription: str) -> dict[int, dict[str, Any]]:
    record = ns.get("subscription", subscription, expandSubResources="true")
    return {int(line["lineNumber"]): line for line in record["subscriptionLine"]["items"]}


def change_order(ns: RestClient, subscription: str, action: str, date: str, **more: Any) -> Any:
    body = {"action": action, "subscription": {"id": subscription}, "effectiveDate": date, **more}
    return ns.request("POST", "record/v1/subscriptionChangeOrder", json=body)


def subline(*items: dict[str, Any]) -> dict[str, Any]:
    return {"subline": {"items": [{"apply": True, **item} for item in items]}}


def test_a_new_subscription_has_a_line_per_plan_member_also_as_records(ns: RestClient) -> None:
    _, _, subscription = new_subscription(ns)
    lines = lines_of(ns, subscription)
    assert [lines[n]["item"]["refName"] for n in sorted(lines)] == [
        "PKG-GROWTH",
        "PLAT-CORE",
        "PLAT-ANL",
        "SUP-PREM",
    ]
    assert lines[1]["isIncluded"] is True and lines[1]["subscriptionLineStatus"]["id"] == "DRAFT"
    assert lines[2]["quantity"] == 10 and lines[2]["subscriptionLineStatus"]["id"] == "DRAFT"
    assert lines[3]["isIncluded"] is False and lines[3]["subscriptionLineStatus"]["id"] == "NOT_INCLUDED"
    assert lines[2]["startDate"] == START and lines[2]["endDate"] == END
    records = rows(
        ns,
        "SELECT id, linenumber, item, quantity, isincluded, status, startdate, enddate, lastmodifieddate "  # noqa: S608
        f"FROM subscriptionline WHERE subscription = {subscription} ORDER BY linenumber",
    )
    assert [(r["linenumber"], r["isincluded"], r["status"]) for r in records] == [
        ("1", "T", "DRAFT"),
        ("2", "T", "DRAFT"),
        ("3", "F", "NOT_INCLUDED"),
        ("4", "F", "NOT_INCLUDED"),
    ]
    line = ns.get("subscriptionLine", records[1]["id"])
    assert line["subscription"]["id"] == subscription and line["quantity"] == 10
    # REST cannot create or delete a line; a draft line's quantity can be set on the line record.
    assert (
        "cannot directly create"
        in detail(ns.request("POST", "record/v1/subscriptionLine", json={"quantity": 2}))["detail"]
    )
    assert detail(ns.request("DELETE", f"record/v1/subscriptionLine/{records[1]['id']}"))
    patched = ns.request("PATCH", f"record/v1/subscriptionLine/{records[1]['id']}", json={"quantity": 12})
    assert patched.status_code == 204, patched.text
    assert lines_of(ns, subscription)[2]["quantity"] == 12
    # The sublist by line number while DRAFT; an item that is no plan member is refused.
    answer = ns.request(
        "PATCH",
        f"record/v1/subscription/{subscription}",
        json={"subscriptionLine": {"items": [{"lineNumber": 4, "isIncluded": True}]}},
    )
    assert answer.status_code == 204, answer.text
    assert lines_of(ns, subscription)[4]["subscriptionLineStatus"]["id"] == "DRAFT"
    bad = ns.request(
        "PATCH",
        f"record/v1/subscription/{subscription}",
        json={"subscriptionLine": {"items": [{"item": {"externalId": "SVC-ONB"}, "quantity": 1}]}},
    )
    assert detail(bad)["o:errorPath"] == "subscriptionLine.items[0].item"
    # Status is set by change orders, not by hand (beyond pending activation).
    active = ns.request(
        "PATCH", f"record/v1/subscription/{subscription}", json={"subscriptionStatus": "ACTIVE"}
    )
    assert detail(active)["o:errorPath"] == "subscriptionStatus"


def test_an_active_subscription_is_locked_and_changes_through_change_orders(ns: RestClient) -> None:
    customer, account, subscription = new_subscription(ns)
    answer = change_order(ns, subscription, "ACTIVATE", START)
    assert answer.status_code == 204, answer.text
    record = ns.get("subscription", subscription)
    assert record["subscriptionStatus"]["id"] == "ACTIVE"
    assert {n: line["subscriptionLineStatus"]["id"] for n, line in lines_of(ns, subscription).items()} == {
        1: "ACTIVE",
        2: "ACTIVE",
        3: "NOT_INCLUDED",
        4: "NOT_INCLUDED",
    }
    # Locked fields: refused with the field's path; the same value again is not a change.
    other_book = ns.request(
        "PATCH",
        f"record/v1/subscription/{subscription}",
        json={"priceBook": {"externalId": "PKG-GROWTH-USD"}},
    )
    error = detail(other_book)
    assert error["o:errorCode"] == "USER_ERROR" and error["o:errorPath"] == "priceBook"
    assert error["detail"] == "You cannot change Price Book on an active subscription. Use a change order."
    for field, value in (
        ("startDate", "2026-05-01"),
        ("endDate", "2029-03-31"),
        ("initialTerm", {"externalId": "TERM-12M"}),
    ):
        answer = ns.request("PATCH", f"record/v1/subscription/{subscription}", json={field: value})
        assert detail(answer)["o:errorPath"] == field
    same = ns.request(
        "PATCH",
        f"record/v1/subscription/{subscription}",
        json={**subscription_body(customer, account), "endDate": END, "name": "Renamed", "autoRenewal": True},
    )
    assert same.status_code == 204, same.text
    assert ns.get("subscription", subscription)["name"] == "Renamed"
    quantity = ns.request(
        "PATCH",
        f"record/v1/subscription/{subscription}",
        json={"subscriptionLine": {"items": [{"lineNumber": 2, "quantity": 20}]}},
    )
    assert detail(quantity)["o:errorPath"] == "subscriptionLine.items[0].quantity"
    line_id = rows(
        ns,
        f"SELECT id FROM subscriptionline WHERE subscription = {subscription} AND linenumber = 2",  # noqa: S608
    )[0]["id"]
    assert detail(ns.request("PATCH", f"record/v1/subscriptionLine/{line_id}", json={"quantity": 20}))

    # Quantity through Modify Pricing; a second one for the same line and date is refused.
    answer = change_order(
        ns, subscription, "MODIFY_PRICING", "2026-07-01", **subline({"sequence": 2, "quantityNew": 15})
    )
    assert answer.status_code == 204, answer.text
    assert lines_of(ns, subscription)[2]["quantity"] == 15
    again = change_order(
        ns, subscription, "MODIFY_PRICING", "2026-07-01", **subline({"sequence": 2, "quantityNew": 16})
    )
    assert detail(again)["detail"] == "A change order of this type already exists for this line on this date."
    zero = change_order(
        ns, subscription, "MODIFY_PRICING", "2026-08-01", **subline({"sequence": 2, "quantityNew": 0})
    )
    assert detail(zero)["o:errorPath"] == "subline.items[0].quantityNew"
    outside = change_order(
        ns, subscription, "MODIFY_PRICING", "2028-04-01", **subline({"sequence": 2, "quantityNew": 3})
    )
    assert detail(outside)["o:errorPath"] == "effectiveDate"
    renew = change_order(ns, subscription, "RENEW", "2026-08-01")
    assert "parentSubscription" in detail(renew)["detail"]

    # Adding a line on an active subscription: pending until an activation names it.
    added = ns.request(
        "PATCH",
        f"record/v1/subscription/{subscription}",
        json={"subscriptionLine": {"items": [{"lineNumber": 3, "isIncluded": True, "quantity": 4}]}},
    )
    assert added.status_code == 204, added.text
    assert lines_of(ns, subscription)[3]["subscriptionLineStatus"]["id"] == "PENDING_ACTIVATION"
    answer = change_order(ns, subscription, "ACTIVATE", "2026-09-01", **subline({"sequence": 3}))
    assert answer.status_code == 204, answer.text
    lines = lines_of(ns, subscription)
    assert lines[3]["subscriptionLineStatus"]["id"] == "ACTIVE" and lines[3]["startDate"] == "2026-09-01"

    # Suspend / reactivate rules.
    assert detail(change_order(ns, subscription, "REACTIVATE", "2026-10-01", **subline({"sequence": 2})))
    assert (
        change_order(ns, subscription, "SUSPEND", "2026-10-01", **subline({"sequence": 2})).status_code == 204
    )
    suspended = change_order(
        ns, subscription, "MODIFY_PRICING", "2026-10-15", **subline({"sequence": 2, "quantityNew": 9})
    )
    assert "Suspended" in detail(suspended)["detail"]
    assert (
        change_order(ns, subscription, "REACTIVATE", "2026-11-01", **subline({"sequence": 2})).status_code
        == 204
    )
    assert lines_of(ns, subscription)[2]["subscriptionLineStatus"]["id"] == "ACTIVE"

    # Terminating every line ends the subscription on the effective date.
    answer = change_order(ns, subscription, "TERMINATE", "2027-01-31")
    assert answer.status_code == 204, answer.text
    record = ns.get("subscription", subscription)
    assert record["subscriptionStatus"]["id"] == "TERMINATED" and record["endDate"] == "2027-01-31"
    assert {
        line["subscriptionLineStatus"]["id"] for n, line in lines_of(ns, subscription).items() if n < 4
    } == {"TERMINATED"}
    orders = rows(
        ns,
        "SELECT id, action, subscription, effectivedate, externalid, memo, lastmodifieddate "  # noqa: S608
        f"FROM subscriptionchangeorder WHERE subscription = {subscription} ORDER BY id",
    )
    assert [o["action"] for o in orders] == [
        "ACTIVATE",
        "MODIFY_PRICING",
        "ACTIVATE",
        "SUSPEND",
        "REACTIVATE",
        "TERMINATE",
    ]
    modify = rows(
        ns,
        "SELECT l.sequence, l.quantitynew, l.quantityold FROM subscriptionchangeorderline l "  # noqa: S608
        f"WHERE l.changeorder = {orders[1]['id']}",
    )
    assert modify == [{"sequence": "2", "quantitynew": "15", "quantityold": "10"}]


def test_change_orders_upsert_by_external_id_and_never_change(ns: RestClient) -> None:
    _, _, subscription = new_subscription(ns)
    body: dict[str, object] = {
        "action": "ACTIVATE",
        "subscription": {"id": subscription},
        "effectiveDate": START,
        "memo": "go",
    }
    first = ns.upsert("subscriptionChangeOrder", "CO-1-ACTIVATE", body)
    again = ns.request("PUT", "record/v1/subscriptionChangeOrder/eid:CO-1-ACTIVATE", json=body)
    assert again.status_code == 204 and again.headers["Location"].endswith(f"/{first}")
    different = ns.request(
        "PUT",
        "record/v1/subscriptionChangeOrder/eid:CO-1-ACTIVATE",
        json={**body, "effectiveDate": "2026-05-01"},
    )
    assert "cannot be changed" in detail(different)["detail"]
    assert detail(ns.request("PATCH", f"record/v1/subscriptionChangeOrder/{first}", json={"memo": "other"}))
    assert detail(ns.request("DELETE", f"record/v1/subscriptionChangeOrder/{first}"))
    found = rows(ns, "SELECT id, externalid FROM subscriptionchangeorder")
    assert found == [{"id": first, "externalid": "CO-1-ACTIVATE"}]
    # The activation took effect once.
    assert ns.get("subscription", subscription)["subscriptionStatus"]["id"] == "ACTIVE"
    assert detail(ns.request("DELETE", f"record/v1/subscription/{subscription}"))


def test_a_renewal_is_a_new_subscription_naming_its_parent(ns: RestClient) -> None:
    customer, account, subscription = new_subscription(ns)
    assert change_order(ns, subscription, "ACTIVATE", START).status_code == 204
    early = ns.request(
        "POST",
        "record/v1/subscription",
        json=subscription_body(
            customer, account, parentSubscription={"id": subscription}, startDate="2028-03-01"
        ),
    )
    error = detail(early)
    assert error["o:errorPath"] == "startDate" and "2028-04-01" in error["detail"]
    renewal = ns.create(
        "subscription",
        subscription_body(
            customer,
            account,
            parentSubscription={"id": subscription},
            startDate="2028-04-01",
            initialTerm={"externalId": "TERM-12M"},
        ),
    )
    record = ns.get("subscription", renewal)
    assert record["parentSubscription"]["id"] == subscription and record["endDate"] == "2029-03-31"
    assert record["subscriptionStatus"]["id"] == "DRAFT"
    assert ns.get("subscription", subscription)["renewalSubscription"]["id"] == renewal
    second = ns.request(
        "POST",
        "record/v1/subscription",
        json=subscription_body(
            customer, account, parentSubscription={"id": subscription}, startDate="2028-04-01"
        ),
    )
    assert detail(second)["o:errorPath"] == "parentSubscription"
    assert rows(ns, f"SELECT id FROM subscription WHERE parentsubscription = {subscription}") == [  # noqa: S608
        {"id": renewal}
    ]


def test_billing_accounts_and_transactions_use_the_customers_currencies(ns: RestClient) -> None:
    customer = ns.create("customer", {"companyName": "Euro Buyer", "subsidiary": {"externalId": "UK"}})
    euro: dict[str, object] = {
        "customer": {"id": customer},
        "billingSchedule": {"externalId": "MONTHLY"},
        "currency": {"externalId": "EUR"},
    }
    error = detail(ns.request("POST", "record/v1/billingAccount", json=euro))
    assert error["o:errorPath"] == "currency"
    assert error["detail"] == "The currency must be one of the customer's currencies."
    order = {
        "entity": {"id": customer},
        "currency": {"externalId": "EUR"},
        "item": {"items": [{"item": {"externalId": "PLAT-CORE"}, "quantity": 1}]},
    }
    assert detail(ns.request("POST", "record/v1/salesOrder", json=order))["o:errorPath"] == "currency"
    added = ns.request(
        "PATCH",
        f"record/v1/customer/{customer}",
        json={"currencyList": {"items": [{"currency": {"externalId": "EUR"}}]}},
    )
    assert added.status_code == 204, added.text
    assert ns.create("billingAccount", euro) and ns.create("salesOrder", order)
    listed = ns.get("customer", customer, expandSubResources="true")["currencyList"]["items"]
    assert [line["currency"]["refName"] for line in listed] == ["Euro"]


def test_price_books_follow_the_rest_record(ns: RestClient) -> None:
    """Oracle's Price Book REST page documents creating price books (see the README's deviation note);
    billing schedules for each frequency are seeded."""
    schedules = rows(ns, "SELECT name, frequency FROM billingschedule ORDER BY id")
    assert [s["frequency"] for s in schedules] == ["MONTHLY", "ANNUALLY", "QUARTERLY", "SEMIANNUALLY"]
    term = ns.create("subscriptionTerm", {"name": "18 Months", "duration": 18, "unit": "MONTH"})
    assert ns.get("subscriptionTerm", term)["duration"] == 18


def test_the_metadata_catalog_describes_the_suitebilling_records(ns: RestClient) -> None:
    listing = ns.request("GET", "record/v1/metadata-catalog/").json()["items"]
    names = {item["name"] for item in listing}
    assert {
        "subscriptionLine",
        "subscriptionChangeOrder",
        "itemFulfillment",
        "creditMemo",
        "customerRefund",
    } <= names
    schema = ns.request(
        "GET",
        "record/v1/metadata-catalog/subscriptionChangeOrder",
        headers={"Accept": "application/schema+json"},
    ).json()
    assert schema["properties"]["action"]["properties"]["id"]["enum"] == [
        "ACTIVATE",
        "MODIFY_PRICING",
        "SUSPEND",
        "REACTIVATE",
        "TERMINATE",
        "RENEW",
    ]
    assert "subline" in schema["properties"] and "effectiveDate" in schema["required"]
    subscription = ns.request(
        "GET", "record/v1/metadata-catalog/subscription", headers={"Accept": "application/schema+json"}
    ).json()
    assert subscription["properties"]["renewalSubscription"]["readOnly"] is True
    assert "subscriptionLine" in subscription["properties"]


def test_a_subscription_story_written_by_external_id_upserts_twice(ns: RestClient) -> None:
    """new -> activate -> +quantity, +product, -quantity -> renew -> terminate, each step sent twice as an
    integration retrying by externalId would: the second run changes nothing."""
    customer, account = customer_and_account(ns, "Story Co")
    body = subscription_body(customer, account, endDate=END)

    def step(record: str, key: str, payload: dict[str, Any]) -> str:
        first = ns.upsert(record, key, payload)
        again = ns.request("PUT", f"record/v1/{record}/eid:{key}", json=payload)
        assert again.status_code == 204, again.text
        assert again.headers["Location"].endswith(f"/{first}")
        return first

    subscription = step("subscription", "SUB-1", body)

    def order(action: str, date: str, *items: dict[str, Any]) -> None:
        key = f"CO-{subscription}-{action}-{date}"
        payload: dict[str, Any] = {
            "action": action,
            "subscription": {"id": subscription},
            "effectiveDate": date,
        }
        if items:
            payload.update(subline(*items))
        step("subscriptionChangeOrder", key, payload)

    order("ACTIVATE", START)
    step("subscription", "SUB-1", body)  # the deal re-sent unchanged: allowed on the active subscription
    order("MODIFY_PRICING", "2026-06-01", {"sequence": 1, "quantityNew": 5})
    include = {"subscriptionLine": {"items": [{"item": {"externalId": "PLAT-ANL"}, "isIncluded": True}]}}
    assert ns.request("PATCH", f"record/v1/subscription/{subscription}", json=include).status_code == 204
    assert ns.request("PATCH", f"record/v1/subscription/{subscription}", json=include).status_code == 204
    order("ACTIVATE", "2026-06-01", {"sequence": 3})
    order("MODIFY_PRICING", "2026-09-01", {"sequence": 1, "quantityNew": 3})
    lines = lines_of(ns, subscription)
    assert (lines[1]["quantity"], lines[3]["subscriptionLineStatus"]["id"]) == (3, "ACTIVE")
    renewal = step(
        "subscription",
        "SUB-1-R1",
        {
            **subscription_body(customer, account),
            "parentSubscription": {"id": subscription},
            "startDate": "2028-04-01",
        },
    )
    assert ns.get("subscription", subscription)["renewalSubscription"]["id"] == renewal
    order("TERMINATE", END)
    assert ns.get("subscription", subscription)["subscriptionStatus"]["id"] == "TERMINATED"
    counts = rows(
        ns,
        "SELECT action, COUNT(*) AS n FROM subscriptionchangeorder "  # noqa: S608
        f"WHERE subscription = {subscription} GROUP BY action ORDER BY action",
    )
    assert counts == [
        {"action": "ACTIVATE", "n": "2"},
        {"action": "MODIFY_PRICING", "n": "2"},
        {"action": "TERMINATE", "n": "1"},
    ]
    assert len(rows(ns, "SELECT id FROM subscription")) == 2
