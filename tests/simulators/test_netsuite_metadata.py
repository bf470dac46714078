"""The NetSuite simulator's metadata catalog (JSON Schema, OpenAPI 3.0), custom fields declared while it
runs, and an account without OneWorld, over HTTPS with OAuth 1.0a as a connector signs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.dataset import Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import seed
from simulators.netsuite.spec import SPEC
from tests.simulators.conftest import https_session

SCHEMA = {"Accept": "application/schema+json"}
OPENAPI = {"Accept": "application/swagger+json"}


def _start(data_dir: Path, **overrides: Any) -> RunningSimulator:
    seed(data_dir, Dataset(seed=1, accounts=1, opportunities_per_account=1))
    return start_in_thread(SPEC, data_dir, **overrides)


@pytest.fixture
def one_world(tmp_path: Path) -> Iterator[RunningSimulator]:
    running = _start(tmp_path / "ns")
    yield running
    running.stop()


@pytest.fixture
def single_entity(tmp_path: Path) -> Iterator[RunningSimulator]:
    running = _start(tmp_path / "ns", one_world=False)
    yield running
    running.stop()


def schema_of(ns: RestClient, record_type: str) -> dict[str, Any]:
    answer = ns.request("GET", f"record/v1/metadata-catalog/{record_type}", headers=SCHEMA)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/schema+json")
    return dict(answer.json())


def declare(sim: RunningSimulator, body: dict[str, Any]) -> requests.Response:
    return https_session(sim.ca_file).post(sim.url + "/_control/netsuite/custom-fields", json=body)


def test_the_catalog_lists_record_types_with_links_to_their_metadata(one_world: RunningSimulator) -> None:
    ns = RestClient(one_world.url, one_world.ca_file)
    listing = ns.request("GET", "record/v1/metadata-catalog/").json()
    customer = next(item for item in listing["items"] if item["name"] == "customer")
    media = {link.get("mediaType") for link in customer["links"]}
    assert {"application/json", "application/swagger+json", "application/schema+json"} <= media
    assert all(
        link["href"].endswith("/services/rest/record/v1/metadata-catalog/customer")
        for link in customer["links"]
        if link.get("mediaType")
    )
    assert {"customer", "salesOrder", "subsidiary", "subscription"} <= {i["name"] for i in listing["items"]}


def test_the_json_schema_of_a_customer_describes_its_fields(one_world: RunningSimulator) -> None:
    ns = RestClient(one_world.url, one_world.ca_file)
    schema = schema_of(ns, "customer")
    assert schema["type"] == "object" and schema["$schema"].startswith("https://json-schema.org/draft-06")
    properties = schema["properties"]
    assert properties["companyName"] == {"title": "Company Name", "type": "string", "nullable": True}
    assert properties["creditLimit"]["type"] == "number" and properties["creditLimit"]["format"] == "double"
    assert properties["isPerson"]["type"] == "boolean"
    assert properties["lastModifiedDate"]["format"] == "date-time"
    assert properties["lastModifiedDate"]["readOnly"] is True and properties["id"]["readOnly"] is True
    assert "readOnly" not in properties["companyName"]
    custom = properties["custentity_sf_account_id"]
    assert custom["x-ns-custom-field"] is True and custom["title"] == "Salesforce Account ID"
    assert "x-ns-custom-field" not in properties["email"]
    subsidiary = properties["subsidiary"]
    assert subsidiary["type"] == "object" and subsidiary["nullable"] is False
    assert {"id", "refName"} <= set(subsidiary["properties"])
    assert [link["href"].rsplit("/", 1)[-1] for link in subsidiary["links"]] == ["subsidiary"]
    assert schema["required"] == ["subsidiary"]
    address_book = properties["addressBook"]
    line = address_book["properties"]["items"]["items"]
    assert address_book["properties"]["items"]["type"] == "array"
    assert line["properties"]["addressBookAddress"]["properties"]["country"]["properties"]["id"]["enum"]


def test_the_json_schema_of_a_sales_order_has_enums_references_sublists_and_read_only_totals(
    one_world: RunningSimulator,
) -> None:
    ns = RestClient(one_world.url, one_world.ca_file)
    properties = schema_of(ns, "salesorder")["properties"]  # type names are case-insensitive
    status = properties["orderStatus"]
    assert status["properties"]["id"]["enum"] == ["A", "B", "C", "D", "E", "F", "G", "H"]
    assert properties["total"]["readOnly"] is True and properties["subtotal"]["readOnly"] is True
    assert properties["tranDate"]["format"] == "date"
    entity = properties["entity"]
    assert [link["href"].rsplit("/", 1)[-1] for link in entity["links"]] == ["customer"]
    lines = properties["item"]["properties"]["items"]["items"]
    assert lines["required"] == ["item"]
    assert lines["properties"]["quantity"]["format"] == "double"
    assert lines["properties"]["custcol_revenue_treatment"]["x-ns-custom-field"] is True
    item_targets = {link["href"].rsplit("/", 1)[-1] for link in lines["properties"]["item"]["links"]}
    assert item_targets == {"inventoryItem", "nonInventorySaleItem", "serviceSaleItem"}


def test_openapi_for_selected_types_and_errors_for_unknown_ones(one_world: RunningSimulator) -> None:
    ns = RestClient(one_world.url, one_world.ca_file)
    answer = ns.request(
        "GET", "record/v1/metadata-catalog", params={"select": "customer,salesorder"}, headers=OPENAPI
    )
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/swagger+json")
    document = answer.json()
    assert document["openapi"].startswith("3.0")
    assert set(document["components"]["schemas"]) == {
        "customer",
        "customerCollection",
        "salesOrder",
        "salesOrderCollection",
    }
    assert (
        document["components"]["schemas"]["customer"]["properties"]["companyName"]["title"] == "Company Name"
    )
    assert {"get", "post"} <= set(document["paths"]["/customer"])
    assert {"get", "patch", "put", "delete"} <= set(document["paths"]["/salesOrder/{id}"])
    one = ns.request("GET", "record/v1/metadata-catalog/invoice", headers=OPENAPI).json()
    assert set(one["components"]["schemas"]) == {"invoice", "invoiceCollection"}
    for path, params, headers in (
        ("record/v1/metadata-catalog/nosuchrecord", None, SCHEMA),
        ("record/v1/metadata-catalog", {"select": "customer,nosuchrecord"}, OPENAPI),
    ):
        refused = ns.request("GET", path, params=params, headers=headers)
        assert refused.status_code == 404
        detail = refused.json()["o:errorDetails"][0]
        assert detail["o:errorCode"] == "NONEXISTENT_ID" and "nosuchrecord" in detail["detail"]


def test_a_custom_field_declared_while_running_is_in_the_metadata_writable_readable_and_kept(
    tmp_path: Path,
) -> None:
    running = _start(tmp_path / "ns")
    try:
        ns = RestClient(running.url, running.ca_file)
        assert "custentity_region" not in schema_of(ns, "customer")["properties"]
        answer = declare(
            running, {"recordType": "customer", "id": "custentity_region", "label": "Region", "type": "text"}
        )
        assert answer.status_code == 201, answer.text
        assert (
            declare(
                running, {"recordType": "salesOrder", "id": "custbody_seats", "type": "INTEGER"}
            ).status_code
            == 201
        )
        region = schema_of(ns, "customer")["properties"]["custentity_region"]
        assert region == {"title": "Region", "type": "string", "nullable": True, "x-ns-custom-field": True}
        seats = schema_of(ns, "salesOrder")["properties"]["custbody_seats"]
        assert (seats["type"], seats["format"], seats["title"]) == ("integer", "int64", "custbody_seats")
        customer = ns.create(
            "customer", {"companyName": "Regional", "subsidiary": {"id": "1"}, "custentity_region": "EMEA"}
        )
        assert ns.get("customer", customer)["custentity_region"] == "EMEA"
        rows = ns.suiteql(f"SELECT custentity_region FROM customer WHERE id = {customer}").json()["items"]  # noqa: S608
        assert [row["custentity_region"] for row in rows] == ["EMEA"]
    finally:
        running.stop()
    running = start_in_thread(SPEC, tmp_path / "ns")
    try:
        ns = RestClient(running.url, running.ca_file)
        assert schema_of(ns, "customer")["properties"]["custentity_region"]["x-ns-custom-field"] is True
        assert ns.get("customer", customer)["custentity_region"] == "EMEA"
        assert schema_of(ns, "salesOrder")["properties"]["custbody_seats"]["type"] == "integer"
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"recordType": "customer", "id": "region", "type": "text"}, "custom field id"),
        ({"recordType": "customer", "id": "custbody_region", "type": "text"}, "custentity_"),
        ({"recordType": "nosuch", "id": "custentity_region", "type": "text"}, "unknown record type"),
        ({"recordType": "customer", "id": "custentity_region", "type": "blob"}, "type must be one of"),
        ({"recordType": "customer", "id": "custentity_sf_account_id", "type": "text"}, "already has"),
        ({"recordType": "salesOrder", "id": "custcol_x", "type": "text", "sublist": "nope"}, "no sublist"),
    ],
)
def test_a_bad_custom_field_declaration_is_refused_with_the_reason(
    netsuite_sim: RunningSimulator, body: dict[str, Any], says: str
) -> None:
    answer = declare(netsuite_sim, body)
    assert answer.status_code == 400
    assert says in answer.json()["error"]
    assert (
        https_session(netsuite_sim.ca_file)
        .post(netsuite_sim.url + "/_control/netsuite/custom-fields", data=b"[1")
        .status_code
        == 400
    )


def test_a_oneworld_customer_needs_its_subsidiary(one_world: RunningSimulator) -> None:
    ns = RestClient(one_world.url, one_world.ca_file)
    refused = ns.request("POST", "record/v1/customer", json={"companyName": "No Entity"})
    assert refused.status_code == 400
    assert refused.json()["o:errorDetails"][0]["o:errorCode"] == "USER_ERROR"


def test_an_account_without_oneworld_has_no_subsidiary_field(single_entity: RunningSimulator) -> None:
    ns = RestClient(single_entity.url, single_entity.ca_file)
    for record_type in ("customer", "contact", "salesOrder", "invoice", "billingAccount", "subscription"):
        assert "subsidiary" not in schema_of(ns, record_type)["properties"], record_type
    assert "required" not in schema_of(ns, "customer")
    listing = ns.request("GET", "record/v1/metadata-catalog").json()
    assert "subsidiary" not in {item["name"] for item in listing["items"]}
    named = ns.request(
        "POST", "record/v1/customer", json={"companyName": "One Entity", "subsidiary": {"id": "1"}}
    )
    assert named.status_code == 400
    detail = named.json()["o:errorDetails"][0]
    assert (detail["o:errorCode"], detail["o:errorPath"]) == ("NONEXISTENT_FIELD", "subsidiary")
    customer = ns.create("customer", {"companyName": "One Entity"})
    assert "subsidiary" not in ns.get("customer", customer)
    patched = ns.request("PATCH", f"record/v1/customer/{customer}", json={"subsidiary": {"id": "1"}})
    assert patched.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_FIELD"
    order = ns.create(
        "salesOrder", {"entity": {"id": customer}, "item": {"items": [{"item": {"externalId": "HW-GW"}}]}}
    )
    assert "subsidiary" not in ns.get("salesOrder", order)
    for query in (
        "SELECT subsidiary FROM customer",
        "SELECT subsidiary FROM transaction",
        "SELECT subsidiary FROM transactionline",
    ):
        assert ns.suiteql(query).status_code == 400, query
    assert ns.request("GET", "record/v1/subsidiary/1").status_code == 400
    assert (
        declare(single_entity, {"recordType": "subsidiary", "id": "custrecord_x", "type": "text"}).status_code
        == 400
    )


def test_orders_written_under_oneworld_are_billed_after_oneworld_is_gone(tmp_path: Path) -> None:
    running = _start(tmp_path / "ns")
    try:
        ns = RestClient(running.url, running.ca_file)
        customer = ns.create("customer", {"companyName": "Was Global", "subsidiary": {"id": "1"}})
        order = ns.create(
            "salesOrder", {"entity": {"id": customer}, "item": {"items": [{"item": {"externalId": "HW-GW"}}]}}
        )
    finally:
        running.stop()
    running = start_in_thread(SPEC, tmp_path / "ns", one_world=False)
    try:
        ns = RestClient(running.url, running.ca_file)
        billed = https_session(running.ca_file).post(
            running.url + "/_control/netsuite/invoice-orders", json={"salesOrders": [order]}
        )
        invoice = billed.json()["results"][0]["invoice"]
        assert "subsidiary" not in ns.get("invoice", invoice)
    finally:
        running.stop()
