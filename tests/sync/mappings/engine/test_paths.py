"""Source paths over nested, null and child-subquery shapes; target paths with [n] and []."""

from __future__ import annotations

from typing import Any

import pytest

from sync.mappings.engine import StaticLookups, compile_mapping
from sync.mappings.engine.paths import (
    PathError,
    as_items,
    compile_getter,
    compile_setter,
    overlaps,
    parse_source,
    parse_target,
    remove_path,
)
from sync.mappings.engine.runtime import Frame, Run

GRAPH: dict[str, Any] = {
    "Id": "006A",
    "CurrencyIsoCode": "EUR",
    "Account": {"Id": "001A", "Name": "Acme", "Parent": None, "Owner": {"Manager": {"Name": "Grace"}}},
    "OpportunityContactRoles": {
        "totalSize": 2,
        "done": True,
        "records": [
            {"ContactId": "003A", "Contact": {"Email": "ada@example.com"}},
            {"ContactId": "003B", "Contact": None},
        ],
    },
    "Partners": None,
    "primary_quote": {
        "Id": "a0x",
        "lines": [
            {"Id": "L1", "SBQQ__RequiredBy__c": None, "Code": "PKG"},
            {"Id": "L2", "SBQQ__RequiredBy__c": "L1", "Code": "CORE"},
            {"Id": "L3", "SBQQ__RequiredBy__c": "L1", "Code": "SUP"},
            {"Id": "L4", "SBQQ__RequiredBy__c": None, "Code": "SVC"},
            "not a record",
        ],
    },
}


def root_frame() -> Frame:
    return Frame(GRAPH, None, None, Run(GRAPH, {}, StaticLookups()))


def read(path: str, frame: Frame | None = None) -> Any:
    return compile_getter(parse_source(path))(frame or root_frame())


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Id", "006A"),
        ("Account.Name", "Acme"),
        ("Account.Parent.Name", None),  # a null parent gives None
        ("Account.Missing.Name", None),
        ("Account.Owner.Manager.Name", "Grace"),
        ("Account.Name.Length", None),  # walking into text gives None
        ("OpportunityContactRoles.records[0].Contact.Email", "ada@example.com"),
        ("OpportunityContactRoles[0].ContactId", "003A"),  # [n] looks through the subquery wrapper
        ("OpportunityContactRoles[1].Contact.Email", None),
        ("OpportunityContactRoles[7].ContactId", None),
        ("Partners[0].Name", None),  # a null subquery
        ("primary_quote.lines[1].Code", "CORE"),
        ("$.CurrencyIsoCode", "EUR"),
        ("$", GRAPH),
        ("", GRAPH),
    ],
)
def test_it_reads_nested_null_and_subquery_shapes(path: str, expected: Any) -> None:
    assert read(path) == expected


def test_it_reads_from_the_enclosing_record_and_the_root() -> None:
    root = root_frame()
    quote = Frame(GRAPH["primary_quote"], None, root, root.run)
    line = Frame(GRAPH["primary_quote"]["lines"][1], GRAPH["primary_quote"]["lines"], quote, root.run)
    assert read("Code", line) == "CORE"
    assert read("^.Id", line) == "a0x"
    assert read("^.^.Account.Name", line) == "Acme"
    assert read("$.Account.Name", line) == "Acme"
    assert read("^", line) is GRAPH["primary_quote"]


def test_it_finds_the_children_of_a_bundle_line() -> None:
    root = root_frame()
    lines = GRAPH["primary_quote"]["lines"]
    children = compile_getter(parse_source("@children_of(SBQQ__RequiredBy__c)"))
    assert [line["Code"] for line in children(Frame(lines[0], lines, root, root.run))] == ["CORE", "SUP"]
    assert children(Frame(lines[1], lines, root, root.run)) == []
    assert children(Frame(lines[3], lines, root, root.run)) == []
    by_code = compile_getter(parse_source("@children_of(Parent, Code)"))
    assert by_code(Frame({"Code": "X"}, [{"Parent": "X", "n": 1}, {"Parent": "Y"}], root, root.run)) == [
        {"Parent": "X", "n": 1}
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("Account..Name", "'Account..Name': '' is not a field name (letters, digits, _; optional [n] index)"),
        ("Account.Name ", "'Account.Name ' has leading or trailing spaces"),
        (
            "Account.1Name",
            "'Account.1Name': '1Name' is not a field name (letters, digits, _; optional [n] index)",
        ),
        ("lines[]", "'lines[]': 'lines[]' is not a field name (letters, digits, _; optional [n] index)"),
        (
            "lines[100]",
            "'lines[100]': 'lines[100]' is not a field name (letters, digits, _; optional [n] index)",
        ),
        (
            "getattr(x)",
            "'getattr(x)': 'getattr(x)' is not a field name (letters, digits, _; optional [n] index)",
        ),
        (
            "@children_of(a.b)",
            "'@children_of(a.b)': write @children_of(LINK_FIELD) or @children_of(LINK_FIELD, KEY_FIELD)",
        ),
        (
            "$.@children_of(Link)",
            "'$.@children_of(Link)': @children_of reads the current record's list, not the root",
        ),
        ("@value", "@value (the value being transformed) is only allowed in a transform's condition"),
        (".".join(["a"] * 21), "is deeper than 20 levels"),
    ],
)
def test_it_explains_a_bad_source_path(path: str, message: str) -> None:
    with pytest.raises(PathError) as caught:
        parse_source(path)
    assert message in str(caught.value)


def test_it_treats_non_lists_at_list_paths_precisely() -> None:
    assert as_items([1]) == [1]
    assert as_items(None) == []
    assert as_items({"totalSize": 0, "done": True, "records": None}) == []
    assert as_items({"totalSize": 1, "done": True, "records": [{"a": 1}]}) == [{"a": 1}]
    assert as_items({"a": 1}) is None
    assert as_items("text") is None


def test_it_writes_targets_with_indexes() -> None:
    body: dict[str, Any] = {}
    compile_setter(parse_target("companyName"))(body, "Acme")
    compile_setter(parse_target("subsidiary.id"))(body, "2")
    compile_setter(parse_target("addressBook.items[0].addressBookAddress.addr1"))(body, "1 Main St")
    compile_setter(parse_target("addressBook.items[0].addressBookAddress.city"))(body, "Springfield")
    compile_setter(parse_target("addressBook.items[2].label"))(body, "Shipping")
    compile_setter(parse_target("tags[1]"))(body, "b")
    assert body == {
        "companyName": "Acme",
        "subsidiary": {"id": "2"},
        "addressBook": {
            "items": [
                {"addressBookAddress": {"addr1": "1 Main St", "city": "Springfield"}},
                {},
                {"label": "Shipping"},
            ]
        },
        "tags": [None, "b"],
    }


def test_it_parses_group_targets() -> None:
    assert parse_target("item.items[]", group=True) == (("item", None), ("items", None))
    with pytest.raises(PathError, match="a group's target ends in"):
        parse_target("item.items", group=True)
    with pytest.raises(PathError, match="only for a group"):
        parse_target("item.items[].rate")
    with pytest.raises(PathError, match="non-empty text"):
        parse_target("")


def test_it_removes_create_only_paths_and_prunes_what_they_leave_empty() -> None:
    body = {
        "subsidiary": {"id": "2"},
        "companyName": "Acme",
        "addressBook": {"items": [{"addressBookAddress": {"addr1": "1 Main"}}]},
        "item": {"items": [{"item": {"id": "1"}, "rate": 5}, {"item": {"id": "2"}, "rate": 6}]},
    }
    remove_path(body, parse_target("subsidiary.id"))
    remove_path(body, parse_target("addressBook.items[0].addressBookAddress.addr1"))
    remove_path(body, (("item", None), ("items", -1), ("rate", None)))
    remove_path(body, parse_target("not.there"))
    assert body == {"companyName": "Acme", "item": {"items": [{"item": {"id": "1"}}, {"item": {"id": "2"}}]}}


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("subsidiary", "subsidiary.id", True),
        ("subsidiary.id", "subsidiary.id", True),
        ("subsidiary.id", "subsidiary.name", False),
        ("addressBook.items[0].label", "addressBook.items[1].label", False),
        ("addressBook.items[0].label", "addressBook.items.label", True),
        ("entity.id", "entityId", False),
    ],
)
def test_it_detects_overlapping_targets(first: str, second: str, expected: bool) -> None:
    assert overlaps(parse_target(first), parse_target(second)) is expected


def test_it_maps_through_each_shape_end_to_end() -> None:
    spec = {
        "flow": "paths",
        "source": "Opportunity",
        "objects": [
            {
                "key": "order",
                "target": "salesOrder",
                "external_id": {"source": "Id"},
                "fields": [
                    {"id": "email", "target": "email", "source": "OpportunityContactRoles[0].Contact.Email"},
                    {"id": "parent", "target": "parent", "source": "Account.Parent.Name"},
                    {
                        "id": "bundles",
                        "target": "bundle.items[]",
                        "each": "primary_quote.lines",
                        "where": {"field": "@children_of(SBQQ__RequiredBy__c)", "op": "not_empty"},
                        "fields": [
                            {"id": "code", "target": "code", "source": "Code"},
                            {"id": "quote", "target": "quote", "source": "^.primary_quote.Id"},
                            {
                                "id": "members",
                                "target": "member.items[]",
                                "each": "@children_of(SBQQ__RequiredBy__c)",
                                "fields": [
                                    {"id": "member", "target": "item", "source": "Code"},
                                    {"id": "currency", "target": "currency", "source": "$.CurrencyIsoCode"},
                                ],
                            },
                        ],
                    },
                ],
            }
        ],
    }
    result = compile_mapping(spec).apply(GRAPH)
    assert [(p.field_id, p.message) for p in result.problems] == [
        ("bundles", "an element of primary_quote.lines is not a record"),
    ]
    spec["objects"][0]["fields"][2]["each"] = "Account.Name"  # type: ignore[index]
    assert [(p.field_id, p.message, p.value) for p in compile_mapping(spec).apply(GRAPH).problems] == [
        ("bundles", "Account.Name is not a list", "Acme"),
    ]
    graph = {
        **GRAPH,
        "primary_quote": {**GRAPH["primary_quote"], "lines": GRAPH["primary_quote"]["lines"][:4]},
    }
    spec["objects"][0]["fields"][2]["each"] = "primary_quote.lines"  # type: ignore[index]
    (payload,) = compile_mapping(spec).apply(graph).payloads
    assert payload.body == {
        "email": "ada@example.com",
        "bundle": {
            "items": [
                {
                    "code": "PKG",
                    "quote": "a0x",
                    "member": {
                        "items": [
                            {"item": "CORE", "currency": "EUR"},
                            {"item": "SUP", "currency": "EUR"},
                        ]
                    },
                }
            ]
        },
    }
