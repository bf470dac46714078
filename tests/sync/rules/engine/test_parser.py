"""Parsing: precedence, paths written as in mappings, and errors that point at the offending token."""

from __future__ import annotations

import pytest

from sync.rules.engine import RuleSyntaxError
from sync.rules.engine.lexer import MAX_SOURCE
from sync.rules.engine.parser import MAX_DEPTH, parse


def _shape(source: str) -> str:
    def show(node: object) -> str:
        kind, value, args = node.kind, node.value, node.args  # type: ignore[attr-defined]
        if kind == "literal":
            return repr(value) if not hasattr(value, "as_tuple") else str(value)
        if kind == "path":
            return value.text
        label = value if kind in ("compare", "arith", "call") else kind
        return f"({label} {' '.join(show(arg) for arg in args)})"

    return show(parse(source))


@pytest.mark.parametrize(
    ("source", "shape"),
    [
        ("a or b and c", "(or a (and b c))"),
        ("not a == 1 and b", "(and (not (== a 1)) b)"),
        ("1 + 2 * 3 > x", "(> (+ 1 (* 2 3)) x)"),
        ("a - b - c == 0", "(== (- (- a b) c) 0)"),
        ("-x < 0", "(< (neg x) 0)"),
        ("a not in [1, 'x', null]", "(not_in a (list 1 'x' None))"),
        ("Account.Name in $.names", "(in Account.Name $.names)"),
        ("^.Id == SBQQ__RequiredBy__c", "(== ^.Id SBQQ__RequiredBy__c)"),
        ("OpportunityContactRoles.records[0].IsPrimary", "OpportunityContactRoles.records[0].IsPrimary"),
        (
            "sum(primary_quote.lines, SBQQ__NetTotal__c) == Amount",
            "(== (sum primary_quote.lines SBQQ__NetTotal__c) Amount)",
        ),
        ("a and b and c or d", "(or (and a b c) d)"),
        ("# a comment\ntoday() > date('2026-01-01')", "(> (today ) (date '2026-01-01'))"),
    ],
)
def test_it_parses_with_the_documented_precedence(source: str, shape: str) -> None:
    assert _shape(source) == shape


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [
        ("Amount >", 1, 9, "ends here"),
        ("Amount = 3", 1, 8, "write =="),
        ("Amount > 0 &&\n  x", 1, 12, "'and'"),
        ("Amount > 0 and\n  (x > 1", 2, 9, "')'"),
        ("a < b < c", 1, 7, "do not chain"),
        ("'open", 1, 1, "not closed"),
        ("Amount > 0 Amount", 1, 12, "after a complete condition"),
        ("", 1, 1, "empty"),
        ("f(1,)", 1, 5, "expected a value"),
        ("x in [1, 2", 1, 11, "']'"),
        ("a.b[123] == 1", 1, 4, "unexpected '['"),
        ("'bad \\q'", 1, 6, "unknown escape"),
    ],
)
def test_it_points_at_the_offending_token(source: str, line: int, column: int, words: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse(source)
    error = caught.value
    assert (error.line, error.column) == (line, column), error.pretty()
    assert words in error.message
    caret_line = error.pretty().splitlines()[-1]
    assert caret_line == " " * (column - 1) + "^"


def test_it_bounds_nesting_without_exhausting_the_stack() -> None:
    for source in (
        "(" * 1500 + "1" + ")" * 1500,
        "not " * 900 + "x",
        "-" * 3000 + "1",
        "[" * 3000,
        "f(" * 1500,
    ):
        with pytest.raises(RuleSyntaxError, match="nests deeper"):
            parse(source)
    parse("(" * (MAX_DEPTH - 2) + "a" + ")" * (MAX_DEPTH - 2) + " == 1")


def test_it_bounds_long_chains_and_long_texts() -> None:
    with pytest.raises(RuleSyntaxError, match="nests deeper"):
        parse(" - ".join(["x"] * 200) + " == 0")  # a left-deep chain is as deep as it is long
    parse(" or ".join(f"x{n} == 1" for n in range(100)))  # and/or chains stay flat
    with pytest.raises(RuleSyntaxError, match="at most"):
        parse("x == 1 or " * (MAX_SOURCE // 10) + "x == 2")


def test_it_rejects_numbers_too_long_to_be_amounts() -> None:
    with pytest.raises(RuleSyntaxError, match="digits"):
        parse("Amount > " + "9" * 40)
