"""compile_mapping reports every problem of a spec at once, each naming its object, row and target."""

from __future__ import annotations

from typing import Any

import pytest

from sync.mappings.engine import MappingValidationError, compile_mapping
from tests.sync.mappings.engine.helpers import invalid, one_row


def spec_of(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"flow": "test", "source": "Opportunity", "objects": list(objects)}


def obj(key: str, *fields: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"key": key, "target": key, "external_id": {"source": "Id"}, "fields": list(fields), **options}


def test_it_reports_every_problem_naming_object_row_and_target() -> None:
    spec = spec_of(
        obj(
            "customer",
            {"id": "name", "target": "companyName", "source": "Name", "transforms": [{"fn": "truncate"}]},
            {"target": "phone", "source": "Phone..x"},
            {"id": "email", "target": "email", "source": "Email", "tranforms": ["trim"]},
        ),
        obj("order", {"id": "entity", "target": "entity.id", "ref": "custmer"}),
    )
    assert invalid(spec) == [
        "customer / email / email: unknown key(s) 'tranforms'",
        "customer / name / companyName: transform #1 (truncate): missing parameter 'length' (whole number)",
        "customer / #2 / phone: 'Phone..x': '' is not a field name (letters, digits, _; optional [n] index)",
        "order / entity / entity.id: ref to unknown object 'custmer'",
    ]


def test_it_lists_the_problems_in_the_exception_message() -> None:
    with pytest.raises(MappingValidationError) as caught:
        compile_mapping(one_row({"id": "x", "target": "a", "source": "b", "transforms": ["shout"]}))
    assert str(caught.value) == (
        "the mapping has 1 problem(s):\n"
        "- thing / x / a: transform #1: unknown transform 'shout'; see "
        "docs/mapping-transforms.md for the list"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a mapping is a JSON object with 'flow', 'source' and 'objects'"),
        (
            {"flow": "f", "source": "S", "objects": []},
            "'objects' must be a non-empty list of object mappings",
        ),
        (
            {
                "flow": "f f",
                "source": "S",
                "objects": [
                    {
                        "key": "k",
                        "target": "t",
                        "mode": "create_only",
                        "fields": [{"target": "a", "constant": 1}],
                    }
                ],
            },
            "'flow' must be a name (letters, digits, _), not 'f f'",
        ),
        (
            {
                "flow": "f",
                "source": "S",
                "format": 2,
                "objects": [
                    {
                        "key": "k",
                        "target": "t",
                        "mode": "create_only",
                        "fields": [{"target": "a", "constant": 1}],
                    }
                ],
            },
            "unsupported format 2; this version reads format 1",
        ),
        ({"flow": "f", "source": "S", "objects": [1]}, "object mapping #1 must be a JSON object"),
        (
            {"flow": "f", "source": "S", "objects": [{"key": "a b"}]},
            "object mapping #1: 'key' must be a name (letters, digits, _), not 'a b'",
        ),
    ],
)
def test_it_explains_a_malformed_mapping(data: Any, message: str) -> None:
    assert message in invalid(data)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"external_id": None, "mode": "upsert"},
            "an upsert needs 'external_id' (the value the record is matched on)",
        ),
        ({"mode": "merge"}, "'mode' must be one of upsert, create_only, update_only, not 'merge'"),
        ({"target": "sales order"}, "'target' must be a record type name, not 'sales order'"),
        ({"fields": []}, "'fields' must be a non-empty list of field mappings"),
        ({"for_each": 3}, "'for_each' must be text"),
        ({"depends_on": "customer"}, "'depends_on' must be a list of object keys"),
        ({"external_id_field": "external id"}, "'external_id_field' must be a field name"),
        ({"colour": "red"}, "unknown key(s) 'colour'"),
    ],
)
def test_it_explains_a_malformed_object_mapping(options: dict[str, Any], message: str) -> None:
    spec = spec_of(obj("customer", {"id": "n", "target": "companyName", "source": "Name"}, **options))
    assert f"customer: {message}" in invalid(spec)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"id": "r", "target": "a"},
            "r / a: give exactly one of source, constant, ref, concat (found: none)",
        ),
        (
            {"id": "r", "target": "a", "source": "x", "constant": 1},
            "r / a: give exactly one of source, constant, ref, concat (found: source, constant)",
        ),
        ({"id": "r", "source": "x"}, "r: 'target' must be a target path such as companyName or entity.id"),
        (
            {"id": "r", "target": "a b", "source": "x"},
            "r / a b: 'a b': 'a b' is not a field name (letters, digits, _; optional [n] index)",
        ),
        ({"id": "r", "target": "a", "source": 5}, "r / a: 'source' must be a path (text)"),
        (
            {"id": "r", "target": "a", "source": "x", "required": "yes"},
            "r / a: 'required' must be true or false",
        ),
        (
            {"id": "r", "target": "a", "source": "x", "apply": "sometimes"},
            "r / a: 'apply' must be one of always, create_only",
        ),
        ({"id": "r", "target": "a", "source": "x", "ref_item": "Id"}, "r / a: 'ref_item' goes with 'ref'"),
        (
            {"id": "r", "target": "a", "source": "x", "where": {"field": "x", "op": "empty"}},
            "r / a: 'where' on a field row is for a group (with 'each'); use the 'if' transform",
        ),
        (
            {"id": "r", "target": "a", "source": "x", "transforms": "trim"},
            "r / a: 'transforms' must be a list",
        ),
        (
            {"id": "r", "target": "lines[]", "each": "lines"},
            "r / lines[]: a group needs 'fields': the rows of each element",
        ),
        (
            {"id": "r", "target": "lines", "each": "lines", "fields": [{"target": "a", "constant": 1}]},
            "r / lines: 'lines': a group's target ends in [] (for example item.items[])",
        ),
        (
            {
                "id": "r",
                "target": "lines[]",
                "each": "lines",
                "source": "x",
                "fields": [{"target": "a", "constant": 1}],
            },
            "r / lines[]: a group (with 'each') takes 'fields', not 'source'",
        ),
        (
            {
                "id": "r",
                "target": "lines[]",
                "each": "lines",
                "fields": [{"id": "in", "target": "a", "source": "^.^.x"}],
            },
            "r/in / a: '^.^.x' climbs 2 level(s) with ^ but only 1 enclosing record(s) exist here",
        ),
        (
            {"id": "r", "target": "a", "source": "@children_of(Parent)"},
            "r / a: '@children_of(Parent)': @children_of needs a record taken from a list (for_each or each)",
        ),
        (
            {
                "id": "r",
                "target": "lines[]",
                "each": "lines",
                "where": {"field": "x", "op": "near", "value": 1},
                "fields": [{"target": "a", "constant": 1}],
            },
            "r / lines[]: unknown operator 'near'; use one of eq, ne, in, not_in, empty, "
            "not_empty, gt, gte, lt, lte, "
            "contains",
        ),
    ],
)
def test_it_names_the_field_row_in_every_problem(row: dict[str, Any], message: str) -> None:
    assert f"thing / {message}" in invalid(one_row(row))


def test_it_rejects_duplicate_and_overlapping_targets() -> None:
    spec = one_row({"id": "a", "target": "subsidiary.id", "constant": "1"})
    spec["objects"][0]["fields"] += [
        {"id": "b", "target": "subsidiary", "constant": "2"},
        {"id": "c", "target": "subsidiary.id", "constant": "3"},
        {"id": "d", "target": "subsidiary.name", "constant": "ok"},
        {"id": "a", "target": "other", "constant": "x"},
    ]
    assert invalid(spec) == [
        "thing / a: two field rows share this id",
        "thing / b / subsidiary: writes where a writes (the same or an overlapping target)",
        "thing / c / subsidiary.id: writes where a writes (the same or an overlapping target)",
    ]


def test_it_rejects_a_row_writing_the_external_id_field() -> None:
    spec = spec_of(
        obj("customer", {"id": "x", "target": "externalId", "source": "Id"}, external_id_field="externalId")
    )
    assert invalid(spec) == [
        "customer / x / externalId: writes where external_id writes (the same or an overlapping target)"
    ]


def test_it_orders_objects_by_their_refs() -> None:
    spec = spec_of(
        obj(
            "order",
            {"id": "entity", "target": "entity.id", "ref": "customer"},
            {"id": "account", "target": "billingAccount.id", "ref": "billing"},
        ),
        obj("billing", {"id": "customer", "target": "customer.id", "ref": "customer"}),
        obj("note", {"id": "n", "target": "memo", "constant": "x"}, depends_on=["order"]),
        obj("customer", {"id": "name", "target": "companyName", "source": "Name"}),
    )
    mapping = compile_mapping(spec)
    assert mapping.dependency_order() == ["customer", "billing", "order", "note"]
    assert mapping.depends_on("order") == ("customer", "billing")
    assert mapping.object_keys == ["order", "billing", "note", "customer"]


def test_it_rejects_ref_cycles_and_self_refs() -> None:
    spec = spec_of(
        obj("a", {"id": "r", "target": "b.id", "ref": "b"}),
        obj("b", {"id": "r", "target": "c.id", "ref": "c"}),
        obj("c", {"id": "r", "target": "a.id", "ref": "a"}),
        obj("d", {"id": "r", "target": "d.id", "ref": "d"}),
    )
    assert invalid(spec) == [
        "d / r / d.id: an object cannot ref itself",
        "a: refs form a cycle: a -> b -> c -> a",
    ]
    spec["objects"].insert(0, obj("e", {"id": "r", "target": "a.id", "ref": "a"}))
    assert invalid(spec)[-1] == "a: refs form a cycle: a -> b -> c -> a"  # e only depends on the cycle


def test_it_checks_ref_items_against_for_each() -> None:
    spec = spec_of(
        obj("plan", {"id": "n", "target": "itemId", "source": "Code"}, for_each="lines"),
        obj("customer", {"id": "n", "target": "companyName", "source": "Name"}),
        obj(
            "subscription",
            {"id": "plan", "target": "plan.id", "ref": "plan"},
            {"id": "customer", "target": "customer.id", "ref": "customer", "ref_item": "Id"},
        ),
        obj("extra", {"id": "x", "target": "x", "constant": 1}, depends_on=["nobody"]),
    )
    assert invalid(spec) == [
        "subscription / plan / plan.id: 'plan' makes one record per item (for_each): add "
        "'ref_item', the path to "
        "the id of the item this row refers to",
        "subscription / customer / customer.id: 'customer' makes one record: 'ref_item' is only for for_each "
        "objects",
        "extra / depends_on: unknown object 'nobody'",
    ]


def test_it_checks_lookup_tables_and_sources_when_told_which_exist() -> None:
    spec = one_row(
        {
            "id": "cur",
            "target": "currency.id",
            "source": "CurrencyIsoCode",
            "transforms": [
                {"fn": "lookup", "table": "currency_code_to_id"},
                {"fn": "dynamic_lookup", "source": "netsuite_currency"},
            ],
        }
    )
    assert compile_mapping(spec).lookup_tables() == {"currency_code_to_id"}
    assert compile_mapping(spec).dynamic_sources() == {"netsuite_currency"}
    assert invalid(spec, tables={"country_to_subsidiary"}) == [
        "thing / cur / currency.id: transform #1 (lookup): no lookup table named 'currency_code_to_id' "
        "(tables: country_to_subsidiary)"
    ]
    assert invalid(spec, tables={"currency_code_to_id"}, dynamic_sources=set()) == [
        "thing / cur / currency.id: transform #2 (dynamic_lookup): no dynamic lookup source named "
        "'netsuite_currency'"
    ]


def test_it_validates_object_paths_and_conditions() -> None:
    spec = spec_of(
        obj(
            "contact",
            {"id": "n", "target": "lastName", "source": "LastName"},
            source_path="Account..x",
            for_each="Roles[",
            where={"field": "a", "op": "gt", "value": [1]},
            source_id="^.^.^.Id",
        )
    )
    assert invalid(spec) == [
        "contact / source_path: 'Account..x': '' is not a field name (letters, digits, _; "
        "optional [n] index)",
        "contact / for_each: 'Roles[': 'Roles[' is not a field name (letters, digits, _; optional [n] index)",
        "contact / where: 'gt' compares with a single value, not a list or object",
        "contact / source_id: '^.^.^.Id' climbs 3 level(s) with ^ but only 2 enclosing record(s) exist here",
    ]
