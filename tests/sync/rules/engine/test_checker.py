"""Checking: what the checker refuses before a rule is saved, each error at the right place."""

from __future__ import annotations

import pytest

from sync.rules.engine import RuleCheckError, compile_condition


@pytest.mark.parametrize(
    ("source", "column", "words"),
    [
        ("summ(primary_quote.lines, 1) > 0", 1, "did you mean sum"),
        ("Amount", 1, "must be true or false"),
        ("Amount * 2", 1, "must be true or false"),
        ("1 + 'a' > 2", 3, "has no meaning"),
        ("'a' * 2 == 1", 1, "does not apply to a text"),
        ("1 < 'x'", 3, "do not compare"),
        ("true < 1", 1, "orders numbers"),
        ("x in 3", 6, "looks in a list"),
        ("^.Id == 1", 1, "enclosing record"),
        ("all(lines, ^.^.Id == 1)", 12, "too far up"),
        ("lookup(x, 1) == 2", 8, "in quotes"),
        ("lookup('nope', 1) == 2", 8, "unknown reference table"),
        ("sum([1, 2], 1) > 0", 5, "over a list field"),
        ("sum(lines) > 0", 1, "takes 2 argument(s), not 1"),
        ("any(lines, SBQQ__NetTotal__c * 1)", 12, "must be a bool"),
        ("not 3", 5, "'not' needs true or false"),
        ("x > 0 and 'y'", 11, "joins conditions"),
        ("add_days(1, 2) > today()", 10, "must be a date"),
        ("round(Amount, 1, 2) > 0", 1, "takes 1 to 2"),
    ],
)
def test_it_refuses_what_cannot_mean_anything(source: str, column: int, words: str) -> None:
    with pytest.raises(RuleCheckError) as caught:
        compile_condition(source, tables={"country_to_subsidiary"})
    assert caught.value.column == column, caught.value.pretty()
    assert words in caught.value.message


@pytest.mark.parametrize(
    "source",
    [
        "Amount > 'x'",  # Amount might be text: only certain mismatches are refused
        "all(primary_quote.lines, SBQQ__NetTotal__c >= 0 and ^.Amount > 0)",
        "date(CloseDate) + 30 > today() and days_between(CloseDate, today()) < 365",
        "lookup('country_to_subsidiary', Account.BillingCountry) in ['1', '2']",
        "coalesce(Amount, 0) >= 0",
        "count(primary_quote.lines) == count(primary_quote.lines, present(Id))",
    ],
)
def test_it_accepts_what_may_hold(source: str) -> None:
    compile_condition(source, tables={"country_to_subsidiary"})


def test_it_lets_quote_line_rules_read_their_opportunity() -> None:
    compile_condition("^.CurrencyIsoCode == 'USD'", subject="quote_line")
    with pytest.raises(RuleCheckError):
        compile_condition("^.CurrencyIsoCode == 'USD'", subject="opportunity")
