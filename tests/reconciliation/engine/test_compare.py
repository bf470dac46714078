"""The streaming comparison: every class of mismatch, tolerances, and order-independence."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.engine import Comparison, FieldSpec, MismatchKind, compare, sorted_by_key

FIELDS = [FieldSpec("name", "text_ci"), FieldSpec("amount", "number", tolerance=0.005), FieldSpec("currency")]


def run(left: list[Any], right: list[Any], **options: Any) -> tuple[list[tuple[str, str, str]], Comparison]:
    result = Comparison(FIELDS)
    found = [(m.kind.value, m.key, m.field) for m in compare(left, right, FIELDS, result=result, **options)]
    return found, result


def test_it_classifies_every_kind_of_difference() -> None:
    salesforce = [
        ("A", ("Acme", 100.0, "USD")),
        ("B", ("Bolt", 250.0, "EUR")),
        ("C", ("Core", 10.0, "USD")),
        ("D", ("Dup", 1.0, "USD")),
        ("D", ("Dup again", 1.0, "USD")),
    ]
    netsuite = [
        ("A", (" ACME ", "100.004", "USD")),  # same within tolerance, case and spaces aside
        ("B", ("Bolt", 250.02, "GBP")),  # two fields differ
        ("D", ("Dup", 1, "USD")),
        ("E", ("Extra", 5.0, "USD")),
    ]
    found, result = run(salesforce, netsuite)
    assert sorted(found) == [
        ("duplicate", "D", ""),
        ("field_differs", "B", "amount"),
        ("field_differs", "B", "currency"),
        ("missing_in_netsuite", "C", ""),
        ("missing_in_salesforce", "E", ""),
    ]
    assert result.matched == 2  # A and D
    assert (result.salesforce_records, result.netsuite_records) == (5, 4)
    assert result.as_dict()["counts"] == {
        "missing_in_netsuite": 1,
        "missing_in_salesforce": 1,
        "field_differs": 2,
        "duplicate": 1,
    }
    assert result.field_counts == {"amount": 1, "currency": 1}


def test_it_keeps_both_values_of_a_differing_field() -> None:
    (mismatch,) = compare([("K", ("x", 10.0, "USD"))], [("K", ("x", 12.5, "USD"))], FIELDS)
    assert (mismatch.kind, mismatch.salesforce, mismatch.netsuite) == (MismatchKind.FIELD_DIFFERS, 10.0, 12.5)


def test_it_treats_blank_and_missing_alike_but_not_blank_and_zero() -> None:
    found, _ = run(
        [("K", ("", None, None)), ("L", ("x", 0, "USD"))], [("K", (None, "", "")), ("L", ("x", None, "USD"))]
    )
    assert found == [("field_differs", "L", "amount")]


def test_it_refuses_an_unknown_comparison_kind() -> None:
    with pytest.raises(ValueError, match="unknown comparison kind 'fuzzy'"):
        list(compare([], [], [FieldSpec("x", "fuzzy")]))


def test_it_sorts_more_records_than_fit_in_memory_through_spilled_runs() -> None:
    keys = [f"K{n:06d}" for n in range(5_000)]
    shuffled = keys[:]
    random.Random(3).shuffle(shuffled)
    ordered = [key for key, _ in sorted_by_key(((k, ()) for k in shuffled), chunk_size=700)]
    assert ordered == keys


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 3)), max_size=30),
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 3)), max_size=30),
    st.integers(1, 7),
)
def test_it_finds_the_same_mismatches_whatever_the_order_and_chunking(
    left: list[tuple[str, int]], right: list[tuple[str, int]], chunk: int
) -> None:
    fields = [FieldSpec("n", "integer")]
    sf = [(k, (v,)) for k, v in left]
    ns = [(k, (v,)) for k, v in right]
    expected = sorted((m.kind.value, m.key) for m in compare(sf, ns, fields))
    random.Random(chunk).shuffle(sf)
    again = sorted((m.kind.value, m.key) for m in compare(sf, ns[::-1], fields, chunk_size=chunk))
    # a duplicate's first record may change with the order, but the classes and keys do not
    assert [k for k, _ in again if k != "field_differs"] == [k for k, _ in expected if k != "field_differs"]
    sf_keys, ns_keys = {k for k, _ in left}, {k for k, _ in right}
    missing = sorted(key for kind, key in expected if kind == "missing_in_netsuite")
    assert missing == sorted(sf_keys - ns_keys)
    assert sorted(key for kind, key in expected if kind == "missing_in_salesforce") == sorted(
        ns_keys - sf_keys
    )
