"""The shipped rules against the deterministic data set: each flags exactly the opportunities the data
set made imperfect on purpose (every 23rd amount, every 17th discount, every 41st account's country)."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import pytest

from sync.rules.engine import RuleSet
from sync.rules.engine.shipped import shipped_rules, shipped_tables
from tests.sync.mappings.engine.graphs import dataset_graphs
from tests.sync.rules.engine.helpers import TODAY, shipped_ruleset

GRAPHS = dataset_graphs(accounts=100)  # 200 opportunities, indexes 0..199
INDEXES = range(len(GRAPHS))


def _flagged(ruleset: RuleSet, graphs: list[Any]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for _, opportunity, graph in graphs:
        for outcome in ruleset.evaluate(graph, placement="pre_sale", today=TODAY).outcomes:
            if not outcome.passed:
                found[outcome.rule.key].add(opportunity.index)
    return found


def test_it_flags_exactly_the_data_sets_deliberate_imperfections() -> None:
    flagged = _flagged(shipped_ruleset(), GRAPHS)
    assert flagged["amount_matches_quote"] == {i for i in INDEXES if i % 23 == 22}
    assert flagged["discount_needs_approval"] == {i for i in INDEXES if i % 17 == 16}
    # Two opportunities per account: account n's are 2n and 2n + 1.
    assert flagged["currency_allowed_for_subsidiary"] == {i for i in INDEXES if (i // 2) % 41 == 40}
    for clean in (
        "subscription_term_and_start",
        "tax_code_on_taxable_lines",
        "revenue_treatment_on_subscriptions",
    ):
        assert flagged[clean] == set(), clean
    assert set(flagged) <= {rule.key for rule in shipped_rules()}


def _discount(graph: dict[str, Any], percent: float) -> None:
    graph["primary_quote"]["lines"][1]["SBQQ__AdditionalDiscount__c"] = percent
    graph["primary_quote"]["Discount_Approved__c"] = False  # the data set approves every ordinary quote


def _break(index: int, change: Any) -> list[Any]:
    graphs = copy.deepcopy([GRAPHS[index]])
    change(graphs[0][2])
    return graphs


@pytest.mark.parametrize(
    ("rule", "change"),
    [
        ("subscription_term_and_start", lambda g: g["primary_quote"].update(SBQQ__SubscriptionTerm__c=None)),
        ("subscription_term_and_start", lambda g: g["primary_quote"].update(SBQQ__StartDate__c="")),
        (
            "tax_code_on_taxable_lines",
            lambda g: g["primary_quote"]["lines"][1]["SBQQ__Product__r"].update(Tax_Code__c=None),
        ),
        (
            "revenue_treatment_on_subscriptions",
            lambda g: g["primary_quote"]["lines"][0]["SBQQ__Product__r"].update(Revenue_Treatment__c=""),
        ),
        ("currency_allowed_for_subsidiary", lambda g: g["Account"].update(CurrencyIsoCode="CHF")),
        ("amount_matches_quote", lambda g: g.update(Amount=g["Amount"] + 0.01)),
        (
            "discount_needs_approval",
            lambda g: _discount(g, 20.5),
        ),
    ],
)
def test_it_catches_each_kind_of_broken_opportunity(rule: str, change: Any) -> None:
    assert not any(_flagged(shipped_ruleset(), [GRAPHS[0]]).values())
    assert _flagged(shipped_ruleset(), _break(0, change)) == {rule: {0}}


def test_it_lets_a_discount_through_once_approved_or_at_the_threshold() -> None:
    def approve(graph: dict[str, Any]) -> None:
        graph["primary_quote"]["Discount_Approved__c"] = True

    assert not _flagged(shipped_ruleset(), _break(16, approve))["discount_needs_approval"]
    at_threshold = _break(0, lambda g: _discount(g, 20.0))
    assert not _flagged(shipped_ruleset(), at_threshold)["discount_needs_approval"]


def test_it_names_the_failing_line_and_what_was_read() -> None:
    graphs = _break(0, lambda g: g["primary_quote"]["lines"][1]["SBQQ__Product__r"].update(Tax_Code__c=""))
    evaluation = shipped_ruleset().evaluate(graphs[0][2], placement="pre_sale", today=TODAY)
    (outcome,) = evaluation.blocked
    assert outcome.item is not None and outcome.item.startswith("primary_quote.lines[1] (a0yS")
    assert dict(outcome.values) == {"SBQQ__Product__r.Taxable__c": True, "SBQQ__Product__r.Tax_Code__c": ""}


def test_it_checks_netsuite_payloads_after_the_sale() -> None:
    ruleset = shipped_ruleset()
    good = {"subsidiary": {"id": "2"}, "currency": {"id": "4"}, "companyName": "Acme"}
    bad = {"subsidiary": {"id": "3"}, "currency": {"id": "1"}}
    assert ruleset.evaluate(good, subject="netsuite_payload", placement="post_sale").decision == "passed"
    evaluation = ruleset.evaluate(bad, subject="netsuite_payload", placement="post_sale")
    assert [o.rule.key for o in evaluation.blocked] == ["payload_currency_allowed_for_subsidiary"]
    # Post-sale rules do not run at the pre-sale gate and vice versa.
    assert ruleset.evaluate(bad, subject="netsuite_payload", placement="pre_sale").outcomes == []


def test_it_ships_tables_matching_the_data_set() -> None:
    from simulators.dataset import SUBSIDIARIES

    tables = shipped_tables()
    ids = {subsidiary.key: str(number) for number, subsidiary in enumerate(SUBSIDIARIES, start=1)}
    assert tables["subsidiary_allowed_currencies"] == {
        ids[subsidiary.key]: list(subsidiary.allowed_currencies) for subsidiary in SUBSIDIARIES
    }
