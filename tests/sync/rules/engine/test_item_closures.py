"""any/all/count whose test reads only the item (sync/rules/engine/item_closures.py: the item read without a
frame) decide exactly as the general closures do (``trace="all"`` uses none of the fast paths), on items of
every kind. Until issue 19 these shapes had a loop of their own (item_loops.py, removed); the cases now
prove the item closures, which serve them."""

from __future__ import annotations

from typing import Any

import pytest

from sync.rules.engine import RuleSet, compile_rule
from tests.sync.rules.engine.helpers import TODAY, spec

VALUES: list[Any] = [None, "", "x", "sub", 0.0, 1.0, 2.5, -3.0, 1, 0, True, False, [], [1], {}, {"b": 1}]
ITEMS: list[Any] = [
    *({"n": value, "a": {"b": value}} for value in VALUES),
    {},  # every field missing
    {"a": "not a record"},
    "not a record",
    None,
]
TESTS = [
    "present(n)",
    "empty(n)",
    "present(a.b)",
    "empty(a.b)",
    "n == 'x'",
    "n != 'x'",
    "a.b == 'sub'",
    "n == true",
    "a.b != false",
    "n == null",
    "a.b != null",
    "n > 0",
    "n <= 1",
    "a.b < 2.5",
    "a.b >= -3",
    "coalesce(n, 0) <= 1",
    "coalesce(a.b, 5) > 2.5",
    "coalesce(n, 'x') < 1",
]


def _decisions(condition: str, record: dict[str, Any]) -> tuple[str, str]:
    ruleset = RuleSet([compile_rule(spec(condition))])
    fast = ruleset.evaluate(record, today=TODAY, trace="none").decision
    return fast, ruleset.evaluate(record, today=TODAY, trace="all").decision


@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("template", ["any(lines, {t})", "all(lines, {t})", "count(lines, {t}) >= 2"])
def test_it_decides_like_the_general_closures(template: str, test: str) -> None:
    condition = template.format(t=test)
    seen = set()
    for start in range(len(ITEMS)):
        for size in (0, 1, 3):
            record = {"lines": ITEMS[start : start + size]}
            fast, general = _decisions(condition, record)
            assert fast == general, (condition, record)
            seen.add(fast)
    if not condition.startswith("count"):
        assert seen == {"passed", "blocked"}  # the cases reach both answers
    fast, general = _decisions(condition, {"lines": "not a list"})
    assert fast == general == "blocked"  # no list: the aggregate is null


def test_it_charges_the_budget_per_item() -> None:
    # all(lines, n > 0) costs 3 + 1 steps per item (its size, and the item): 10 items fit in 40 steps.
    rule = compile_rule(spec("all(lines, n > 0)"))
    record = {"lines": [{"n": 1.0}] * 10}
    assert RuleSet([rule], budget=40).evaluate(record, today=TODAY).decision == "passed"
    assert RuleSet([rule], budget=39).evaluate(record, today=TODAY).decision == "blocked"
