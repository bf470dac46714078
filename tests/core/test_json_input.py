"""JSON from outside is parsed with a bound on nesting: a clear error, never a RecursionError."""

from __future__ import annotations

import json
import time

import pytest

from core.json_input import MAX_JSON_DEPTH, JsonTooDeep, json_loads_bounded, json_nesting_depth


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [("1", 0), ("[]", 1), ('{"a": [1, {"b": {}}]}', 4), ('["[[[[", "}}\\"[["]', 1), (nested(7), 7)],
)
def test_it_measures_nesting_outside_strings(text: str, depth: int) -> None:
    assert json_nesting_depth(text) == depth


def test_it_parses_a_document_at_the_limit() -> None:
    assert json_loads_bounded(nested(MAX_JSON_DEPTH)) == json.loads(nested(MAX_JSON_DEPTH))
    assert json_loads_bounded(b'{"a": "\\u00e9"}') == {"a": "é"}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_it_refuses_a_deeper_document_naming_the_problem(depth: int) -> None:
    with pytest.raises(JsonTooDeep, match=f"JSON nested deeper than {MAX_JSON_DEPTH} levels"):
        json_loads_bounded('{"a": ' * depth + "1" + "}" * depth)


def test_it_still_reports_plain_syntax_errors() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_loads_bounded("{nope")


def test_it_measures_a_hostile_unterminated_string_in_linear_time() -> None:
    # Escaped quotes and brackets with no closing quote: a scanner that retried from every quote would
    # take minutes on this megabyte; this one reads each character once.
    hostile = '["' + '\\"[' * 300_000
    started = time.perf_counter()
    assert json_nesting_depth(hostile) == 1
    with pytest.raises(json.JSONDecodeError):
        json_loads_bounded(hostile)
    assert time.perf_counter() - started < 5
