"""The transform chain editor: steps from form fields and back, actions on them, clear errors."""

from __future__ import annotations

import pytest

from sync.mappings.chains import (
    ChainError,
    chain_editor,
    chain_from_steps,
    steps_apply,
    steps_from_chain,
    steps_from_data,
    transform_catalog,
)
from sync.mappings.engine.transforms.registry import TRANSFORMS

CHAIN = [
    "trim",
    {"fn": "truncate", "length": 83},
    {"fn": "lookup", "table": "payment_terms_to_id", "on_missing": "null"},
    {"fn": "multiply", "by": 0.5},
    {"fn": "concat", "parts": [{"source": "Name"}], "separator": " ", "skip_empty": False},
]


def test_it_goes_from_a_chain_to_steps_and_back_unchanged() -> None:
    assert chain_from_steps(steps_from_chain(CHAIN)) == CHAIN


def test_it_reads_the_steps_as_posted() -> None:
    data = {
        "steps": "3",
        "step-0-fn": "truncate",
        "step-0-length": "40",
        "step-1-fn": "",  # a removed step
        "step-2-fn": "round",
        "step-2-places": "2",
        "step-2-mode": "",
    }
    assert chain_from_steps(steps_from_data(data)) == [
        {"fn": "truncate", "length": 40},
        {"fn": "round", "places": 2},
    ]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"fn": "truncate", "length": "forty"}, "step 1 (truncate): length must be a whole number"),
        ({"fn": "truncate", "length": ""}, "step 1 (truncate): length is needed"),
        ({"fn": "multiply", "by": "x"}, "step 1 (multiply): by must be a number"),
        ({"fn": "value_map", "map": "{"}, "step 1 (value_map): map must be JSON"),
        ({"fn": "concat", "parts": "[]", "skip_empty": "maybe"}, "skip_empty must be yes or no"),
        ({"fn": "nope"}, "step 1: there is no transform 'nope'"),
    ],
)
def test_it_names_the_step_and_parameter_that_is_wrong(step: dict[str, str], message: str) -> None:
    with pytest.raises(ChainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        chain_from_steps([step])


def test_it_adds_removes_and_moves_steps() -> None:
    steps = steps_from_chain(["trim", "upper"])
    steps = steps_apply(steps, "add", add="truncate")
    assert [step["fn"] for step in steps] == ["trim", "upper", "truncate"]
    assert [s["fn"] for s in steps_apply(steps, "up-2")] == ["trim", "truncate", "upper"]
    assert [s["fn"] for s in steps_apply(steps, "down-0")] == ["upper", "trim", "truncate"]
    assert [s["fn"] for s in steps_apply(steps, "remove-1")] == ["trim", "truncate"]
    assert steps_apply(steps, "up-0") == steps and steps_apply(steps, "remove-9") == steps
    assert steps_apply(steps, "add", add="no_such") == steps


def test_the_editor_shows_inputs_by_kind_and_the_words() -> None:
    editor = chain_editor(
        tables={"payment_terms_to_id": "Payment terms -> NetSuite id"},
        chain=[{"fn": "lookup", "table": "payment_terms_to_id"}, {"fn": "truncate", "length": 9}],
    )
    lookup, truncate = editor.steps
    assert lookup.words == "look up in Payment terms → NetSuite id"
    table, on_missing, default = lookup.params
    assert (
        table.control == "select"
        and ("payment_terms_to_id", "payment_terms_to_id: Payment terms -> NetSuite id") in table.options
    )
    assert on_missing.control == "select" and default.control == "json"
    (length,) = truncate.params
    assert (length.control, length.value, length.minimum) == ("int", "9", 0)
    assert (
        editor.json == '[{"fn": "lookup", "table": "payment_terms_to_id"}, {"fn": "truncate", "length": 9}]'
    )


def test_the_editor_keeps_what_was_typed_when_a_step_is_incomplete() -> None:
    data = {
        "steps": "1",
        "step-0-fn": "truncate",
        "step-0-length": "abc",
        "transforms": '["trim"]',
        "op": "add",
        "add_fn": "upper",
    }
    editor = chain_editor(tables={}, data=data, op="add")
    assert [step.fn for step in editor.steps] == ["truncate", "upper"]
    assert editor.steps[0].params[0].value == "abc"
    assert editor.steps[0].words.startswith("incomplete: length must be a whole number")
    assert editor.json == '["trim"]'  # the advanced box keeps its text while the steps do not build


def test_the_editor_loads_the_json_into_steps_or_says_why_not() -> None:
    loaded = chain_editor(tables={}, data={"steps": "0", "transforms": '["lower"]'}, op="from_json")
    assert [step.fn for step in loaded.steps] == ["lower"]
    broken = chain_editor(tables={}, data={"steps": "0", "transforms": '["lower"'}, op="from_json")
    assert broken.error.startswith("The JSON is not read") and broken.json == '["lower"'


def test_the_step_list_shows_each_transforms_summary_as_plain_text() -> None:
    listed = {name: summary for _, items in transform_catalog() for name, summary in items}
    assert set(listed) == set(TRANSFORMS)
    assert all("`" not in summary for summary in listed.values())
    assert listed["concat"] == TRANSFORMS["concat"].summary.replace("`", "")
