"""Approved value changes put into a mapped NetSuite body (sync.pipeline.overrides): unit tests."""

from __future__ import annotations

from sync.mappings.engine import ObjectPayload
from sync.pipeline.overrides import payload_with_overrides, value_at

OBJECTS = ("customer", "billing_account", "sales_order")


def payload(object_key: str, body: dict[str, object]) -> ObjectPayload:
    return ObjectPayload(
        object_key=object_key,
        target_type=object_key,
        mode="upsert",
        external_id="X1",
        external_id_field="externalId",
        ref_key=object_key,
        source_id="001",
        body=body,
    )


def test_it_reads_the_value_at_an_error_path() -> None:
    body = {"currency": {"id": "99"}, "item": {"items": [{"rate": 10}, {"rate": 12.5}]}}
    assert value_at(body, "currency") == {"id": "99"}
    assert value_at(body, "item[1].rate") == 12.5
    assert value_at(body, "item.items[0].rate") == 10
    assert value_at(body, "memo") is None and value_at(body, "item[5].rate") is None


def test_it_changes_only_the_named_object_and_keeps_a_reference_a_reference() -> None:
    customer = payload("customer", {"companyName": "Acme", "currency": {"id": "99"}})
    account = payload("billing_account", {"currency": {"id": "99"}})
    overrides = {"customer.currency": "1"}
    changed, applied = payload_with_overrides(customer, overrides, OBJECTS)
    assert changed.body == {"companyName": "Acme", "currency": {"id": "1"}} and applied == [
        "customer.currency"
    ]
    assert customer.body["currency"] == {"id": "99"}  # the mapped payload itself is left alone
    untouched, applied = payload_with_overrides(account, overrides, OBJECTS)
    assert untouched is account and applied == []


def test_it_applies_a_bare_path_to_every_body_that_has_it() -> None:
    overrides = {"currency": {"id": "1"}, "memo": "PO 42"}
    account, applied = payload_with_overrides(
        payload("billing_account", {"currency": {"id": "99"}}), overrides, OBJECTS
    )
    assert account.body == {"currency": {"id": "1"}} and applied == ["currency"]
    order = payload("sales_order", {"memo": "", "item": {"items": [{"rate": 10}]}})
    changed, applied = payload_with_overrides(
        order, {"memo": "PO 42", "sales_order.item[0].rate": 9.5}, OBJECTS
    )
    assert changed.body == {"memo": "PO 42", "item": {"items": [{"rate": 9.5}]}}
    assert applied == ["memo", "sales_order.item[0].rate"]
