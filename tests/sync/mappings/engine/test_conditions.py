"""Conditions: every operator, numbers in their JSON forms, combinators, comparisons between paths."""

from __future__ import annotations

from typing import Any

import pytest

from sync.mappings.engine import StaticLookups
from sync.mappings.engine.conditions import compile_condition
from sync.mappings.engine.problems import SpecError
from sync.mappings.engine.runtime import Frame, Run

RECORD: dict[str, Any] = {
    "Id": "L1",
    "Stage": "Closed Won",
    "Amount": 0.0,
    "Quantity": 12.0,
    "Text": "12.00",
    "Flag": True,
    "Empty": "",
    "Null": None,
    "Wrapper": {"totalSize": 0, "done": True, "records": []},
    "Tags": ["a", "b"],
    "Date": "2026-11-23",
    "Parent": "L0",
    "Nested": {"x": 1},
}


def holds(condition: dict[str, Any], value: Any = None, record: dict[str, Any] | None = None) -> bool:
    test = compile_condition(condition, allow_value=True)
    item = record or RECORD
    return test(Frame(item, None, None, Run(item, {}, StaticLookups())), value)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"field": "Stage", "op": "eq", "value": "Closed Won"}, True),
        ({"field": "Stage", "op": "ne", "value": "Closed Won"}, False),
        ({"field": "Amount", "op": "eq", "value": 0}, True),
        ({"field": "Quantity", "op": "eq", "value": 12}, True),
        ({"field": "Quantity", "op": "eq", "value": "12"}, False),  # text stays text
        ({"field": "Text", "op": "eq", "value": 12}, True),  # numeric text equals a number
        ({"field": "Flag", "op": "eq", "value": True}, True),
        ({"field": "Flag", "op": "eq", "value": 1}, False),  # a bool is not a number
        ({"field": "Null", "op": "eq", "value": None}, True),
        ({"field": "Missing", "op": "eq", "value": None}, True),
        ({"field": "Nested", "op": "eq", "value": {"x": 1}}, True),
        ({"field": "Stage", "op": "in", "value": ["Closed Won", "Closed Lost"]}, True),
        ({"field": "Quantity", "op": "in", "value": [10, 12]}, True),
        ({"field": "Stage", "op": "not_in", "value": ["Prospecting"]}, True),
        ({"field": "Empty", "op": "empty"}, True),
        ({"field": "Null", "op": "empty"}, True),
        ({"field": "Wrapper", "op": "empty"}, True),
        ({"field": "Tags", "op": "not_empty"}, True),
        ({"field": "Amount", "op": "not_empty"}, True),  # zero is a value
        ({"field": "Quantity", "op": "gt", "value": 10}, True),
        ({"field": "Quantity", "op": "gte", "value": 12.0}, True),
        ({"field": "Quantity", "op": "lt", "value": "12.5"}, False),  # text limit: text comparison only
        ({"field": "Quantity", "op": "lte", "value": 12}, True),
        ({"field": "Stage", "op": "gt", "value": 5}, False),  # a word is not more than a number
        ({"field": "Date", "op": "gte", "value": "2026-01-01"}, True),  # ISO dates order as text
        ({"field": "Date", "op": "lt", "value": "2026-01-01"}, False),
        ({"field": "Stage", "op": "contains", "value": "Won"}, True),
        ({"field": "Tags", "op": "contains", "value": "b"}, True),
        ({"field": "Amount", "op": "contains", "value": "0"}, False),
        (
            {
                "all": [
                    {"field": "Flag", "op": "eq", "value": True},
                    {"field": "Amount", "op": "eq", "value": 0},
                ]
            },
            True,
        ),
        (
            {
                "all": [
                    {"field": "Flag", "op": "eq", "value": True},
                    {"field": "Null", "op": "not_empty"},
                    {"field": "Id", "op": "eq", "value": "L1"},
                ]
            },
            False,
        ),
        ({"any": [{"field": "Null", "op": "not_empty"}, {"field": "Id", "op": "eq", "value": "L1"}]}, True),
        ({"not": {"field": "Flag", "op": "eq", "value": True}}, False),
        (
            {
                "not": {
                    "all": [{"field": "Flag", "op": "eq", "value": True}, {"field": "Null", "op": "empty"}]
                }
            },
            False,
        ),
        ({"field": "Parent", "op": "eq", "value_from": "Id"}, False),
        ({"field": "Quantity", "op": "gt", "value_from": "Amount"}, True),
        ({"field": "Date", "op": "lt", "value_from": "Stage"}, True),
    ],
)
def test_it_evaluates_each_operator(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition) is expected


def test_it_tests_the_value_being_transformed() -> None:
    assert holds({"field": "@value", "op": "gt", "value": 100}, value=150) is True
    assert holds({"field": "@value", "op": "eq", "value_from": "Quantity"}, value=12) is True
    assert holds({"field": "Quantity", "op": "lt", "value_from": "@value"}, value=13) is True


def test_it_compares_floats_exactly_with_decimal_limits() -> None:
    assert holds({"field": "@value", "op": "eq", "value": 0.1}, value=0.1) is True
    assert holds({"field": "@value", "op": "eq", "value": "0.1"}, value=0.1) is False  # text vs number
    assert holds({"field": "@value", "op": "eq", "value": 0.3}, value=0.1 + 0.2) is False
    assert holds({"field": "@value", "op": "gt", "value": 0.3}, value=0.1 + 0.2) is True


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("Stage", "a condition is an object like {'field': ..., 'op': ...}, not str"),
        ({"field": "Stage"}, "a condition needs 'field' and 'op' (or 'all', 'any', 'not')"),
        ({"field": "Stage", "op": "is"}, "unknown operator 'is'"),
        ({"field": "Stage", "op": "eq"}, "'eq' needs exactly one of 'value' or 'value_from' (a path)"),
        ({"field": "Stage", "op": "eq", "value": 1, "value_from": "Id"}, "'eq' needs exactly one of 'value'"),
        ({"field": "Stage", "op": "empty", "value": 1}, "'empty' takes no value"),
        ({"field": "Stage", "op": "in", "value": "Closed"}, "'in' takes a list as 'value'"),
        ({"field": "Stage", "op": "in", "value_from": "Id"}, "'in' compares with a fixed list: use 'value'"),
        ({"field": "Stage", "op": "gt", "value": True}, "'gt' compares with a number or text, not True"),
        ({"field": "Stage", "op": "eq", "value": 1e999}, "inf is not a finite number"),
        ({"all": []}, "'all' takes a non-empty list of conditions"),
        ({"all": [{"field": "a", "op": "empty"}], "any": []}, "unexpected key(s) 'any' in a condition"),
        ({"field": "a..b", "op": "empty"}, "'a..b': '' is not a field name"),
        ({"field": "a", "op": "empty", "colour": "red"}, "unexpected key(s) 'colour' in a condition"),
    ],
)
def test_it_explains_a_bad_condition(condition: Any, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        compile_condition(condition, allow_value=True)
    assert message in str(caught.value)


def test_it_limits_nesting() -> None:
    condition: dict[str, Any] = {"field": "a", "op": "empty"}
    for _ in range(25):
        condition = {"not": condition}
    with pytest.raises(SpecError, match="nested deeper than 20 levels"):
        compile_condition(condition)
