"""Parsing rule text into a small tree. Recursive descent, with the nesting bounded so no input can
exhaust the stack: both the parser's own nesting and the depth of the tree it builds are limited.

Precedence, loosest first: ``or``, ``and``, ``not``, comparisons (``== != < <= > >= in``, ``not in``;
they do not chain), ``+ -``, ``* / %``, unary ``-``, then literals, paths, calls, ``( )`` and ``[ ]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sync.mappings.engine.paths import PathError, SourcePath, parse_source
from sync.rules.engine.errors import RuleSyntaxError
from sync.rules.engine.lexer import Token, tokenize

MAX_DEPTH = 32  # nesting levels of the tree; real rules use fewer than ten
MAX_NODES = 400
MAX_LIST = 100  # items in a [ ... ] list literal
MAX_DIGITS = 30

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the tree. ``kind`` is one of: literal, path, list, neg, not, and, or, compare, arith,
    in, not_in, call. ``value`` is the literal's value, the path's :class:`SourcePath`, the operator
    (compare, arith) or the function name (call). ``start``/``end`` index the source text."""

    kind: str
    value: Any
    args: tuple[Node, ...]
    start: int
    end: int
    depth: int
    at: int  # where an error about this node points: the operator of an operation, else ``start``


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.nesting = 0
        self.nodes = 0

    # -- helpers -------------------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def error(self, message: str, token: Token | None = None) -> RuleSyntaxError:
        return RuleSyntaxError(message, source=self.source, offset=(token or self.token).start)

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            raise self.error(f"expected {what}, found {_describe(self.token)}")
        return self.advance()

    def node(self, kind: str, value: Any, args: tuple[Node, ...], start: int, end: int, at: int) -> Node:
        depth = 1 + max((arg.depth for arg in args), default=0)
        if depth > MAX_DEPTH:
            raise RuleSyntaxError(
                f"the rule nests deeper than {MAX_DEPTH} levels; split it or simplify it",
                source=self.source,
                offset=at,
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise RuleSyntaxError(
                f"the rule has more than {MAX_NODES} parts; split it into several rules",
                source=self.source,
                offset=at,
            )
        return Node(kind, value, args, start, end, depth, at)

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error(f"the rule nests deeper than {MAX_DEPTH} levels; split it or simplify it")

    def leave(self) -> None:
        self.nesting -= 1

    # -- grammar -------------------------------------------------------------------------------------

    def parse(self) -> Node:
        if self.at("end"):
            raise self.error("the rule is empty: write a condition such as Amount > 0")
        tree = self.expression()
        if not self.at("end"):
            raise self.error(f"unexpected {_describe(self.token)} after a complete condition")
        return tree

    def expression(self) -> Node:
        self.enter()
        try:
            return self.boolean("or", self.conjunction)
        finally:
            self.leave()

    def conjunction(self) -> Node:
        return self.boolean("and", self.negation)

    def boolean(self, word: str, operand: Any) -> Node:
        first = operand()
        parts = [first]
        operator = None
        while self.at("keyword", word):
            operator = self.advance()
            self.no_end(operator)
            parts.append(operand())
        if len(parts) == 1:
            return first
        # and/or chains are one n-ary node: cheaper to evaluate, and a long chain stays shallow.
        return self.node(
            word, None, tuple(parts), first.start, parts[-1].end, operator.start if operator else 0
        )

    def negation(self) -> Node:
        if self.at("keyword", "not"):
            word = self.advance()
            self.no_end(word)
            self.enter()
            try:
                inner = self.negation()
            finally:
                self.leave()
            return self.node("not", None, (inner,), word.start, inner.end, word.start)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        token = self.token
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            self.no_end(token)
            right = self.additive()
            node = self.node("compare", token.text, (left, right), left.start, right.end, token.start)
        elif self.at("keyword", "in"):
            self.advance()
            self.no_end(token)
            right = self.additive()
            node = self.node("in", None, (left, right), left.start, right.end, token.start)
        elif self.at("keyword", "not") and self.tokens[self.index + 1].text == "in":
            self.advance()
            self.advance()
            self.no_end(token)
            right = self.additive()
            node = self.node("not_in", None, (left, right), left.start, right.end, token.start)
        else:
            return left
        after = self.token
        if (after.kind == "op" and after.text in COMPARISONS) or (
            after.kind == "keyword" and after.text == "in"
        ):
            raise self.error("comparisons do not chain: write a < b and b < c")
        return node

    def additive(self) -> Node:
        return self.arithmetic(("+", "-"), self.multiplicative)

    def multiplicative(self) -> Node:
        return self.arithmetic(("*", "/", "%"), self.unary)

    def arithmetic(self, operators: tuple[str, ...], operand: Any) -> Node:
        left = operand()
        while self.token.kind == "op" and self.token.text in operators:
            operator = self.advance()
            self.no_end(operator)
            right = operand()
            left = self.node("arith", operator.text, (left, right), left.start, right.end, operator.start)
        return left

    def unary(self) -> Node:
        if self.at("op", "-"):
            minus = self.advance()
            self.no_end(minus)
            self.enter()
            try:
                inner = self.unary()
            finally:
                self.leave()
            return self.node("neg", None, (inner,), minus.start, inner.end, minus.start)
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            digits = token.text.replace(".", "").lstrip("0")
            if len(digits) > MAX_DIGITS:
                raise self.error(f"a number has at most {MAX_DIGITS} digits", token)
            return self.node("literal", Decimal(token.text), (), token.start, token.end, token.start)
        if token.kind == "string":
            self.advance()
            return self.node("literal", token.value, (), token.start, token.end, token.start)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self.advance()
            value = {"true": True, "false": False, "null": None}[token.text]
            return self.node("literal", value, (), token.start, token.end, token.start)
        if token.kind == "name" and self.tokens[self.index + 1].text == "(":
            return self.call()
        if token.kind in ("name", "path"):
            self.advance()
            return self.node("path", self.path(token), (), token.start, token.end, token.start)
        if token.kind == "punct" and token.text == "(":
            self.advance()
            inner = self.expression()
            self.expect("punct", ")", "')' to close the '(' opened before")
            return inner
        if token.kind == "punct" and token.text == "[":
            return self.list_literal()
        raise self.error(f"expected a value, a field or '(', found {_describe(token)}")

    def path(self, token: Token) -> SourcePath:
        try:
            return parse_source(token.text)
        except PathError as exc:
            raise self.error(str(exc), token) from None

    def call(self) -> Node:
        name = self.advance()
        self.advance()  # "("
        args = self.items(")", "')' to close the call")
        end = self.tokens[self.index - 1].end
        return self.node("call", name.text, tuple(args), name.start, end, name.start)

    def list_literal(self) -> Node:
        opening = self.advance()
        items = self.items("]", "']' to close the list")
        if len(items) > MAX_LIST:
            raise self.error(f"a list has at most {MAX_LIST} items", opening)
        end = self.tokens[self.index - 1].end
        return self.node("list", None, tuple(items), opening.start, end, opening.start)

    def items(self, closing: str, what: str) -> list[Node]:
        self.enter()
        try:
            found: list[Node] = []
            if self.at("punct", closing):
                self.advance()
                return found
            while True:
                found.append(self.expression())
                if self.at("punct", ","):
                    self.advance()
                    continue
                self.expect("punct", closing, f"',' or {what}")
                return found
        finally:
            self.leave()

    def no_end(self, operator: Token) -> None:
        if self.at("end"):
            raise self.error(f"expected something after {operator.text!r}, but the rule ends here")


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the rule"
    return f"{token.text!r}"


def parse(source: str) -> Node:
    """Parse rule text into a tree; raises :class:`RuleSyntaxError` pointing at the offending token."""
    return _Parser(source).parse()
