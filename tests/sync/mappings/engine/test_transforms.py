"""Every transform: what it does, what a bad parameter says, and what a bad value becomes (a problem)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from sync.mappings.engine import TRANSFORMS, CachedDynamicLookup, StaticLookups, compile_mapping
from sync.mappings.engine.problems import MAX_TEXT_LENGTH
from tests.sync.mappings.engine.helpers import failure, invalid_transform, one_row, transformed


def out(transforms: Sequence[object], value: object, **options: object) -> object:
    result, problems = transformed(transforms, value, **options)  # type: ignore[arg-type]
    assert problems == [], problems
    return result


# -- text ------------------------------------------------------------------------------------------


def test_it_trims_and_changes_case() -> None:
    assert out(["trim"], "  Acme Corp \n") == "Acme Corp"
    assert out(["upper"], "straße") == "STRASSE"
    assert out(["lower"], "ADA@EXAMPLE.COM") == "ada@example.com"
    assert out(["title"], "ACME corp") == "Acme Corp"
    assert out(["trim"], 12.5) == "12.5"  # numbers become text first


def test_it_reports_a_record_given_to_a_text_transform() -> None:
    assert failure(["trim"], {"a": 1}) == "expected text, got {'a': 1}"
    assert failure(["upper"], [1, 2]) == "expected text, got [1, 2]"


def test_it_truncates() -> None:
    assert out([{"fn": "truncate", "length": 4}], "Concord") == "Conc"
    assert out([{"fn": "truncate", "length": 40}], "Concord") == "Concord"
    assert out([{"fn": "truncate", "length": 3}], 12345) == "123"
    assert failure([{"fn": "truncate", "length": 3}], {"x": 1}).startswith("expected text")


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        ({"fn": "truncate"}, "transform #1 (truncate): missing parameter 'length' (whole number)"),
        (
            {"fn": "truncate", "length": -1},
            "transform #1 (truncate): parameter 'length' must be at least 0, not -1",
        ),
        (
            {"fn": "truncate", "length": "3"},
            "transform #1 (truncate): parameter 'length' must be a whole number, not '3'",
        ),
        (
            {"fn": "truncate", "length": True},
            "transform #1 (truncate): parameter 'length' must be a whole number, not True",
        ),
        (
            {"fn": "truncate", "length": 3, "ellipsis": "…"},
            "transform #1 (truncate): unknown parameter(s) 'ellipsis' (parameters: length)",
        ),
        ({"fn": "trim", "x": 1}, "transform #1 (trim): unknown parameter(s) 'x' (parameters: none)"),
        ({"fn": "prefix"}, "transform #1 (prefix): missing parameter 'text' (text)"),
        (
            {"fn": "replace", "old": "", "new": "x"},
            "transform #1 (replace): parameter 'old' must be text of at least 1 character(s), not ''",
        ),
        (
            {"fn": "split", "separator": ",", "index": 5000},
            "transform #1 (split): parameter 'index' must be at most 1000, not 5000",
        ),
        (
            {"fn": "nope"},
            "transform #1: unknown transform 'nope'; see docs/mapping-transforms.md for the list",
        ),
        (
            {"name": "trim"},
            'transform #1: a transform is {"fn": name, ...parameters} or the name of one without parameters',
        ),
        (
            42,
            'transform #1: a transform is {"fn": name, ...parameters} or the name of one without parameters',
        ),
    ],
)
def test_it_names_a_bad_parameter(transform: object, message: str) -> None:
    assert invalid_transform([transform]) == message


def test_it_numbers_the_failing_transform_in_a_chain() -> None:
    assert invalid_transform(["trim", {"fn": "round", "places": 99}]).startswith("transform #2 (round): ")


def test_it_prefixes_suffixes_and_replaces() -> None:
    assert out([{"fn": "prefix", "text": "PLAN-"}], "PKG-STARTER") == "PLAN-PKG-STARTER"
    assert out([{"fn": "suffix", "text": " (billing)"}], "Acme") == "Acme (billing)"
    assert out([{"fn": "replace", "old": "_", "new": " "}], "point_in_time") == "point in time"


LIMIT_MESSAGE = f"more than the {MAX_TEXT_LENGTH:,} allowed"


def test_it_stops_a_replace_that_would_grow_the_text_past_the_limit() -> None:
    grow = {"fn": "replace", "old": "a", "new": "x" * 1000}
    assert LIMIT_MESSAGE in failure([grow], "ab" * 1000)
    # A chain doubling the text each step: a problem, not a 2**21-fold field.
    doubling = [{"fn": "replace", "old": "a", "new": "aa"}] * 21
    message = failure(doubling, "a")
    assert message.startswith("the result would be 1,048,576 characters long") and LIMIT_MESSAGE in message
    assert len(str(out(doubling[:19], "a"))) == 2**19  # under the limit it still works
    assert out([{"fn": "replace", "old": "aa", "new": "a"}], "a" * 2_000_000) == "a" * 1_000_000  # shrinking


def test_it_stops_prefix_suffix_and_concat_past_the_limit() -> None:
    big = "y" * 600_000
    assert LIMIT_MESSAGE in failure([{"fn": "prefix", "text": "x"}], "y" * MAX_TEXT_LENGTH)
    assert LIMIT_MESSAGE in failure([{"fn": "suffix", "text": "x"}], "y" * MAX_TEXT_LENGTH)
    assert LIMIT_MESSAGE in failure([{"fn": "concat", "parts": [{"source": "w"}]}], big, w=big)
    assert len(str(out([{"fn": "concat", "parts": [{"source": "w"}]}], "a", w=big))) == 600_001


def test_it_stops_a_concat_expression_past_the_limit() -> None:
    big = "y" * 600_000
    mapping = compile_mapping(
        one_row({"id": "row", "target": "out", "concat": [{"source": "v"}, {"source": "w"}]})
    )
    result = mapping.apply({"Id": "1", "v": big, "w": big})
    assert len(result.problems) == 1 and LIMIT_MESSAGE in result.problems[0].message
    assert result.problems[0].field_id == "row"


def test_it_splits_and_keeps_one_part() -> None:
    assert out([{"fn": "split", "separator": " ", "index": 0}], "Ada Lovelace") == "Ada"
    assert out([{"fn": "split", "separator": " ", "index": -1}], "Ada King Lovelace") == "Lovelace"
    assert out([{"fn": "split", "separator": ",", "index": 3}], "a,b") is None  # no such part: empty


def test_it_turns_scalars_into_text() -> None:
    assert out(["to_string"], 100.0) == "100.0"
    assert out(["to_string"], 7) == "7"
    assert out(["to_string"], True) == "true"
    assert failure(["to_string"], ["a"]) == "expected text, got ['a']"


def test_it_concatenates_the_value_with_parts() -> None:
    parts = [{"source": "last"}, {"constant": "(CFO)"}]
    assert (
        out([{"fn": "concat", "parts": parts, "separator": " "}], "Ada", last="Lovelace")
        == "Ada Lovelace (CFO)"
    )
    assert out([{"fn": "concat", "parts": parts, "separator": " "}], None, last="") == "(CFO)"
    keep = {
        "fn": "concat",
        "parts": [{"source": "missing"}, {"constant": "x"}],
        "separator": "-",
        "skip_empty": False,
    }
    assert out([keep], "a") == "a--x"
    assert failure([{"fn": "concat", "parts": [{"source": "rec"}]}], "a", rec={"b": 1}).startswith(
        "expected text"
    )
    assert invalid_transform([{"fn": "concat", "parts": []}]) == (
        "transform #1 (concat): parameter 'parts' must be a non-empty list of value expressions"
    )
    assert invalid_transform([{"fn": "concat", "parts": [{"source": "a", "constant": 1}]}]) == (
        "transform #1 (concat): give exactly one of source, constant, ref, concat (found: source, constant)"
    )


# -- numbers ---------------------------------------------------------------------------------------


def test_it_reads_numbers_as_exact_decimals() -> None:
    assert out(["to_number"], 0.1) == Decimal("0.1")
    assert out(["to_number"], "12.50") == Decimal("12.50")
    assert out(["to_number"], 3) == Decimal(3)
    assert out(["to_number"], "") is None
    assert failure(["to_number"], "1,234.50") == "not a number: '1,234.50'"
    assert failure(["to_number"], True) == "not a number: True"
    assert failure(["to_number"], "1e999") == "not a number: '1e999'"


def test_it_reads_whole_numbers() -> None:
    assert out(["to_integer"], 12.0) == 12
    assert out(["to_integer"], "36") == 36
    assert failure(["to_integer"], 12.5) == "not a whole number: 12.5"
    assert failure(["to_integer"], "twelve") == "not a number: 'twelve'"


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("half_up", 2.345, "2.35"),
        ("half_even", 2.345, "2.34"),
        ("half_even", 2.355, "2.36"),
        ("down", 2.349, "2.34"),
        ("up", 2.341, "2.35"),
        ("half_up", -2.345, "-2.35"),
    ],
)
def test_it_rounds_in_decimal(mode: str, value: float, expected: str) -> None:
    assert out([{"fn": "round", "places": 2, "mode": mode}], value) == Decimal(expected)


def test_it_rejects_bad_rounding_parameters() -> None:
    assert invalid_transform([{"fn": "round", "places": 2, "mode": "nearest"}]) == (
        "transform #1 (round): parameter 'mode' must be one of half_up, half_even, down, up, not 'nearest'"
    )
    assert failure([{"fn": "round", "places": 0}], "abc") == "not a number: 'abc'"


def test_it_rounds_money_to_its_currency() -> None:
    by_field = [{"fn": "currency_precision", "currency_field": "cur"}]
    assert out(by_field, 1234.5, cur="JPY") == Decimal("1235")
    assert out(by_field, 2.345, cur="USD") == Decimal("2.35")
    assert out(by_field, 2.3456, cur="KWD") == Decimal("2.346")
    assert out(by_field, 2.345, cur="XYZ") == Decimal("2.35")  # unknown: two places
    assert out([{"fn": "currency_precision", "currency": "JPY"}], "99.5") == Decimal("100")
    overridden = [{"fn": "currency_precision", "currency_field": "cur", "precisions": {"USD": 4}}]
    assert out(overridden, 2.34567, cur="USD") == Decimal("2.3457")
    assert failure(by_field, 2.5) == "no currency code to round by"
    assert failure(by_field, "lots", cur="USD") == "not a number: 'lots'"


def test_it_rejects_bad_currency_parameters() -> None:
    both = {"fn": "currency_precision", "currency": "USD", "currency_field": "cur"}
    assert invalid_transform([both]) == (
        "transform #1 (currency_precision): give exactly one of 'currency' (a code) or "
        "'currency_field' (a path)"
    )
    assert invalid_transform([{"fn": "currency_precision"}]).endswith(
        "give exactly one of 'currency' (a code) or 'currency_field' (a path)"
    )
    assert invalid_transform([{"fn": "currency_precision", "currency_field": "a..b"}]) == (
        "transform #1 (currency_precision): 'a..b': '' is not a field name (letters, digits, _; "
        "optional [n] index)"
    )
    bad = {"fn": "currency_precision", "currency": "USD", "precisions": {"USD": 9}}
    assert "must map to a whole number of places from 0 to 6" in invalid_transform([bad])


def test_it_multiplies_exactly() -> None:
    assert out([{"fn": "multiply", "by": "0.01"}], 1250) == Decimal("12.50")
    assert out([{"fn": "multiply", "by": 100}], 0.175) == Decimal("17.500")
    assert invalid_transform([{"fn": "multiply", "by": "ten"}]) == (
        "transform #1 (multiply): parameter 'by' must be a finite number, not 'ten'"
    )
    assert failure([{"fn": "multiply", "by": 2}], [1]) == "not a number: [1]"


# -- dates -----------------------------------------------------------------------------------------


def test_it_formats_dates() -> None:
    assert out(["date_format"], "2026-11-23") == "2026-11-23"
    assert out(["date_format"], "2026-11-23T23:30:00.000+0000") == "2026-11-23"  # the date as written
    assert (
        out([{"fn": "date_format", "input": "%m/%d/%Y", "output": "%d.%m.%Y"}], "11/23/2026") == "23.11.2026"
    )
    assert failure(["date_format"], "23/11/2026") == "not an ISO 8601 date (YYYY-MM-DD): '23/11/2026'"
    assert failure(["date_format"], 20261123) == "expected a date as text, got 20261123"
    assert invalid_transform([{"fn": "date_format", "output": "%Y-%Q"}]) == (
        "transform #1 (date_format): parameter 'output': %Q is not a supported strftime directive"
    )


def test_it_converts_date_times_between_zones() -> None:
    salesforce = "2026-11-23T07:30:00.000+0000"
    assert out(["datetime_format"], salesforce) == "2026-11-23T07:30:00Z"
    new_york = {"fn": "datetime_format", "timezone": "America/New_York", "output": "%Y-%m-%d %H:%M"}
    assert out([new_york], salesforce) == "2026-11-23 02:30"
    assert (
        out(
            [{"fn": "datetime_format", "timezone": "Asia/Tokyo", "output": "%Y-%m-%d"}],
            "2026-11-23T20:00:00Z",
        )
        == "2026-11-24"
    )
    naive = {"fn": "datetime_format", "assume": "Europe/Paris"}
    assert out([naive], "2026-07-01T12:00:00") == "2026-07-01T10:00:00Z"
    assert failure(["datetime_format"], "yesterday") == "not an ISO 8601 date-time: 'yesterday'"
    assert invalid_transform([{"fn": "datetime_format", "timezone": "Mars/Olympus"}]) == (
        "transform #1 (datetime_format): parameter 'timezone': unknown time zone 'Mars/Olympus'"
    )
    assert invalid_transform([{"fn": "datetime_format", "timezone": "../etc/passwd"}]) == (
        "transform #1 (datetime_format): parameter 'timezone' must be an IANA time zone such as Europe/Paris"
    )


def test_it_expresses_a_moment_in_another_zone_with_daylight_saving() -> None:
    paris = [{"fn": "to_timezone", "timezone": "Europe/Paris"}]
    assert out(paris, "2026-11-23T07:30:00Z") == "2026-11-23T08:30:00+01:00"
    assert out(paris, "2026-07-01T07:30:00Z") == "2026-07-01T09:30:00+02:00"
    assert failure(paris, {"when": "now"}) == "expected a date-time as text, got {'when': 'now'}"
    assert invalid_transform([{"fn": "to_timezone"}]) == (
        "transform #1 (to_timezone): missing parameter 'timezone' (IANA time zone (Europe/Paris))"
    )


# -- values ----------------------------------------------------------------------------------------


def test_it_defaults_an_empty_value() -> None:
    assert out([{"fn": "default", "value": "Net 30"}], None) == "Net 30"
    assert out([{"fn": "default", "value": "Net 30"}], "") == "Net 30"
    assert out([{"fn": "default", "value": "Net 30"}], "Net 60") == "Net 60"
    assert out([{"fn": "default", "field": "other"}], None, other="fallback") == "fallback"
    assert invalid_transform([{"fn": "default", "value": 1, "field": "x"}]) == (
        "transform #1 (default): give exactly one of 'value' or 'field'"
    )


def test_it_reads_booleans() -> None:
    assert out(["to_boolean"], "Yes") is True
    assert out(["to_boolean"], 0) is False
    assert out(["to_boolean"], False) is False
    assert failure(["to_boolean"], "maybe") == "not a true/false value: 'maybe'"
    assert failure(["to_boolean"], 2) == "not a true/false value: 2"


def test_it_maps_values() -> None:
    terms = {"fn": "value_map", "map": {"Net 30": "3", "12": "twelve", "true": "yes"}}
    assert out([terms], "Net 30") == "3"
    assert out([terms], 12.0) == "twelve"  # numbers match without their zero fraction
    assert out([terms], True) == "yes"
    assert failure([terms], "Net 90") == "'Net 90' is not in the value map (12, Net 30, true)"
    assert out([{**terms, "on_missing": "keep"}], "Net 90") == "Net 90"
    assert out([{**terms, "on_missing": "null"}], "Net 90") is None
    assert out([{**terms, "default": "?"}], "Net 90") == "?"
    assert invalid_transform([{**terms, "default": "?", "on_missing": "null"}]) == (
        "transform #1 (value_map): give 'default' (the value for a miss) or 'on_missing', not both"
    )
    assert invalid_transform([{"fn": "value_map", "map": ["a"]}]) == (
        "transform #1 (value_map): parameter 'map' must be an object of text keys to values, not ['a']"
    )
    assert failure([terms], {"a": 1}) == "cannot look up {'a': 1}: expected text or a number"


def test_it_looks_values_up_in_tables() -> None:
    lookups = StaticLookups({"currency_code_to_id": {"USD": "1", "JPY": "6"}})
    currency = {"fn": "lookup", "table": "currency_code_to_id"}
    assert out([currency], "JPY", lookups=lookups) == "6"
    assert failure([currency], "XYZ", lookups=lookups) == "no 'XYZ' in lookup table 'currency_code_to_id'"
    assert out([{**currency, "on_missing": "null"}], "XYZ", lookups=lookups) is None
    assert failure([currency], "USD") == "no 'USD' in lookup table 'currency_code_to_id'"  # no tables given
    assert invalid_transform([{"fn": "lookup", "table": ""}]) == (
        "transform #1 (lookup): parameter 'table' must be text of at least 1 character(s), not ''"
    )


def test_it_looks_values_up_in_dynamic_sources() -> None:
    calls: list[list[str]] = []

    def fetch(keys: Sequence[str]) -> dict[str, str]:
        calls.append(list(keys))
        return {"PLAT-CORE": "1"} if "PLAT-CORE" in keys else {}

    lookups = StaticLookups(dynamic={"netsuite_item_by_sku": CachedDynamicLookup(fetch)})
    item = {"fn": "dynamic_lookup", "source": "netsuite_item_by_sku"}
    assert out([item], "PLAT-CORE", lookups=lookups) == "1"
    assert failure([item], "NOPE", lookups=lookups) == "netsuite_item_by_sku: nothing found for 'NOPE'"
    assert out([{**item, "default": "0"}], "NOPE", lookups=lookups) == "0"
    assert calls == [["PLAT-CORE"], ["NOPE"]]  # the miss was cached too


def test_it_applies_a_conditional() -> None:
    exempt = {
        "fn": "if",
        "condition": {"field": "taxable", "op": "eq", "value": False},
        "then": {"constant": "TAX-EXEMPT"},
    }
    assert out([exempt], "TAX-STD", taxable=False) == "TAX-EXEMPT"
    assert out([exempt], "TAX-STD", taxable=True) == "TAX-STD"
    on_value = {
        "fn": "if",
        "condition": {"field": "@value", "op": "gt", "value": 100},
        "then": [{"fn": "multiply", "by": "0.9"}],
        "else": {"constant": 0},
    }
    assert out(["to_number", on_value], 200) == Decimal("180.0")
    assert out(["to_number", on_value], 50) == 0
    assert invalid_transform(
        [{"fn": "if", "condition": {"field": "a", "op": "like", "value": 1}, "then": {"constant": 1}}]
    ) == (
        "transform #1 (if): unknown operator 'like'; use one of eq, ne, in, not_in, empty, "
        "not_empty, gt, gte, "
        "lt, lte, contains"
    )
    assert invalid_transform([{"fn": "if", "condition": {"field": "a", "op": "empty"}, "then": "upper"}]) == (
        "transform #1 (if): 'then' is a list of transforms or {\"constant\": value}"
    )
    assert invalid_transform(
        [{"fn": "if", "condition": {"field": "a", "op": "empty"}, "then": [{"fn": "nope"}]}]
    ) == (
        "transform #1 (if): transform #1: unknown transform 'nope'; see "
        "docs/mapping-transforms.md for the list"
    )


def test_it_keeps_none_empty_through_every_transform_but_the_filling_ones() -> None:
    simple = {
        "trim",
        "upper",
        "lower",
        "title",
        "to_string",
        "to_number",
        "to_integer",
        "to_boolean",
        "date_format",
        "datetime_format",
    }
    for name in sorted(simple):
        assert out([name], None) is None, name


def test_it_documents_every_transform() -> None:
    assert len(TRANSFORMS) == 25
    for definition in TRANSFORMS.values():
        assert definition.summary.endswith(".") and len(definition.summary) <= 110, definition.name
        assert len(definition.doc) > 30, definition.name
