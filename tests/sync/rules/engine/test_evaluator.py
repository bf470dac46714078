"""Evaluation: the value semantics, aggregates, dates, lookups, the step budget and what is traced."""

from __future__ import annotations

import pytest

from sync.rules.engine import RuleSet, compile_rule
from tests.sync.rules.engine.helpers import TODAY, evaluate, holds, spec

QUOTE = {
    "Amount": 150.3,
    "CloseDate": "2026-03-01",
    "Account": {"BillingCountry": "US", "CurrencyIsoCode": "USD"},
    "primary_quote": {
        "SBQQ__NetAmount__c": 150.3,
        "SBQQ__StartDate__c": "2026-03-02",
        "lines": [
            {"Id": "L1", "SBQQ__NetTotal__c": 100.1, "SBQQ__AdditionalDiscount__c": 0.0, "Qty": 2},
            {"Id": "L2", "SBQQ__NetTotal__c": 50.2, "SBQQ__AdditionalDiscount__c": 25.0, "Qty": None},
            "not a record",
        ],
    },
    "Roles": {"totalSize": 1, "done": True, "records": [{"IsPrimary": True}]},
    "NoRoles": None,
}


@pytest.mark.parametrize(
    "condition",
    [
        "Amount == primary_quote.SBQQ__NetAmount__c",
        "sum(primary_quote.lines, SBQQ__NetTotal__c) == Amount",  # 100.1 + 50.2 exactly, not 150.29999
        "sum(primary_quote.lines, SBQQ__NetTotal__c) == 150.30",
        "count(primary_quote.lines) == 3 and count(primary_quote.lines, present(Id)) == 2",
        "any(primary_quote.lines, SBQQ__AdditionalDiscount__c > 20)",
        "not all(primary_quote.lines, SBQQ__AdditionalDiscount__c <= 20)",
        "max(primary_quote.lines, SBQQ__AdditionalDiscount__c) == 25",
        "min(primary_quote.lines, Id) == 'L1'",
        "all(primary_quote.lines, empty(Id) or ^.primary_quote.SBQQ__NetAmount__c > SBQQ__NetTotal__c)",
        "all(primary_quote.lines, empty(Id) or $.Amount > 0)",
        "count(Roles) == 1 and count(NoRoles) == 0 and Roles.records[0].IsPrimary == true",
        "Account.BillingCountry in ['US', 'CA'] and Account.BillingCountry not in ['GB']",
        "'US' in Account.BillingCountry + 'X'",
        "Amount * 2 / 4 == 75.15 and 7 % 4 == 3 and -Amount < 0",
        "date(CloseDate) + 1 == date(primary_quote.SBQQ__StartDate__c)",
        "primary_quote.SBQQ__StartDate__c - date(CloseDate) == 1",
        "days_between(CloseDate, '2026-03-31') == 30 and add_days(CloseDate, -1) == '2026-02-28'",
        "add_months('2026-01-31', 1) == '2026-02-28' and add_months('2026-03-15', -3) == '2025-12-15'",
        "today() == '2026-03-15' and year(today()) == 2026 and month(CloseDate) == 3",
        "date(CloseDate) < today() and CloseDate < '2026-12-31'",
        "lookup('t', 1) == 'one' and lookup('t', 12.0) == 'twelve' and lookup('t', 'x') == null",
        "coalesce(Missing, Amount) == 150.3 and len('abc') == 3 and len(primary_quote.lines) == 3",
        "round(2.345, 2) == 2.35 and abs(-2) == 2 and upper('a') == 'A' and trim(' a ') == 'a'",
        "starts_with(Account.CurrencyIsoCode, 'US') and contains(['a', 'b'], 'b')",
        "Missing == null and not (Missing > 0) and not (Missing < 0)",
        "1 == 1.0 and 12 == 12.00 and true != 1 and 'a' != 1",
    ],
)
def test_it_evaluates_what_people_mean(condition: str) -> None:
    assert holds(condition, QUOTE), condition


@pytest.mark.parametrize(
    "condition",
    [
        "Amount / 0 == null and Amount + 'x' == null and Account + 1 == null",
        "sum(Account, 1) == null and sum(primary_quote.lines, Id) == null",
        "add_months(CloseDate, 1.5) == null and date('2026-13-01') == null and date(3) == null",
        "999999999999999999999999999 * 999999999999999999999999 == null",
    ],
)
def test_it_gives_null_instead_of_failing(condition: str) -> None:
    assert holds(condition, QUOTE), condition


def test_it_fails_a_rule_whose_condition_is_not_true() -> None:
    assert not holds("Missing > 0", QUOTE)
    assert holds("present(Amount)", QUOTE)


def test_it_blocks_or_warns_by_severity_and_records_what_it_read() -> None:
    blocked = evaluate("Amount == primary_quote.SBQQ__NetAmount__c + 1", QUOTE)
    assert blocked.decision == "blocked"
    (outcome,) = blocked.blocked
    assert outcome.values == [("Amount", 150.3), ("primary_quote.SBQQ__NetAmount__c", 150.3)]
    assert outcome.as_dict()["message"] == "r failed"


def test_it_traces_reads_inside_aggregates_by_item() -> None:
    evaluation = evaluate("all(primary_quote.lines, SBQQ__AdditionalDiscount__c <= 20)", QUOTE)
    (outcome,) = evaluation.outcomes
    texts = [text for text, _ in outcome.values]
    assert "primary_quote.lines[1] \u2192 SBQQ__AdditionalDiscount__c" in texts
    assert texts[-1] == "all(primary_quote.lines, SBQQ__AdditionalDiscount__c <= 20)"
    assert outcome.as_dict()["values"][0] == ["primary_quote.lines", "list of 3"]


def test_it_runs_quote_line_rules_once_per_line_with_the_opportunity_above() -> None:
    rule = compile_rule(spec("SBQQ__NetTotal__c < ^.Amount / 2", subject="quote_line", severity="warn"))
    evaluation = RuleSet([rule]).evaluate(QUOTE, subject="opportunity", today=TODAY)
    assert [(o.item, o.status) for o in evaluation.outcomes] == [
        ("primary_quote.lines[0] (L1)", "warned"),
        ("primary_quote.lines[1] (L2)", "passed"),
        ("primary_quote.lines[2]", "warned"),  # not a record: its fields are all null
    ]
    assert evaluation.decision == "warned" and len(evaluation.warnings) == 2
    assert evaluation.warnings[0].values == [("SBQQ__NetTotal__c", 100.1), ("^.Amount", 150.3)]
    line = QUOTE["primary_quote"]["lines"][1]  # type: ignore[index]
    assert RuleSet([rule]).evaluate(line, subject="quote_line", today=TODAY).decision == "warned"  # no ^


def test_it_stops_a_runaway_evaluation_at_its_budget() -> None:
    lines = [{"n": index} for index in range(100)]
    record = {"lines": lines}
    nested = "all(lines, all(^.^.lines, all(^.^.^.lines, n >= 0)))"
    evaluation = evaluate(nested.replace("^.^.^.", "$.").replace("^.^.", "$."), record, budget=100_000)
    (outcome,) = evaluation.outcomes
    assert outcome.status == "blocked"
    assert "step budget" in outcome.error
    assert evaluate("all(lines, n >= 0)", record).decision == "passed"


def test_it_gives_each_quote_line_rule_its_own_step_budget() -> None:
    # Each aggregate over 20 items costs 20 x 4 steps: under a budget of 100 on its own, over it if the
    # line's rules shared one budget (or one line's rule spent another's).
    rules = [
        compile_rule(spec(f"sum(^.lines, n * 2) >= {limit}", subject="quote_line", key=f"r{limit}"))
        for limit in (0, 1)
    ]
    record = {"lines": [{"n": 1.0}] * 20, "primary_quote": {"lines": [{"Id": "a"}, {"Id": "b"}]}}
    evaluation = RuleSet(rules, budget=100).evaluate(record, today=TODAY, trace="none")
    assert evaluation.decision == "passed" and len(evaluation.outcomes) == 4
    evaluation = RuleSet(rules, budget=70).evaluate(record, today=TODAY, trace="none")
    assert [outcome.error != "" for outcome in evaluation.outcomes] == [True] * 4


def test_it_judges_each_conjunct_of_quote_line_rules_like_the_whole_rule() -> None:
    # Line rules run in one loop over the lines, a line where a rule fails handed on from that rule
    # (until issue 19, rules without aggregates ran as one flat list of checks, each operand of a
    # top-level `and` its own); every outcome must be the one the rules give judged one by one, traced.
    lines = [
        {"Id": "a", "n": 5.0, "m": "x"},
        {"Id": "b", "n": 5.0, "m": None},  # the second operand of r1 fails
        {"Id": "c", "n": -1.0, "m": "x"},  # the first operand of r1 fails, and r2
        {"Id": "d", "n": 1.0, "m": "x"},  # r3 fails, after r1 and r2 passed
    ]
    rules = [
        compile_rule(spec(condition, subject="quote_line", key=key, severity=severity))
        for key, condition, severity in (
            ("r1", "n > 0 and present(m)", "block"),
            ("r2", "n >= 0 or m == 'y'", "warn"),
            ("r3", "n != 1 and n != 2 and n != 3", "warn"),
        )
    ]
    record = {"primary_quote": {"lines": lines}}
    fast = RuleSet(rules).evaluate(record, today=TODAY)
    traced = RuleSet(rules).evaluate(record, today=TODAY, trace="all")
    assert [(o.rule.key, o.item, o.status) for o in fast.outcomes] == [
        (o.rule.key, o.item, o.status) for o in traced.outcomes
    ]
    assert [(o.rule.key, o.item) for o in fast.failures] == [
        ("r1", "primary_quote.lines[1] (b)"),
        ("r1", "primary_quote.lines[2] (c)"),
        ("r2", "primary_quote.lines[2] (c)"),
        ("r3", "primary_quote.lines[3] (d)"),
    ]
    assert fast.decision == "blocked"
