"""The cause key: which exceptions are the same cause (sync/exceptions/causes.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sync.exceptions.causes import cause_describe, cause_key_for, cause_of, lookup_miss_of
from sync.mappings.engine import StaticLookups
from sync.mappings.engine.defaults import compile_default

MISS = "customer / subsidiary / subsidiary.id: no 'FR' in lookup table 'country_to_subsidiary'"


def test_it_reads_the_engine_s_own_words_for_a_lookup_miss() -> None:
    account = {"Id": "001A", "Name": "Acme SARL", "BillingCountry": "ZZ", "CurrencyIsoCode": "EUR"}
    result = compile_default("opportunity_to_netsuite").apply_object(
        "customer",
        {"Id": "006A", "Account": account},
        lookups=StaticLookups({"country_to_subsidiary": {}}, {}),
    )
    (problem,) = [p for p in result.problems if p.field_id == "subsidiary"]
    miss = lookup_miss_of(str(problem))
    assert miss is not None and (miss.table, miss.key) == ("country_to_subsidiary", "ZZ")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (MISS, ("country_to_subsidiary", "FR")),
        ("x: no \"O'Brien\" in lookup table 'sales_rep'", ("sales_rep", "O'Brien")),
        ("a: no value; b: no 'USD' in lookup table 'currency_code_to_id'", ("currency_code_to_id", "USD")),
        ("no 'SHORTENED…' in lookup table", None),
        ("Invalid amount", None),
        ("", None),
    ],
)
def test_it_finds_the_first_missing_key_or_none(message: str, expected: tuple[str, str] | None) -> None:
    miss = lookup_miss_of(message)
    assert (miss.table, miss.key) == expected if miss else expected is None


def test_the_same_missing_key_is_one_cause_whatever_the_record_or_category() -> None:
    one = cause_key_for(category="mapping_problem", integration_id=1, vendor_message=MISS, mapping_row="a/b")
    two = cause_key_for(
        category="sync_failure", integration_id=1, vendor_message="x: " + MISS, error_path="c"
    )
    assert one == two and one.startswith("lookup-") and len(one) <= 40
    # Another integration's table is another cause; another key too.
    assert cause_key_for(category="mapping_problem", integration_id=2, vendor_message=MISS) != one
    assert (
        cause_key_for(category="mapping_problem", integration_id=1, vendor_message=MISS.replace("FR", "DE"))
        != one
    )


def test_a_mismatch_is_grouped_by_check_run_and_finding() -> None:
    def key(**details: object) -> str:
        base = {"check": "sales_orders", "run": 12, "kind": "missing_in_netsuite", "field": ""}
        return cause_key_for(category="reconciliation", integration_id=None, details={**base, **details})

    assert key() == key() and key().startswith("recon-")
    assert key(run=13) != key()
    assert key(kind="field_differs", field="amount") != key(kind="field_differs", field="currency")
    assert key(check="invoices") != key()


def test_an_error_is_grouped_by_category_code_and_field() -> None:
    def key(**facts: object) -> str:
        base = {"category": "sync_failure", "integration_id": 1, "vendor_code": "INVALID_FLD_VALUE"}
        return cause_key_for(**{**base, "error_path": "item[0].amount", **facts})

    assert key(vendor_message="Invalid amount 12") == key(vendor_message="Invalid amount 13")
    assert key(error_path="currency") != key()
    assert key(vendor_code="USER_ERROR") != key()
    assert key(category="blocked_rule") != key()
    # Without a field the mapping row, then the rule, says where.
    assert key(error_path="", mapping_row="customer/subsidiary") != key(error_path="", mapping_row="x/y")
    # Nothing to share: no code, no field, no check.
    assert cause_key_for(category="sync_failure", integration_id=1, vendor_message="timeout") == ""
    assert cause_of(category="sync_failure", integration_id=1) is None


def test_it_describes_a_cause_in_words() -> None:
    def item(**facts: object) -> SimpleNamespace:
        base = {
            "category": SimpleNamespace(key="mapping_problem", name="Mapping problem"),
            "integration_id": 1,
            "vendor_code": "",
            "vendor_message": "",
            "error_path": "",
            "mapping_row": "",
            "rule": "",
            "details": {},
            "title": "the title",
        }
        return SimpleNamespace(**{**base, **facts})

    assert cause_describe(item(vendor_message=MISS)) == "No 'FR' in the lookup table country_to_subsidiary"
    recon = item(details={"check": "sales_orders", "run": 12, "kind": "missing_in_netsuite", "field": ""})
    assert cause_describe(recon) == "Reconciliation sales_orders run 12: missing in netsuite"
    coded = item(vendor_code="INVALID_FLD_VALUE", error_path="item[0].amount")
    assert cause_describe(coded) == "Mapping problem: INVALID_FLD_VALUE at item[0].amount"
    assert cause_describe(item()) == "the title"
