"""SuiteQL tokens: identifiers, keywords, numbers, 'strings', "quoted identifiers", operators."""

from __future__ import annotations

import re
from dataclasses import dataclass


class SuiteQLError(Exception):
    """Any reason a query cannot run; the message names the problem and where it is."""


KEYWORDS = frozenset(
    {
        "SELECT",
        "DISTINCT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "AS",
        "JOIN",
        "INNER",
        "LEFT",
        "RIGHT",
        "FULL",
        "OUTER",
        "CROSS",
        "ON",
        "IN",
        "IS",
        "NULL",
        "LIKE",
        "ESCAPE",
        "BETWEEN",
        "GROUP",
        "BY",
        "HAVING",
        "ORDER",
        "ASC",
        "DESC",
        "NULLS",
        "FIRST",
        "LAST",
        "FETCH",
        "NEXT",
        "ROWS",
        "ROW",
        "ONLY",
        "CASE",
        "WHEN",
        "THEN",
        "ELSE",
        "END",
        "EXISTS",
        "UNION",
        "ALL",
        "OFFSET",
    }
)


@dataclass(frozen=True)
class Token:
    kind: str  # "ident", "keyword", "number", "string", "qident", "op", "eof"
    value: str
    position: int

    def describe(self) -> str:
        if self.kind == "eof":
            return "end of query"
        return f"'{self.value}' at position {self.position + 1}"


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_$#]*)
  | (?P<string>'(?:[^']|'')*')
  | (?P<qident>"[^"]{1,128}")
  | (?P<op><>|!=|<=|>=|\|\||[=<>(),.*+\-/])
""",
    re.VERBOSE | re.DOTALL,
)

MAX_QUERY_LENGTH = 100_000


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_QUERY_LENGTH:
        raise SuiteQLError(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            snippet = text[position : position + 10]
            if text[position] == "'":
                raise SuiteQLError(f"Unterminated string starting at position {position + 1}.")
            raise SuiteQLError(f"Unexpected character {snippet[:1]!r} at position {position + 1}.")
        kind = match.lastgroup
        value = match.group()
        if kind == "ident" and value.upper() in KEYWORDS:
            tokens.append(Token("keyword", value.upper(), position))
        elif kind == "string":
            tokens.append(Token("string", value[1:-1].replace("''", "'"), position))
        elif kind == "qident":
            tokens.append(Token("qident", value[1:-1], position))
        elif kind != "space":
            assert kind is not None
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens
