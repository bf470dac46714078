"""A recursive-descent SOQL parser producing a small AST; every failure is a MALFORMED_QUERY.

Supported: SELECT fields, dotted parent paths, COUNT()/COUNT(field), FIELDS(ALL|STANDARD|CUSTOM) and
child subqueries; FROM with an optional alias; WHERE with AND/OR/NOT and parentheses (mixing AND and OR
at one level needs parentheses, as in SOQL), comparisons, LIKE, IN/NOT IN with lists or a semi-join
subquery, literals of every SOQL kind including date literals such as ``LAST_N_DAYS:30``; ORDER BY with
ASC/DESC and NULLS FIRST/LAST; LIMIT; OFFSET. GROUP BY, HAVING, TYPEOF, WITH and FOR are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulators.salesforce.soql.dates import DATE_LITERALS, N_DATE_LITERALS
from simulators.salesforce.soql.lexer import Token, malformed, tokenize

_MAX_DEPTH = 60
_CLAUSE_WORDS = frozenset(
    {
        "WHERE",
        "ORDER",
        "LIMIT",
        "OFFSET",
        "GROUP",
        "HAVING",
        "WITH",
        "FOR",
        "USING",
        "UPDATE",
        "FROM",
        "SELECT",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
    }
)
_UNSUPPORTED = frozenset({"GROUP", "HAVING", "WITH", "FOR", "USING", "TYPEOF", "INCLUDES", "EXCLUDES"})


@dataclass
class FieldPath:
    parts: tuple[str, ...]
    pos: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass
class Count:
    field: FieldPath | None
    alias: str | None
    pos: int


@dataclass
class FieldsFunction:
    kind: str
    pos: int


@dataclass
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, date_literal
    value: Any
    pos: int
    text: str


@dataclass
class Comparison:
    field: FieldPath
    op: str  # = != < <= > >= LIKE
    value: Literal
    pos: int


@dataclass
class InList:
    field: FieldPath
    negated: bool
    values: list[Literal]
    subquery: Query | None
    pos: int


@dataclass
class BoolOp:
    op: str  # AND, OR
    items: list[Condition]


@dataclass
class Not:
    item: Condition


Condition = Comparison | InList | BoolOp | Not


@dataclass
class OrderItem:
    field: FieldPath
    descending: bool
    nulls: str | None  # FIRST, LAST or None for the default


@dataclass
class SubQuery:
    query: Query
    pos: int


SelectItem = FieldPath | Count | FieldsFunction | SubQuery


@dataclass
class Query:
    source: str
    items: list[SelectItem]
    sobject: str
    sobject_pos: int
    alias: str | None = None
    where: Condition | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


def parse(source: str) -> Query:
    """Parse a SOQL statement; raises ``ApiError`` (MALFORMED_QUERY) on anything it does not accept."""
    if not isinstance(source, str) or not source.strip():
        raise malformed(source or "", 0, "unexpected token: '<EOF>'")
    parser = _Parser(source, tokenize(source))
    query = parser.query(nested=False)
    parser.expect_kind("EOF")
    return query


class _Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    # -- token helpers --------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "EOF":
            self.index += 1
        return token

    def fail(self, token: Token | None = None) -> Exception:
        token = token or self.token
        return malformed(self.source, token.pos, f"unexpected token: '{token.text}'")

    def at_word(self, *words: str) -> bool:
        return self.token.upper in words

    def accept_word(self, word: str) -> bool:
        if self.token.upper == word:
            self.advance()
            return True
        return False

    def expect_word(self, word: str) -> Token:
        if self.token.upper != word:
            raise self.fail()
        return self.advance()

    def expect_kind(self, kind: str) -> Token:
        if self.token.kind != kind:
            raise self.fail()
        return self.advance()

    def nest(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise malformed(self.source, self.token.pos, "query is nested too deeply")

    # -- grammar --------------------------------------------------------------------------------

    def query(self, *, nested: bool) -> Query:
        self.nest()
        self.expect_word("SELECT")
        items = [self.select_item(nested)]
        while self.token.kind == "COMMA":
            self.advance()
            items.append(self.select_item(nested))
        self.expect_word("FROM")
        name_token = self.expect_kind("IDENT")
        if name_token.upper in _CLAUSE_WORDS:
            raise self.fail(name_token)
        query = Query(self.source, items, name_token.text, name_token.pos)
        if self.token.kind == "IDENT" and self.token.upper not in _CLAUSE_WORDS | _UNSUPPORTED:
            query.alias = self.advance().text
        if self.accept_word("WHERE"):
            query.where = self.condition()
        if self.token.upper in _UNSUPPORTED:
            raise self.fail()
        if self.accept_word("ORDER"):
            self.expect_word("BY")
            query.order_by.append(self.order_item())
            while self.token.kind == "COMMA":
                self.advance()
                query.order_by.append(self.order_item())
        if self.accept_word("LIMIT"):
            query.limit = self.whole_number()
        if self.accept_word("OFFSET"):
            query.offset = self.whole_number()
        if self.token.upper in _UNSUPPORTED:
            raise self.fail()
        self.depth -= 1
        return query

    def select_item(self, nested: bool) -> SelectItem:
        token = self.token
        if token.kind == "LPAREN":
            if nested:
                raise self.fail()
            self.advance()
            subquery = self.query(nested=True)
            self.expect_kind("RPAREN")
            return SubQuery(subquery, token.pos)
        if token.upper in ("COUNT", "FIELDS") and self.tokens[self.index + 1].kind == "LPAREN":
            self.advance()
            self.advance()
            if token.upper == "FIELDS":
                kind = self.expect_kind("IDENT")
                if kind.upper not in ("ALL", "STANDARD", "CUSTOM"):
                    raise self.fail(kind)
                self.expect_kind("RPAREN")
                return FieldsFunction(kind.upper, token.pos)
            counted = None if self.token.kind == "RPAREN" else self.field_path()
            self.expect_kind("RPAREN")
            alias = None
            if self.token.kind == "IDENT" and self.token.upper not in _CLAUSE_WORDS:
                alias = self.advance().text
            return Count(counted, alias, token.pos)
        if token.upper == "TYPEOF":
            raise self.fail()
        return self.field_path()

    def field_path(self) -> FieldPath:
        first = self.expect_kind("IDENT")
        if first.upper in _CLAUSE_WORDS:
            raise self.fail(first)
        parts = [first.text]
        while self.token.kind == "DOT":
            self.advance()
            parts.append(self.expect_kind("IDENT").text)
        return FieldPath(tuple(parts), first.pos)

    def whole_number(self) -> int:
        token = self.expect_kind("NUMBER")
        if not token.text.isdigit():
            raise self.fail(token)
        return int(token.text)

    def order_item(self) -> OrderItem:
        path = self.field_path()
        descending = False
        if self.accept_word("DESC"):
            descending = True
        else:
            self.accept_word("ASC")
        nulls = None
        if self.accept_word("NULLS"):
            if not self.at_word("FIRST", "LAST"):
                raise self.fail()
            nulls = self.advance().upper
        return OrderItem(path, descending, nulls)

    def condition(self) -> Condition:
        self.nest()
        first = self.unary()
        if not self.at_word("AND", "OR"):
            self.depth -= 1
            return first
        op = self.token.upper
        items = [first]
        while self.at_word("AND", "OR"):
            if self.token.upper != op:
                raise self.fail()  # SOQL needs parentheses to mix AND and OR
            self.advance()
            items.append(self.unary())
        self.depth -= 1
        return BoolOp(op, items)

    def unary(self) -> Condition:
        if self.accept_word("NOT"):
            self.nest()
            inner = self.unary()
            self.depth -= 1
            return Not(inner)
        if self.token.kind == "LPAREN":
            self.advance()
            inner = self.condition()
            self.expect_kind("RPAREN")
            return inner
        return self.predicate()

    def predicate(self) -> Condition:
        path = self.field_path()
        token = self.token
        if token.kind == "OP":
            self.advance()
            return Comparison(path, token.text, self.literal(), token.pos)
        if token.upper == "LIKE":
            self.advance()
            value = self.literal()
            if value.kind != "string":
                raise self.fail(self.tokens[self.index - 1])
            return Comparison(path, "LIKE", value, token.pos)
        negated = False
        if token.upper == "NOT" and self.tokens[self.index + 1].upper == "IN":
            self.advance()
            negated = True
        if self.token.upper == "IN":
            in_token = self.advance()
            self.expect_kind("LPAREN")
            if self.at_word("SELECT"):
                subquery = self.query(nested=True)
                self.expect_kind("RPAREN")
                return InList(path, negated, [], subquery, in_token.pos)
            values = [self.literal()]
            while self.token.kind == "COMMA":
                self.advance()
                values.append(self.literal())
            self.expect_kind("RPAREN")
            return InList(path, negated, values, None, in_token.pos)
        raise self.fail()

    def literal(self) -> Literal:
        token = self.advance()
        if token.kind == "STRING":
            return Literal("string", token.value, token.pos, token.text)
        if token.kind == "NUMBER":
            number: float | int = float(token.text) if any(c in token.text for c in ".") else int(token.text)
            return Literal("number", number, token.pos, token.text)
        if token.kind in ("DATE", "DATETIME"):
            return Literal(token.kind.lower(), token.text, token.pos, token.text)
        word = token.upper
        if word in ("TRUE", "FALSE"):
            return Literal("boolean", word == "TRUE", token.pos, token.text)
        if word == "NULL":
            return Literal("null", None, token.pos, token.text)
        if word in DATE_LITERALS:
            return Literal("date_literal", (word, 0), token.pos, token.text)
        if word in N_DATE_LITERALS:
            self.expect_kind("COLON")
            amount = self.expect_kind("NUMBER")
            if not amount.text.isdigit():
                raise self.fail(amount)
            return Literal("date_literal", (word, int(amount.text)), token.pos, f"{token.text}:{amount.text}")
        raise self.fail(token)
