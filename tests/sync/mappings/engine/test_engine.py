"""Applying a compiled mapping: payloads, problems, refs, create-only fields, modes, JSON at the edge."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from sync.mappings.engine import CachedDynamicLookup, StaticLookups, compile_mapping, json_ready

CURRENCIES = StaticLookups({"currency_code_to_id": {"USD": "1", "EUR": "4"}})


def spec(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"flow": "test", "source": "Opportunity", "objects": list(objects)}


CUSTOMER = {
    "key": "customer",
    "target": "customer",
    "source_path": "Account",
    "external_id": {"source": "Id"},
    "external_id_field": "externalId",
    "fields": [
        {"id": "name", "target": "companyName", "source": "Name", "required": True},
        {
            "id": "currency",
            "target": "currency.id",
            "source": "CurrencyIsoCode",
            "transforms": [{"fn": "lookup", "table": "currency_code_to_id"}],
            "apply": "create_only",
        },
        {"id": "phone", "target": "phone", "source": "Phone", "when_empty": "clear"},
        {"id": "fax", "target": "fax", "source": "Fax"},
    ],
}
CONTACT = {
    "key": "contact",
    "target": "contact",
    "for_each": "OpportunityContactRoles",
    "source_id": "ContactId",
    "external_id": {"source": "ContactId"},
    "fields": [
        {"id": "last", "target": "lastName", "source": "Contact.LastName", "required": True},
        {"id": "company", "target": "company.id", "ref": "customer", "required": True},
    ],
}
ORDER = {
    "key": "order",
    "target": "salesOrder",
    "external_id": {"source": "Id"},
    "fields": [
        {"id": "entity", "target": "entity.id", "ref": "customer", "required": True},
        {
            "id": "contact",
            "target": "custbody_contact.id",
            "ref": "contact",
            "ref_item": "$.PrimaryContactId",
        },
        {
            "id": "total",
            "target": "total",
            "source": "Amount",
            "transforms": [{"fn": "currency_precision", "currency_field": "CurrencyIsoCode"}],
        },
    ],
}


def graph(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Id": "006A",
        "Amount": 1234.5,
        "CurrencyIsoCode": "USD",
        "PrimaryContactId": "003B",
        "Account": {"Id": "001A", "Name": "Acme", "CurrencyIsoCode": "EUR", "Phone": None, "Fax": ""},
        "OpportunityContactRoles": {
            "totalSize": 2,
            "done": True,
            "records": [
                {"ContactId": "003A", "Contact": {"LastName": "Lovelace"}},
                {"ContactId": "003B", "Contact": {"LastName": None}},
            ],
        },
    }
    base.update(changes)
    return base


def test_it_maps_every_object_in_dependency_order() -> None:
    mapping = compile_mapping(spec(ORDER, CONTACT, CUSTOMER))
    refs = {"customer": "101", "contact[003B]": "202"}
    result = mapping.apply(graph(), refs=refs, lookups=CURRENCIES)
    assert [(p.object_key, p.ref_key) for p in result.payloads] == [
        ("customer", "customer"),
        ("contact", "contact[003A]"),
        ("order", "order"),
    ]
    customer, contact, order = result.payloads
    assert customer.body == {
        "companyName": "Acme",
        "currency": {"id": "4"},
        "phone": None,
        "externalId": "001A",
    }
    assert customer.create_only_fields == ("currency.id",)
    assert contact.body == {"lastName": "Lovelace", "company": {"id": "101"}}
    assert order.body == {
        "entity": {"id": "101"},
        "custbody_contact": {"id": "202"},
        "total": Decimal("1234.50"),
    }
    assert order.external_id == "006A" and order.source_id == "006A" and order.external_id_field is None
    # The second contact role has no last name: a problem for that record only.
    assert [(p.object_key, p.field_id, p.target, p.message, p.source_id) for p in result.problems] == [
        ("contact", "last", "lastName", "required value is empty", "003B"),
    ]
    assert not result.ok


def test_it_maps_one_object_at_a_time_with_the_refs_known_so_far() -> None:
    mapping = compile_mapping(spec(ORDER, CONTACT, CUSTOMER))
    first = mapping.apply_object("customer", graph(), lookups=CURRENCIES)
    assert first.ok and first.payloads[0].ref_key == "customer"
    early = mapping.apply_object("order", graph())
    assert [(p.field_id, p.message) for p in early.problems] == [("entity", "required value is empty")]
    later = mapping.apply_object("order", graph(), refs={"customer": "101"})
    assert later.payloads[0].body == {
        "entity": {"id": "101"},
        "total": Decimal("1234.50"),
    }  # no contact: omitted
    with pytest.raises(KeyError, match="no object mapping 'invoice'"):
        mapping.apply_object("invoice", graph())


def test_it_leaves_create_only_fields_out_for_existing_records_and_honours_modes() -> None:
    only_create = {
        **ORDER,
        "key": "note",
        "mode": "create_only",
        "fields": [{"target": "memo", "constant": "x"}],
    }
    only_update = {
        **ORDER,
        "key": "status",
        "mode": "update_only",
        "fields": [{"target": "memo", "constant": "y"}],
    }
    mapping = compile_mapping(spec(CUSTOMER, only_create, only_update))
    fresh = mapping.apply(graph(), lookups=CURRENCIES, existing=set())
    assert [(p.object_key, p.exists) for p in fresh.payloads] == [("customer", False), ("note", False)]
    assert fresh.payloads[0].body["currency"] == {"id": "4"}
    known = mapping.apply(graph(), lookups=CURRENCIES, existing={"customer", "note", "status"})
    assert [(p.object_key, p.exists) for p in known.payloads] == [("customer", True), ("status", True)]
    assert known.payloads[0].body == {"companyName": "Acme", "phone": None, "externalId": "001A"}
    unknown = mapping.apply(graph(), lookups=CURRENCIES)
    assert [(p.object_key, p.exists) for p in unknown.payloads] == [
        ("customer", None),
        ("note", None),
        ("status", None),
    ]
    assert unknown.payloads[0].update_body() == {"companyName": "Acme", "phone": None, "externalId": "001A"}
    assert "currency" in unknown.payloads[0].body  # update_body() copies; the body is untouched


def test_it_reports_a_missing_or_unusable_external_id() -> None:
    mapping = compile_mapping(spec(CUSTOMER))
    missing = mapping.apply(graph(Account={"Name": "Acme"}), lookups=CURRENCIES)
    assert [(p.field_id, p.message) for p in missing.problems] == [
        ("external_id", "the external id is empty")
    ]
    record = mapping.apply(graph(Account={"Id": {"x": 1}, "Name": "Acme"}), lookups=CURRENCIES)
    assert [p.message for p in record.problems] == ["the external id must be text or a number"]
    numeric = mapping.apply(graph(Account={"Id": 12.0, "Name": "Acme"}), lookups=CURRENCIES)
    assert numeric.payloads[0].external_id == "12.0"


def test_it_reports_shapes_it_cannot_read() -> None:
    mapping = compile_mapping(spec(CUSTOMER, CONTACT))
    assert [(p.object_key, p.message) for p in mapping.apply(["not", "a", "record"]).problems] == [
        ("customer", "the graph is not a record"),
        ("contact", "the graph is not a record"),
    ]
    no_account = mapping.apply(graph(Account=None, OpportunityContactRoles={"records": "x"}))
    assert [(p.object_key, p.field_id, p.message, p.source_id) for p in no_account.problems] == [
        ("customer", "source_path", "no Account record in the graph", "006A"),
        ("contact", "for_each", "OpportunityContactRoles is not a list", None),
    ]
    odd_roles = mapping.apply(graph(OpportunityContactRoles=[7]), refs={"customer": "1"}, lookups=CURRENCIES)
    assert [p.message for p in odd_roles.problems] == [
        "an element of OpportunityContactRoles is not a record"
    ]


def test_it_filters_records_with_where() -> None:
    closed_only = {**ORDER, "where": {"field": "StageName", "op": "eq", "value": "Closed Won"}}
    primary_only = {**CONTACT, "where": {"field": "IsPrimary", "op": "eq", "value": True}}
    mapping = compile_mapping(spec(CUSTOMER, closed_only, primary_only))
    roles = {
        "records": [
            {"ContactId": "1", "IsPrimary": False, "Contact": {"LastName": "A"}},
            {"ContactId": "2", "IsPrimary": True, "Contact": {"LastName": "B"}},
        ]
    }
    open_deal = mapping.apply(
        graph(StageName="Prospecting", OpportunityContactRoles=roles),
        refs={"customer": "1"},
        lookups=CURRENCIES,
    )
    assert [p.object_key for p in open_deal.payloads] == ["customer", "contact"]
    assert open_deal.for_object("contact")[0].body["lastName"] == "B"
    won = mapping.apply(
        graph(StageName="Closed Won", OpportunityContactRoles=roles),
        refs={"customer": "1"},
        lookups=CURRENCIES,
    )
    assert [p.object_key for p in won.payloads] == ["customer", "contact", "order"]


def test_it_builds_values_from_constants_and_concatenations() -> None:
    row_spec = spec(
        {
            "key": "plan",
            "target": "subscriptionPlan",
            "external_id": {"concat": [{"constant": "PLAN"}, {"source": "Code"}], "separator": "-"},
            "fields": [
                {"id": "flags", "target": "flags", "constant": {"a": [1, 2]}},
                {"id": "zero", "target": "zero", "constant": 0},
                {"id": "false", "target": "off", "constant": False},
                {
                    "id": "label",
                    "target": "label",
                    "concat": [{"source": "Code"}, {"source": "Missing"}, {"constant": 12}],
                    "separator": " / ",
                },
                {"id": "bad", "target": "bad", "concat": [{"source": "Record"}]},
            ],
        }
    )
    result = compile_mapping(row_spec).apply({"Code": "PKG", "Record": {"x": 1}})
    assert [(p.field_id, p.message) for p in result.problems] == [("bad", "cannot join {'x': 1} into text")]
    result = compile_mapping(row_spec).apply({"Code": "PKG", "Record": None})
    (payload,) = result.payloads
    assert payload.external_id == "PLAN-PKG"
    assert payload.body == {"flags": {"a": [1, 2]}, "zero": 0, "off": False, "label": "PKG / 12"}


def test_it_collects_the_dynamic_keys_a_batch_needs_before_fetching() -> None:
    line_spec = spec(
        {
            "key": "order",
            "target": "salesOrder",
            "external_id": {"source": "Id"},
            "fields": [
                {
                    "id": "lines",
                    "target": "item.items[]",
                    "each": "lines",
                    "fields": [
                        {
                            "id": "item",
                            "target": "item.id",
                            "source": "Sku",
                            "transforms": [
                                "trim",
                                {"fn": "dynamic_lookup", "source": "netsuite_item_by_sku"},
                            ],
                            "required": True,
                        },
                    ],
                }
            ],
        }
    )
    mapping = compile_mapping(line_spec)
    graphs = [{"Id": "1", "lines": [{"Sku": " A "}, {"Sku": "B"}]}, {"Id": "2", "lines": [{"Sku": "A"}, {}]}]
    assert mapping.dynamic_keys(graphs) == {"netsuite_item_by_sku": {"A", "B"}}
    fetched: list[list[str]] = []

    def fetch(keys: Sequence[str]) -> dict[str, str]:
        fetched.append(sorted(keys))
        return {"A": "10", "B": "11"}

    items = CachedDynamicLookup(fetch)
    items.prefetch(mapping.dynamic_keys(graphs)["netsuite_item_by_sku"])
    lookups = StaticLookups(dynamic={"netsuite_item_by_sku": items})
    bodies = [mapping.apply(g, lookups=lookups) for g in graphs]
    assert fetched == [["A", "B"]]
    assert bodies[0].payloads[0].body == {"item": {"items": [{"item": {"id": "10"}}, {"item": {"id": "11"}}]}}
    assert [(p.field_id, p.message) for p in bodies[1].problems] == [
        ("lines/item", "required value is empty")
    ]


def test_it_clears_an_empty_group_only_when_asked() -> None:
    group = {
        "id": "lines",
        "target": "item.items[]",
        "each": "lines",
        "fields": [{"target": "n", "source": "N"}],
    }
    keep = compile_mapping(spec({"key": "o", "target": "t", "mode": "create_only", "fields": [group]}))
    assert keep.apply({"lines": []}).payloads[0].body == {}
    clear = compile_mapping(
        spec({"key": "o", "target": "t", "mode": "create_only", "fields": [{**group, "when_empty": "clear"}]})
    )
    assert clear.apply({"lines": None}).payloads[0].body == {"item": {"items": []}}
    need = compile_mapping(
        spec({"key": "o", "target": "t", "mode": "create_only", "fields": [{**group, "required": True}]})
    )
    assert [p.message for p in need.apply({}).problems] == ["no elements (from lines)"]


def test_it_turns_bodies_into_json_at_the_edge() -> None:
    body = {
        "amount": Decimal("1234.50"),
        "quantity": Decimal("10.0"),
        "rate": Decimal("0.1"),
        "when": dt.date(2026, 11, 23),
        "lines": [{"amount": Decimal("-0.00")}],
        "pair": (Decimal("1"), "x"),
        "flag": True,
    }
    ready = json_ready(body)
    assert ready == {
        "amount": 1234.5,
        "quantity": 10,
        "rate": 0.1,
        "when": "2026-11-23",
        "lines": [{"amount": 0}],
        "pair": [1, "x"],
        "flag": True,
    }
    assert json.dumps(ready) == (
        '{"amount": 1234.5, "quantity": 10, "rate": 0.1, "when": "2026-11-23", '
        '"lines": [{"amount": 0}], "pair": [1, "x"], "flag": true}'
    )
    mapping = compile_mapping(spec(CUSTOMER, CONTACT, ORDER))
    payload = mapping.apply(graph(), refs={"customer": "101"}, lookups=CURRENCIES).for_object("order")[0]
    assert payload.to_json() == {"entity": {"id": "101"}, "total": 1234.5}
    assert json.loads(json.dumps(payload.to_json()))["total"] == 1234.5


def test_it_reads_ordered_dicts_as_simple_salesforce_returns_them() -> None:
    from collections import OrderedDict

    from sync.mappings.engine.defaults import compile_default, default_lookups

    graph: dict[str, Any] = {"Id": "006A", "CloseDate": "2026-01-01", "CurrencyIsoCode": "JPY"}
    account = {"Id": "001A", "BillingCountry": "JP"}
    plain = {**graph, "Account": account}
    ordered = OrderedDict(graph, Account=OrderedDict(account))
    mapping = compile_default("opportunity_to_netsuite")
    bodies = [
        mapping.apply_object("sales_order", item, refs={"customer": "7"}, lookups=default_lookups())
        for item in (plain, ordered)
    ]
    assert [problem.field_id for problem in bodies[1].problems] == [
        problem.field_id for problem in bodies[0].problems
    ]
    assert "subsidiary" not in [problem.field_id for problem in bodies[1].problems]


def test_it_declares_the_netsuite_sublists_an_object_writes() -> None:
    lines = {
        "id": "lines",
        "target": "item.items[]",
        "each": "OpportunityContactRoles",
        "fields": [{"id": "line_name", "target": "description", "source": "Contact.LastName"}],
    }
    address = {"id": "street", "target": "addressBook.items[0].addressBookAddress.addr1", "source": "Name"}
    order = {**ORDER, "fields": [*ORDER["fields"], lines]}
    customer = {**CUSTOMER, "fields": [*CUSTOMER["fields"], {**address, "apply": "create_only"}]}
    compiled = compile_mapping(spec(customer, order, CONTACT))
    assert compiled.sublists("order") == ("item",) and compiled.sublists("customer") == ("addressBook",)
    assert compiled.sublists("contact") == ()  # company.id is a reference, not a sublist
    refs = {"customer": "7", "contact[003B]": "9"}
    result = compiled.apply(graph(), refs=refs, lookups=CURRENCIES, existing={"customer"})
    (payload,) = result.for_object("order")
    assert payload.sublists == ("item",) and payload.sublists_in(payload.to_json()) == ["item"]
    # The existing customer's update body leaves the create-only address out: nothing to replace.
    (known,) = result.for_object("customer")
    assert known.sublists == ("addressBook",) and known.sublists_in(known.to_json()) == []
    # Salesforce targets have no sublists: a return flow names none.
    opportunity = {"key": "back", "target": "Opportunity", "external_id": {"source": "Id"}, "fields": [lines]}
    back = compile_mapping({**spec(opportunity), "target_system": "salesforce"})
    assert back.sublists("back") == ()
