"""NetSuite simulator records over REST: create, get, patch, upsert, delete, references, errors, lists and
sublists."""

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


def error(answer: Any, status: int, code: str, path: str | None = None) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["status"] == status
    detail = body["o:errorDetails"][0]
    assert detail["o:errorCode"] == code, detail
    assert detail.get("o:errorPath") == path, detail
    return str(detail["detail"])


def customer(ns: RestClient, name: str = "Acme Corp", **more: Any) -> str:
    return ns.create("customer", {"companyName": name, "subsidiary": {"externalId": "US"}, **more})


def order(ns: RestClient, customer_id: str, *lines: dict[str, Any], **more: Any) -> str:
    items = list(lines) or [{"item": {"externalId": "PLAT-CORE"}, "quantity": 10}]
    return ns.create("salesOrder", {"entity": {"id": customer_id}, "item": {"items": items}, **more})


def test_it_creates_and_reads_a_customer_with_references(ns: RestClient) -> None:
    answer = ns.request(
        "POST",
        "record/v1/customer",
        json={
            "companyName": "Acme Corp",
            "subsidiary": {"id": "2"},
            "terms": {"externalId": "NET_30"},
            "email": "ap@acme.example",
            "externalId": "SF-001",
            "custentity_sf_account_id": "001000000000001AAA",
        },
    )
    assert answer.status_code == 204 and answer.text == ""
    location = answer.headers["Location"]
    assert location.startswith(ns.url + "/services/rest/record/v1/customer/")
    record = ns.get("customer", location.rsplit("/", 1)[-1])
    assert record["companyName"] == "Acme Corp" and record["externalId"] == "SF-001"
    assert record["subsidiary"]["refName"] == "Concord Software Ltd"
    assert record["subsidiary"]["links"][0]["href"] == ns.url + "/services/rest/record/v1/subsidiary/2"
    assert record["currency"] == {
        **record["currency"],
        "id": "3",
        "refName": "British Pound",
    }  # the subsidiary's
    assert record["terms"]["refName"] == "Net 30"
    assert record["lastModifiedDate"].endswith("Z") and "T" in record["lastModifiedDate"]
    assert record["custentity_sf_account_id"] == "001000000000001AAA"
    assert record["addressBook"] == {"links": [{"rel": "self", "href": location + "/addressBook"}]}


def test_references_are_validated_with_the_error_path(ns: RestClient) -> None:
    error(
        ns.request("POST", "record/v1/customer", json={"companyName": "X", "subsidiary": {"id": "999"}}),
        400,
        "INVALID_KEY_OR_REF",
        "subsidiary",
    )
    error(
        ns.request(
            "POST", "record/v1/customer", json={"companyName": "X", "subsidiary": {"externalId": "NOPE"}}
        ),
        400,
        "INVALID_KEY_OR_REF",
        "subsidiary",
    )
    buyer = customer(ns)
    answer = ns.request(
        "POST",
        "record/v1/salesOrder",
        json={
            "entity": {"id": buyer},
            "item": {
                "items": [
                    {"item": {"externalId": "PLAT-CORE"}, "quantity": 1},
                    {"item": {"id": "424242"}, "quantity": 1},
                ]
            },
        },
    )
    error(answer, 400, "INVALID_KEY_OR_REF", "item.items[1].item")
    invoice = ns.request(
        "POST",
        "record/v1/invoice",
        json={
            "entity": {"id": buyer},
            "createdFrom": {"id": buyer},
            "item": {"items": [{"item": {"id": "1"}}]},
        },
    )
    error(invoice, 400, "INVALID_KEY_OR_REF", "createdFrom")  # an id of the wrong record type


def test_unknown_fields_missing_fields_and_bad_values_are_refused(ns: RestClient) -> None:
    error(
        ns.request(
            "POST",
            "record/v1/customer",
            json={"companyName": "X", "subsidiary": {"id": "1"}, "favouriteColour": "blue"},
        ),
        400,
        "NONEXISTENT_FIELD",
        "favouriteColour",
    )
    detail = error(
        ns.request("POST", "record/v1/customer", json={"companyName": "X"}), 400, "USER_ERROR", "subsidiary"
    )
    assert detail == "Please enter value(s) for: Primary Subsidiary"
    error(
        ns.request("POST", "record/v1/customer", json={"subsidiary": {"id": "1"}}),
        400,
        "USER_ERROR",
        "companyName",
    )
    error(
        ns.request(
            "POST",
            "record/v1/customer",
            json={"companyName": "X", "subsidiary": {"id": "1"}, "isInactive": "nope"},
        ),
        400,
        "INVALID_CONTENT",
        "isInactive",
    )
    buyer = customer(ns)
    error(
        ns.request(
            "POST",
            "record/v1/salesOrder",
            json={"entity": {"id": buyer}, "item": {"items": [{"item": {"id": "1"}, "colour": "red"}]}},
        ),
        400,
        "NONEXISTENT_FIELD",
        "item.items[0].colour",
    )
    error(
        ns.request("POST", "record/v1/salesOrder", json={"entity": {"id": buyer}}), 400, "USER_ERROR", "item"
    )
    error(
        ns.request(
            "POST", "record/v1/customer", data=b"{not json", headers={"Content-Type": "application/json"}
        ),
        400,
        "INVALID_CONTENT",
    )
    error(ns.request("GET", "record/v1/nosuchtype/1"), 400, "INVALID_PARAMETER")


def test_missing_records_are_404_nonexistent_id(ns: RestClient) -> None:
    error(ns.request("GET", "record/v1/customer/987654"), 404, "NONEXISTENT_ID")
    error(ns.request("GET", "record/v1/customer/eid:nobody"), 404, "NONEXISTENT_ID")
    error(ns.request("PATCH", "record/v1/customer/987654", json={"comments": "x"}), 404, "NONEXISTENT_ID")
    error(ns.request("GET", "record/v1/salesOrder/1"), 404, "NONEXISTENT_ID")


def test_patch_merges_and_null_clears(ns: RestClient) -> None:
    record_id = customer(ns, email="old@acme.example", phone="+1-555-0100")
    answer = ns.request(
        "PATCH", f"record/v1/customer/{record_id}", json={"email": "new@acme.example", "phone": None}
    )
    assert answer.status_code == 204
    record = ns.get("customer", record_id)
    assert record["email"] == "new@acme.example" and "phone" not in record
    assert record["companyName"] == "Acme Corp"


def test_eid_upsert_is_idempotent(ns: RestClient) -> None:
    body = {"companyName": "Globex", "subsidiary": {"externalId": "US"}}
    first = ns.request("PUT", "record/v1/customer/eid:SF-GLOBEX", json=body)
    second = ns.request("PUT", "record/v1/customer/eid:SF-GLOBEX", json={**body, "comments": "again"})
    assert first.status_code == second.status_code == 204
    assert first.headers["Location"] == second.headers["Location"]
    record = ns.get("customer", "eid:SF-GLOBEX")
    assert record["id"] == first.headers["Location"].rsplit("/", 1)[-1]
    assert record["externalId"] == "SF-GLOBEX" and record["comments"] == "again"
    listed = ns.request("GET", "record/v1/customer", params={"q": 'externalId IS "SF-GLOBEX"'}).json()
    assert listed["totalResults"] == 1
    error(ns.request("PUT", f"record/v1/customer/{record['id']}", json=body), 405, "INVALID_PARAMETER")
    error(
        ns.request("POST", "record/v1/customer", json={**body, "externalId": "SF-GLOBEX"}),
        400,
        "USER_ERROR",
        "externalId",
    )
    # externalId is unique per record type, not across types
    ns.create(
        "contact",
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "externalId": "SF-GLOBEX",
            "company": {"id": record["id"]},
        },
    )


def test_delete_removes_and_protects_dependent_records(ns: RestClient) -> None:
    buyer = customer(ns)
    order_id = order(ns, buyer)
    error(ns.request("DELETE", f"record/v1/customer/{buyer}"), 400, "USER_ERROR")
    assert ns.request("DELETE", f"record/v1/salesOrder/{order_id}").status_code == 204
    error(ns.request("GET", f"record/v1/salesOrder/{order_id}"), 404, "NONEXISTENT_ID")
    assert ns.request("DELETE", f"record/v1/customer/{buyer}").status_code == 204
    assert int(customer(ns, "Next Corp")) > int(buyer)  # internal ids are never reused


def test_lists_page_and_filter_with_q(ns: RestClient) -> None:
    ids = [customer(ns, f"Paging Co {n}", email=f"ap{n}@paging.example") for n in range(7)]
    customer(ns, "Other Ltd")
    first = ns.request(
        "GET", "record/v1/customer", params={"limit": "3", "q": 'companyName START_WITH "Paging"'}
    )
    page = first.json()
    assert (page["count"], page["hasMore"], page["offset"], page["totalResults"]) == (3, True, 0, 7)
    assert [item["id"] for item in page["items"]] == ids[:3]
    assert {link["rel"] for link in page["links"]} >= {"self", "next", "first", "last"}
    last = ns.request(
        "GET",
        "record/v1/customer",
        params={"limit": "3", "offset": "6", "q": 'companyName START_WITH "Paging"'},
    ).json()
    assert (last["count"], last["hasMore"]) == (1, False) and last["items"][0]["id"] == ids[6]
    queries = {
        'companyName IS "Other Ltd"': 1,
        f"id ANY_OF [{ids[0]}, {ids[1]}]": 2,
        'email CONTAIN "paging" AND companyName END_WITH "3"': 1,
        'companyName IS "Other Ltd" OR companyName IS "Paging Co 0"': 2,
        'dateCreated ON_OR_AFTER "1/1/2020"': 8,
        "isInactive IS false": 8,
        "phone EMPTY": 8,
    }
    for q, expected in queries.items():
        answer = ns.request("GET", "record/v1/customer", params={"q": q})
        assert answer.status_code == 200 and answer.json()["totalResults"] == expected, (q, answer.text)
    error(
        ns.request("GET", "record/v1/customer", params={"q": 'shoeSize IS "9"'}),
        400,
        "INVALID_PARAMETER",
        "q",
    )
    error(
        ns.request("GET", "record/v1/customer", params={"limit": "1001"}), 400, "INVALID_PARAMETER", "limit"
    )


def test_sales_order_lines_expand_and_compute(ns: RestClient) -> None:
    buyer = customer(ns, subsidiary={"externalId": "UK"})
    order_id = order(
        ns,
        buyer,
        {"item": {"externalId": "PLAT-CORE"}, "quantity": 10},
        {"item": {"externalId": "SVC-ONB"}, "quantity": 1, "rate": 4000},
        {"item": {"externalId": "HW-GW"}, "amount": 999.99, "quantity": 1},
        otherRefNum="006000000000001AAA",
    )
    collapsed = ns.get("salesOrder", order_id)
    assert collapsed["item"] == {
        "links": [{"rel": "self", "href": f"{ns.rest}record/v1/salesOrder/{order_id}/item"}]
    }
    assert (
        collapsed["tranId"] == f"SO{order_id}"
        and collapsed["orderStatus"]["refName"] == "Pending Fulfillment"
    )
    assert collapsed["currency"]["refName"] == "British Pound"  # from the customer
    assert collapsed["total"] == 450 + 4000 + 999.99
    lines = ns.get("salesOrder", order_id, expandSubResources="true")["item"]["items"]
    assert [(line["line"], line["rate"], line["amount"]) for line in lines] == [
        (1, 45.0, 450.0),
        (2, 4000, 4000.0),
        (3, 999.99, 999.99),
    ]
    assert lines[0]["item"]["refName"] == "PLAT-CORE" and lines[0]["taxCode"]["refName"] == "TAX-STD"
    assert lines[0]["custcol_revenue_treatment"] == "ratable"
    sublist = ns.request("GET", f"record/v1/salesOrder/{order_id}/item").json()
    assert sublist["totalResults"] == 3
    only = ns.get("salesOrder", order_id, fields="tranId,total")
    assert set(only) == {"links", "id", "tranId", "total"}


def test_sublists_merge_by_key_or_replace(ns: RestClient) -> None:
    order_id = order(ns, customer(ns))
    path = f"record/v1/salesOrder/{order_id}"

    def lines() -> list[tuple[int, str, float]]:
        items = ns.get("salesOrder", order_id, expandSubResources="true")["item"]["items"]
        return [(line["line"], line["item"]["refName"], line["quantity"]) for line in items]

    ns.request("PATCH", path, json={"item": {"items": [{"item": {"externalId": "SUP-STD"}, "quantity": 10}]}})
    assert lines() == [(1, "PLAT-CORE", 10), (2, "SUP-STD", 10)]  # no key: added
    ns.request("PATCH", path, json={"item": {"items": [{"line": 1, "quantity": 12}]}})
    assert lines() == [(1, "PLAT-CORE", 12), (2, "SUP-STD", 10)]  # matching key: updated
    assert ns.get("salesOrder", order_id)["total"] == 12 * 45 + 10 * 5
    answer = ns.request(
        "PATCH",
        path,
        params={"replace": "item"},
        json={"item": {"items": [{"line": 2, "quantity": 20}, {"item": {"externalId": "PLAT-ANL"}}]}},
    )
    assert answer.status_code == 204
    assert lines() == [(2, "SUP-STD", 20), (3, "PLAT-ANL", 1)]  # replace: others removed
    error(ns.request("PATCH", path, json={"item": {"items": None}}), 400, "USER_ERROR", "item")
    error(ns.request("PATCH", path, params={"replace": "nope"}, json={}), 400, "INVALID_PARAMETER", "replace")


def test_an_upsert_appends_sublist_lines_unless_replace_names_the_sublist(ns: RestClient) -> None:
    """As NetSuite does: a PUT by eid: re-sending a record's lines adds them to the stored ones (the bug a
    changed deal or a retried write runs into); ``?replace=<sublist>`` leaves exactly the lines sent."""
    customer_id = customer(ns, externalId="SF-ACC-APPEND")

    def order_lines() -> list[tuple[str, float]]:
        items = ns.get("salesOrder", "eid:SF-OPP-APPEND", expandSubResources="true")["item"]["items"]
        return [(line["item"]["refName"], line["quantity"]) for line in items]

    def body(*lines: tuple[str, int]) -> dict[str, Any]:
        items = [{"item": {"externalId": sku}, "quantity": quantity} for sku, quantity in lines]
        return {"entity": {"id": customer_id}, "item": {"items": items}}

    first = body(("PLAT-CORE", 10), ("SUP-STD", 10), ("SVC-ONB", 1))
    order_id = ns.upsert("salesOrder", "SF-OPP-APPEND", first)
    assert ns.upsert("salesOrder", "SF-OPP-APPEND", first) == order_id  # the same upsert, sent again
    assert len(order_lines()) == 6  # 3 lines became 6
    changed = body(("PLAT-CORE", 12), ("PLAT-ANL", 2))
    ns.upsert("salesOrder", "SF-OPP-APPEND", changed)
    assert len(order_lines()) == 8
    ns.upsert("salesOrder", "SF-OPP-APPEND", changed, replace="item")
    assert order_lines() == [("PLAT-CORE", 12), ("PLAT-ANL", 2)]
    assert ns.get("salesOrder", order_id)["total"] == 12 * 45 + 2 * 15
    # replace names the sublists the body carries: one the body leaves out keeps its lines.
    ns.upsert("salesOrder", "SF-OPP-APPEND", {"memo": "renewed"}, replace="item")
    assert order_lines() == [("PLAT-CORE", 12), ("PLAT-ANL", 2)]

    # The same for a plan's members and a customer's address book.
    plan: dict[str, Any] = {
        "itemId": "PLAN-APPEND",
        "initialTerm": {"externalId": "TERM-12M"},
        "member": {"items": [{"item": {"externalId": "PLAT-CORE"}}, {"item": {"externalId": "SUP-STD"}}]},
    }
    plan_id = ns.upsert("subscriptionPlan", "PLAN-APPEND", plan)
    ns.upsert("subscriptionPlan", "PLAN-APPEND", plan)

    def members() -> list[dict[str, Any]]:
        return list(ns.get("subscriptionPlan", plan_id, expandSubResources="true")["member"]["items"])

    assert [m["lineNumber"] for m in members()] == [1, 2, 3, 4]
    ns.upsert("subscriptionPlan", "PLAN-APPEND", plan, replace="member")
    assert [m["item"]["refName"] for m in members()] == ["PLAT-CORE", "SUP-STD"]
    address: dict[str, Any] = {
        "addressBook": {"items": [{"label": "Billing", "addressBookAddress": {"addr1": "1 Main St"}}]}
    }
    ns.upsert("customer", "SF-ACC-APPEND", address)
    ns.upsert("customer", "SF-ACC-APPEND", address)

    def book() -> list[dict[str, Any]]:
        return list(ns.get("customer", customer_id, expandSubResources="true")["addressBook"]["items"])

    assert len(book()) == 2
    ns.upsert("customer", "SF-ACC-APPEND", address, replace="addressBook")
    assert [line["label"] for line in book()] == ["Billing"]


def test_async_writes_answer_202_with_a_job_and_honour_idempotency_keys(ns: RestClient) -> None:
    headers = {"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": "4f1c3c0e-0001"}
    body = {"companyName": "Async Co", "subsidiary": {"id": "1"}}
    first = ns.request("POST", "record/v1/customer", json=body, headers=headers)
    again = ns.request("POST", "record/v1/customer", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.headers["Location"] == again.headers["Location"]
    job = ns.session.get(first.headers["Location"]).json()
    assert job["completed"] is True and job["progress"] == "succeeded"
    result = ns.session.get(first.headers["Location"] + f"/task/{job['id']}/result")
    assert result.status_code == 204 and "/record/v1/customer/" in result.headers["Location"]
    listed = ns.request("GET", "record/v1/customer", params={"q": 'companyName IS "Async Co"'}).json()
    assert listed["totalResults"] == 1
    error(
        ns.request("POST", "record/v1/customer", json=body, headers={"X-NetSuite-Idempotency-Key": "k"}),
        400,
        "INVALID_PARAMETER",
        "X-NetSuite-Idempotency-Key",
    )
