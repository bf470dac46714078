"""docs/rules-language.md's examples hold in the rules engine (sync/rules/engine): the example rules
parse, the error shown is the checker's own, what the page says holds (or is refused) does, the shipped
rules it lists are the shipped ones, and the pipeline's call it shows matches the service."""

from __future__ import annotations

import ast
import inspect
import re

import pytest

from sync.rules.engine import RuleError, RuleSet, RuleSpec, compile_condition, compile_rule
from sync.rules.engine.outcomes import Evaluation
from sync.rules.engine.shipped import shipped_rules, shipped_tables
from sync.rules.services import rules_evaluate
from tests.docs.markdown import DOCS, fenced_blocks, text

DOC = DOCS / "rules-language.md"

# What the page's prose says of single expressions, each quoted from it verbatim (checked below).
HOLDS = ["12 == 12.0", "100.1 + 50.2 == 150.3", "'US' in 'USD'"]
IS_FALSE = ["'a' == 1"]
IS_NULL = ["Account + 1"]  # an operation on values it does not apply to
REFUSED = ["'a' * 2", "x in 3", "sum([1, 2], 1)", "Amount", "1 + 'a' > 2"]


def _section(heading: str) -> str:
    return text(DOC).split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _passes(condition: str) -> bool:
    spec = RuleSpec(
        key="doc",
        name="doc",
        subject="opportunity",
        placement="pre_sale",
        severity="block",
        message="doc",
        condition=condition,
    )
    return RuleSet([compile_rule(spec)]).evaluate({}).decision == "passed"


def test_it_shows_example_rules_that_parse() -> None:
    (block,) = fenced_blocks(_section("Expressions"))
    # Each rule starts at the margin; an indented line continues the rule above it.
    rules = re.split(r"\n(?=\S)", block.strip())
    assert len(rules) == 2
    for rule in rules:
        compile_condition(rule, tables=set(shipped_tables()))


@pytest.mark.parametrize("expression", HOLDS + IS_FALSE + IS_NULL + REFUSED)
def test_it_quotes_the_expressions_it_is_tested_on(expression: str) -> None:
    assert f"`{expression}`" in text(DOC) or f"\n{expression}\n" in text(DOC)


@pytest.mark.parametrize("expression", HOLDS)
def test_it_says_true_of_what_holds(expression: str) -> None:
    assert _passes(expression)


@pytest.mark.parametrize("expression", IS_FALSE)
def test_it_says_false_of_what_is_false(expression: str) -> None:
    assert _passes(f"({expression}) == false")


@pytest.mark.parametrize("expression", IS_NULL)
def test_it_says_null_of_what_gives_null(expression: str) -> None:
    assert _passes(f"({expression}) == null")


def test_it_gives_the_date_arithmetic_example_right() -> None:
    assert "(`add_months('2026-01-31', 1)` is `2026-02-28`)" in text(DOC)
    assert _passes("add_months('2026-01-31', 1) == date('2026-02-28')")


@pytest.mark.parametrize("expression", REFUSED)
def test_it_lists_what_the_checker_refuses(expression: str) -> None:
    with pytest.raises(RuleError):
        compile_condition(expression)


def test_it_shows_the_checkers_own_error() -> None:
    (shown,) = fenced_blocks(_section("Checked when saved"))
    source = shown.splitlines()[1]
    with pytest.raises(RuleError) as refused:
        compile_condition(source)
    assert refused.value.pretty() == shown.rstrip("\n")


def test_it_lists_the_shipped_rules_and_their_conditions() -> None:
    rows = re.findall(r"^\| `(\w+)`[^|]*\| (.+) \|$", _section("The shipped rules"), re.M)
    shipped = {spec.key: spec for spec in shipped_rules()}
    assert [key for key, _ in rows] == list(shipped)
    for key, condition in rows:
        if condition.startswith("`") and condition.endswith("`"):  # an expression, not a summary
            compile_condition(
                condition.strip("`"), subject=shipped[key].subject, tables=set(shipped_tables())
            )
            assert " ".join(condition.strip("`").split()) in " ".join(shipped[key].condition.split())


def test_it_shows_the_pipelines_call_as_the_service_takes_it() -> None:
    (example,) = fenced_blocks(_section("For the pipeline"), ("python",))
    tree = ast.parse(example)
    call = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "rules_evaluate"
    )
    parameters = inspect.signature(rules_evaluate).parameters
    assert {keyword.arg for keyword in call.keywords} <= set(parameters)
    for attribute in {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}:
        assert hasattr(Evaluation, attribute), attribute
    decisions = re.findall(r'"(\w+)"', example.split("evaluation.decision", 1)[1].splitlines()[0])
    assert sorted(decisions) == ["blocked", "passed", "warned"]
