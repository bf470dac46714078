"""The dry run's comparison: only what the mapping sends, references by id, sublists by content."""

from __future__ import annotations

from typing import Any

from sync.pipeline.preview import differences, salesforce_id_18


def _ref(record_id: str, name: str) -> dict[str, Any]:
    return {"id": record_id, "refName": name, "links": [{"rel": "self", "href": f"https://ns/x/{record_id}"}]}


def _held_line(line: int, item: str, quantity: int, rate: int) -> dict[str, Any]:
    """A sales order line as NetSuite reads it back: its own line number, links and expanded refs."""
    return {
        "line": line,
        "links": [{"rel": "self", "href": f"https://ns/salesOrder/1/item/{line}"}],
        "item": _ref(item, f"SKU-{item}"),
        "quantity": quantity,
        "rate": rate,
        "amount": float(quantity * rate),
    }


def _sent_line(item: str, quantity: int, rate: int) -> dict[str, Any]:
    return {"item": {"id": item}, "quantity": quantity, "rate": rate, "amount": quantity * rate}


def _order(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "1",
        "tranId": "SO1",
        "entity": _ref("7", "Acme"),
        "memo": "Deal",
        "lastModifiedDate": "2026-12-06T10:00:00Z",
        "item": {"items": lines, "links": [{"rel": "self", "href": "https://ns/salesOrder/1/item"}]},
    }


def test_it_finds_nothing_when_netsuite_holds_what_the_mapping_sends() -> None:
    body = {
        "entity": {"id": "7"},
        "memo": "Deal",
        "item": {"items": [_sent_line("1", 5, 10), _sent_line("2", 1, 99)]},
    }
    held = _order([_held_line(1, "1", 5, 10), _held_line(2, "2", 1, 99)])
    assert differences(body, held) == []


def test_it_compares_sublist_lines_by_content_not_position() -> None:
    # The subscription plan case: NetSuite holds the package's own member line first, assigned by it.
    body = {"member": {"items": [{"item": {"id": "1"}}, {"item": {"id": "2"}}]}}
    held = {
        "member": {
            "items": [
                {"lineNumber": 1, "item": _ref("10", "PKG"), "isRequired": True},
                {"lineNumber": 2, "item": _ref("1", "CORE"), "isRequired": False},
                {"lineNumber": 3, "item": _ref("2", "ANL"), "isRequired": False},
            ]
        }
    }
    found = differences(body, held)
    assert [(d.path, d.change, d.mapped) for d in found] == [("member.items[0]", "removed", None)]
    assert found[0].netsuite == {"item": _ref("10", "PKG")}  # cut to what the lines send


def test_it_shows_exactly_the_changed_field_of_a_changed_line() -> None:
    body = {"item": {"items": [_sent_line("1", 5, 10), _sent_line("2", 3, 99)]}}
    held = _order([_held_line(1, "2", 1, 99), _held_line(2, "1", 5, 10)])  # another order, too
    assert [(d.path, d.netsuite, d.mapped) for d in differences(body, held)] == [
        ("item.items[1].quantity", 1, 3),
        ("item.items[1].amount", 99.0, 297),
    ]


def test_it_shows_lines_added_and_removed() -> None:
    body = {"item": {"items": [_sent_line("1", 5, 10), _sent_line("3", 2, 7)]}}
    held = _order([_held_line(1, "1", 5, 10), _held_line(2, "2", 1, 99)])
    found = differences(body, held)
    # The new line shares no field with the old one: one is added, the other removed, not "changed".
    assert [(d.path, d.change) for d in found] == [("item.items[1]", "added"), ("item.items[1]", "removed")]
    assert found[0].mapped == _sent_line("3", 2, 7)
    assert found[1].netsuite["item"]["id"] == "2" and "line" not in found[1].netsuite


def test_it_compares_references_by_id_and_numbers_by_value() -> None:
    held = {"entity": _ref("7", "Acme"), "subtotal": 12.5, "memo": None, "terms": _ref("3", "Net 30")}
    assert differences({"entity": {"id": "7"}, "subtotal": 12.50, "memo": ""}, held) == []
    assert [(d.path, d.netsuite, d.mapped) for d in differences({"entity": {"id": "8"}}, held)] == [
        ("entity.id", "7", "8")
    ]
    assert [(d.path, d.netsuite) for d in differences({"currency": {"id": "1"}}, held)] == [
        ("currency.id", None)
    ]


def test_it_turns_a_15_character_id_into_its_18_character_form() -> None:
    assert salesforce_id_18("0065S0000000001") == "0065S0000000001QAA"
    assert salesforce_id_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert salesforce_id_18("0065S0000000001QAA") == "0065S0000000001QAA"
