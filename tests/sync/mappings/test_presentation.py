"""Transforms, conditions and row values in words: every registered transform has a phrase."""

from __future__ import annotations

import pytest

from sync.mappings.engine import TRANSFORMS
from sync.mappings.presentation import (
    PHRASES,
    chain_words,
    condition_words,
    diff_value_words,
    step_words,
    table_title,
)

TITLES = {"payment_terms_to_id": "Payment terms name (a Salesforce picklist value) -> NetSuite term id."}

# One example per registered transform, as a mapping would write it, and what a person reads.
EXAMPLES = {
    "date_format": ("date_format", "as a date (YYYY-MM-DD)"),
    "datetime_format": (
        {"fn": "datetime_format", "timezone": "Europe/Paris", "output": "%Y-%m-%d %H:%M"},
        "as a date-time in Europe/Paris (YYYY-MM-DD hh:mm)",
    ),
    "to_timezone": ({"fn": "to_timezone", "timezone": "Asia/Tokyo"}, "in time zone Asia/Tokyo"),
    "to_number": ("to_number", "as a number"),
    "to_integer": ("to_integer", "as a whole number"),
    "round": ({"fn": "round", "places": 2, "mode": "down"}, "round to 2 decimals (towards zero)"),
    "currency_precision": (
        {"fn": "currency_precision", "currency_field": "$.CurrencyIsoCode"},
        "round to the currency's decimals (currency from $.CurrencyIsoCode)",
    ),
    "multiply": ({"fn": "multiply", "by": 100}, "multiply by 100"),
    "trim": ("trim", "trim spaces"),
    "upper": ("upper", "upper case"),
    "lower": ("lower", "lower case"),
    "title": ("title", "capitalise each word"),
    "truncate": ({"fn": "truncate", "length": 83}, "cut to 83 characters"),
    "prefix": ({"fn": "prefix", "text": "BA-"}, "put “BA-” in front"),
    "suffix": ({"fn": "suffix", "text": "-X"}, "add “-X” after"),
    "replace": ({"fn": "replace", "old": "Inc.", "new": "Inc"}, "replace “Inc.” with “Inc”"),
    "split": ({"fn": "split", "separator": " ", "index": -1}, "split on “ ”, keep the last part"),
    "to_string": ("to_string", "as text"),
    "concat": (
        {"fn": "concat", "parts": [{"source": "Account.Name"}], "separator": " - "},
        "join with Account.Name, separated by “ - ”",
    ),
    "default": ({"fn": "default", "value": "n/a"}, "if empty, use “n/a”"),
    "to_boolean": ("to_boolean", "as true/false"),
    "value_map": (
        {"fn": "value_map", "map": {"Gold": "1", "Silver": "2"}, "on_missing": "keep"},
        "translate “Gold” → “1”, “Silver” → “2”, unchanged when not found",
    ),
    "lookup": (
        {"fn": "lookup", "table": "payment_terms_to_id"},
        "look up in Payment terms name → NetSuite term id",
    ),
    "dynamic_lookup": (
        {"fn": "dynamic_lookup", "source": "netsuite_item_by_sku"},
        "look up live in netsuite_item_by_sku",
    ),
    "if": (
        {"fn": "if", "condition": {"field": "@value", "op": "empty"}, "then": {"constant": "none"}},
        "if @value is empty, then use “none”",
    ),
}


def test_it_has_a_phrase_for_every_registered_transform() -> None:
    assert set(PHRASES) == set(TRANSFORMS), "a transform without words (add it to presentation.PHRASES)"
    assert set(EXAMPLES) == set(TRANSFORMS), "a transform without an example in this test"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_it_says_each_transform_in_words(name: str) -> None:
    step, words = EXAMPLES[name]
    assert step_words(step, TITLES) == words


def test_it_names_a_lookup_table_by_its_name_without_a_description() -> None:
    assert table_title("country_to_subsidiary", {}) == "country_to_subsidiary"
    assert step_words({"fn": "lookup", "table": "x", "on_missing": "null"}, {}) == (
        "look up in x, empty when not found"
    )


def test_it_joins_a_chain_and_shows_unknown_steps_as_json_never_as_python() -> None:
    assert chain_words(["trim", {"fn": "truncate", "length": 32}]) == "trim spaces → cut to 32 characters"
    assert chain_words([{"fn": "nope", "x": True}]) == 'unknown transform {"fn": "nope", "x": true}'
    assert "{'" not in chain_words([{"no": "fn"}, 3, None])


def test_it_says_conditions_in_words() -> None:
    condition = {
        "not": {
            "all": [
                {"field": "SBQQ__NetTotal__c", "op": "eq", "value": 0},
                {"field": "@children_of(SBQQ__RequiredBy__c)", "op": "not_empty"},
            ]
        }
    }
    assert condition_words(condition) == (
        "not (SBQQ__NetTotal__c is 0 and @children_of(SBQQ__RequiredBy__c) is not empty)"
    )


def test_it_shows_diff_values_in_words_or_json() -> None:
    assert diff_value_words("transforms", ["trim"]) == "trim spaces"
    assert diff_value_words("constant", {"id": "1"}) == '{"id": "1"}'
    assert diff_value_words("target", "memo") == "memo"
    assert diff_value_words("target", None) == ""
