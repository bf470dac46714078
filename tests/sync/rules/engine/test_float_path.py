"""The float fast path for ordering after arithmetic (sync/rules/engine/approx.py) decides exactly as Decimal.

Inputs crowd the places where floats and Decimals part: half-cent ties under round(), differences
landing exactly on the limit, neighbours one unit in the last place away, ints, nulls and texts."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.rules.engine import RuleSet, compile_rule
from sync.rules.engine.values import number
from tests.sync.rules.engine.helpers import TODAY, spec

cents = st.integers(-(10**9), 10**9).map(lambda c: c / 100)
ties = st.integers(-(10**8), 10**8).map(lambda c: (c * 10 + 5) / 1000)  # x.xx5: round(, 2) ties
plain = cents | ties | st.floats(-1e7, 1e7, allow_nan=False) | st.integers(-1000, 1000)
nudged = st.builds(
    lambda x, up: math.nextafter(x, math.inf if up else -math.inf), cents | ties, st.booleans()
)
numbers = (
    plain | nudged | st.floats(min_value=1e14, max_value=1e16) | st.sampled_from([0.0, -0.0, 1e-7, 0.005])
)
values = numbers | st.none() | st.just("12.5") | st.just(True)
TEMPLATES = [
    "abs(a - round(b * c, {p})) {op} {limit}",
    "round(b * c, {p}) {op} {limit}",
    "a - b * c {op} {limit}",
    "a + round(b, {p}) - c {op} {limit}",
    "sum(lines, b * c) {op} {limit}",
    "sum(lines, b) - a {op} {limit}",
    "abs(x.y * 3 - a) {op} {limit}",
    # field - expr, round of a field product and abs taken by the comparison (once fused shapes).
    "a - round(c * b, {p}) {op} {limit}",
    "abs(b * c) {op} {limit}",
    "abs(a) + round(a * a, {p}) {op} {limit}",
]


@st.composite
def cases(draw: Any) -> tuple[str, dict[str, Any]]:
    record = {name: draw(values) for name in ("a", "b", "c")}
    record["x"] = {"y": draw(values)}
    record["lines"] = draw(st.lists(st.fixed_dictionaries({"b": values, "c": values}), max_size=4))
    # Limits taken from the record's own numbers (and what rounding them gives) land on the boundary.
    seen = [v for v in (record["a"], record["b"]) if isinstance(v, float) and abs(v) < 1e15]
    exact = [number(v) for v in seen]
    limits = ["0", "0.01", "1", "100"] + [
        str(e.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) for e in exact if e is not None
    ]
    limit = draw(st.sampled_from(limits))
    template = draw(st.sampled_from(TEMPLATES))
    condition = template.format(
        p=draw(st.integers(0, 3)), op=draw(st.sampled_from(["<", "<=", ">", ">="])), limit=limit
    )
    return condition, record


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_it_decides_like_decimal_arithmetic(case: tuple[str, dict[str, Any]]) -> None:
    condition, record = case
    ruleset = RuleSet([compile_rule(spec(condition))])
    fast = ruleset.evaluate(record, today=TODAY, trace="none").decision
    traced = ruleset.evaluate(record, today=TODAY, trace="all").decision  # no fast paths when tracing
    assert fast == traced, condition


def test_it_takes_the_exact_path_at_a_tie() -> None:
    # 0.125 * 1 rounds half up to 0.13 in Decimal; a float product near the tie must not decide alone.
    ruleset = RuleSet([compile_rule(spec("round(b * c, 2) >= 0.13"))])
    assert ruleset.evaluate({"b": 0.125, "c": 1}, today=TODAY, trace="none").decision == "passed"
    assert ruleset.evaluate({"b": 0.1249999, "c": 1}, today=TODAY, trace="none").decision == "blocked"


def test_it_rounds_an_exact_zero_on_the_float_path() -> None:
    # 0.0 * 7 is 0 with no error: round() of it is 0 exactly, decided without Decimal, either side.
    ruleset = RuleSet([compile_rule(spec("abs(a - round(b * c, 2)) < 0.01"))])
    assert ruleset.evaluate({"a": 0.0, "b": 0.0, "c": 7}, today=TODAY, trace="none").decision == "passed"
    assert ruleset.evaluate({"a": 0.01, "b": -0.0, "c": 7}, today=TODAY, trace="none").decision == "blocked"


def test_it_keeps_the_budget_of_a_sum_that_falls_back() -> None:
    # A sum over 30 items costs 30 x 4 steps; charged once even when the float path gives way.
    lines = [{"b": 1.5, "c": 2}] * 29 + [{"b": "text", "c": 2}]
    rule = compile_rule(spec("sum(lines, b * c) >= 0"))
    assert RuleSet([rule], budget=121).evaluate({"lines": lines}, today=TODAY).decision == "passed"
    assert RuleSet([rule], budget=119).evaluate({"lines": lines}, today=TODAY).decision == "blocked"
