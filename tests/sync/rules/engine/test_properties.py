"""Fuzzing: no text makes the parser fail other than with a RuleError, and no checked rule makes the
evaluator fail or run away on any JSON record."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.rules.engine import RuleError, RuleSet, compile_rule
from sync.rules.engine.functions import AGGREGATES, FUNCTIONS
from tests.sync.rules.engine.helpers import TODAY, spec

ALPHABET = "abAB_$^.[]()0123456789 ,'\"#+-*/%<>=!\n\t" + "orandnotintruefalsenull"
TOKENS = [
    *("and", "or", "not", "in", "not in", "true", "false", "null", "(", ")", "[", "]", ",", "'x'", '"y"'),
    *("==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "1", "2.5", "0", "-3"),
    *("Amount", "lines", "n", "$.lines", "^.n", "^.^.n", "a.b[0].c", "date('2026-02-30')", "today()"),
    *(f"{name}(" for name in (*AGGREGATES, *FUNCTIONS)),
    "lookup('t', ",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["2026-01-31", "2026-02-30", "2026-01-31T10:00:00.000+0000"]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(["n", "lines", "a", "b", "c", "Amount"]), inner, max_size=5)
    ),
    max_leaves=30,
)
atoms = st.sampled_from(
    [
        "Amount",
        "n",
        "a.b",
        "lines",
        "$.lines",
        "^.n",
        "1",
        "0",
        "2.5",
        "'x'",
        "'2026-01-31'",
        "true",
        "null",
        "today()",
        "[1, 'x', null]",
        "['x', 'y']",
        "lookup('t', n)",
    ]
)
# Shapes the compiler inlines (a field or a.b against a literal): compared with the traced evaluation.
inlined = (
    st.builds(
        lambda field, op, literal: f"{field} {op} {literal}",
        st.sampled_from(["Amount", "n", "a.b", "a.Amount", "a"]),
        st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]),
        st.sampled_from(["'x'", "1", "2.5", "0", "true", "null", "'2026-01-31'", "['x', 'y']", "[1, 2]"]),
    )
    | st.builds(
        lambda name, field: f"{name}({field})",
        st.sampled_from(["present", "empty"]),
        st.sampled_from(["n", "a.b", "a"]),
    )
    | st.builds(
        # Two fields ordered against each other, and coalesce(field, literal), alone or ordered
        # against a number (one closure of sync/rules/engine/field_tests.py when not traced).
        lambda left, op, right: f"{left} {op} {right}",
        st.sampled_from(
            [
                "Amount",
                "n",
                "coalesce(n, 0)",
                "coalesce(Amount, 'x')",
                "coalesce(n, 2.5)",
                "coalesce(a, null)",
            ]
        ),
        st.sampled_from(["<", "<=", ">", ">=", "=="]),
        st.sampled_from(["Amount", "n", "a", "1", "0", "2.5", "100", "-0.5"]),
    )
    | st.builds(
        # An item field against the outer record: read once per aggregate when not traced.
        lambda name, field, op, outer: f"{name}(lines, {field} {op} {outer}) == true",
        st.sampled_from(["any", "all"]),
        st.sampled_from(["n", "Amount"]),
        st.sampled_from(["==", "!="]),
        st.sampled_from(["^.n", "$.n", "^.a.b", "^.Amount"]),
    )
    | st.builds(
        # present/empty of an item field inside an aggregate, and a lookup keyed by a nested field.
        lambda name, test, field: f"{name}(lines, {test}({field})) == true",
        st.sampled_from(["any", "all"]),
        st.sampled_from(["present", "empty"]),
        st.sampled_from(["n", "a.b", "Amount"]),
    )
    | st.builds(lambda op: f"lookup('t', a.b) {op} null", st.sampled_from(["==", "!="]))
    | st.builds(
        # An item field against a literal inside an aggregate: read inline.
        lambda name, field, op, literal: f"{name}(lines, {field} {op} {literal}) == true",
        st.sampled_from(["any", "all"]),
        st.sampled_from(["n", "a.b"]),
        st.sampled_from(["==", "!=", "<", ">="]),
        st.sampled_from(["'x'", "1", "2.5", "0", "true", "null"]),
    )
    | st.builds(
        # min/max of an item field (floats compared natively) and coalesce(field, literal) ordered
        # against a number inside an aggregate (read inline, no frame per item).
        lambda name, field, op, literal: f"{name}(lines, {field}) {op} {literal}",
        st.sampled_from(["min", "max"]),
        st.sampled_from(["n", "Amount"]),
        st.sampled_from(["<", ">=", "=="]),
        st.sampled_from(["1", "2.5", "0", "'x'", "null"]),
    )
    | st.builds(
        lambda name, default, op, literal: f"{name}(lines, coalesce(n, {default}) {op} {literal}) == true",
        st.sampled_from(["any", "all"]),
        st.sampled_from(["0", "2.5", "'x'", "null"]),
        st.sampled_from(["<", "<=", ">", ">="]),
        st.sampled_from(["1", "2.5", "0", "-0.5"]),
    )
    | st.builds(
        # A date moved by a literal number of days (shifted at once when nothing is traced), and
        # a.b compared with a text inside an aggregate (read inline).
        lambda day, op, days, other: f"{day} {op} {days} <= {other}",
        st.sampled_from(["date(n)", "today()", "date(a.b)", "n"]),
        st.sampled_from(["+", "-"]),
        st.sampled_from(["30", "0", "-1", "2.5", "1000001", "999999", "'x'"]),
        st.sampled_from(["today()", "date('2026-01-31')", "'2026-01-31'", "1"]),
    )
    | st.builds(
        lambda name, op: f"{name}(lines, a.b {op} 'x') == true",
        st.sampled_from(["any", "all", "count"]),
        st.sampled_from(["==", "!="]),
    )
    | st.builds(
        # count over the item tests (sync/rules/engine/item_closures.py).
        lambda test, least: f"count(lines, {test}) >= {least}",
        st.sampled_from(
            [
                "present(n)",
                "empty(a.b)",
                "n > 1",
                "a.b <= 2.5",
                "coalesce(n, 0) < 1",
                "coalesce(a.b, 'x') >= 0",
                "n == 'x'",
                "a.b != null",
                "n == true",
            ]
        ),
        st.sampled_from(["0", "1", "2"]),
    )
    | st.builds(
        lambda op, outer: f"count(lines, n {op} {outer}) >= 1",
        st.sampled_from(["==", "!="]),
        st.sampled_from(["^.n", "$.a"]),
    )
)
operators = st.sampled_from(["and", "or", "==", "!=", "<", ">=", "+", "-", "*", "/", "%", "in", "not in"])
expressions = st.recursive(
    atoms,
    lambda inner: (
        st.builds(lambda a, op, b: f"({a} {op} {b})", inner, operators, inner)
        | st.builds(lambda a: f"not ({a})", inner)
        | st.builds(lambda a: f"-({a})", inner)
        | st.builds(lambda name, a, b: f"{name}({a}, {b})", st.sampled_from(sorted(AGGREGATES)), inner, inner)
        | st.builds(
            lambda name, a: f"{name}({a})", st.sampled_from(["empty", "present", "len", "date", "abs"]), inner
        )
        | st.builds(lambda a, b: f"add_months({a}, {b})", inner, inner)
    ),
    max_leaves=25,
)
records = st.dictionaries(st.sampled_from(["n", "lines", "a", "Amount", "records"]), json_values, max_size=5)


def _compiled(text: str) -> Any:
    try:
        return compile_rule(spec(text), tables={"t"})
    except RuleError as error:
        error.pretty()  # the message and caret render for any input
        assert 1 <= error.column <= len(text) + 1 or "\n" in text
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ALPHABET, max_size=200))
def test_it_parses_any_text_or_says_why(text: str) -> None:
    _compiled(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=40)
    | expressions.map(lambda e: [e])
    | st.lists(inlined, min_size=1, max_size=3).map(lambda parts: [" and ".join(parts)]),
    records,
)
def test_it_evaluates_any_checked_rule_on_any_record(tokens: list[str], record: dict[str, Any]) -> None:
    text = " ".join(tokens)
    rule = _compiled(text)
    if rule is None:
        return
    ruleset = RuleSet([rule], tables={"t": {"1": [1, 2]}}, budget=50_000)
    started = time.process_time()
    decisions = set()
    for trace in ("none", "all", "failures"):
        evaluation = ruleset.evaluate(record, today=TODAY, trace=trace)
        decisions.add(evaluation.decision)
        evaluation.as_dict()
    # Tracing turns off the inlined fast paths: both must decide alike.
    assert len(decisions) == 1 and decisions <= {"passed", "blocked"}
    assert time.process_time() - started < 2.0


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(0, 60))
def test_it_bounds_nested_aggregates_by_the_budget(depth: int, width: int) -> None:
    condition = "n >= 0"
    for _ in range(depth):
        condition = f"all($.lines, {condition})"
    rule = compile_rule(spec(condition))
    started = time.process_time()
    evaluation = RuleSet([rule], budget=20_000).evaluate({"lines": [{"n": 1}] * width}, today=TODAY)
    assert time.process_time() - started < 1.0
    (outcome,) = evaluation.outcomes
    assert outcome.passed or "step budget" in outcome.error
