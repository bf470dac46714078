"""SOQL tokens, and the error text Salesforce uses to point at a place in a query.

Errors carry the query line with a caret under the offending column followed by
``ERROR at Row:r:Column:c`` and the reason, the way the real API words MALFORMED_QUERY and
INVALID_FIELD messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulators.salesforce.errors import ApiError

_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\w:])")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?![\w.])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCTUATION = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA", ".": "DOT", ":": "COLON"}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str  # IDENT, STRING, NUMBER, DATE, DATETIME, OP, LPAREN, RPAREN, COMMA, DOT, COLON, EOF
    text: str
    pos: int
    value: Any = None

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "IDENT" else ""


@dataclass(frozen=True)
class StringValue:
    """A string literal: ``text`` decoded, ``like`` the same value as an SQLite LIKE pattern (ESCAPE '\\')."""

    text: str
    like: str


def located(query: str, pos: int, message: str) -> str:
    """``message`` prefixed with the query line, a caret and ``ERROR at Row:r:Column:c``."""
    pos = max(0, min(pos, len(query)))
    row = query.count("\n", 0, pos) + 1
    line_start = query.rfind("\n", 0, pos) + 1
    line_end = query.find("\n", pos)
    line = query[line_start:] if line_end < 0 else query[line_start:line_end]
    column = pos - line_start + 1
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{message}"


def malformed(query: str, pos: int, message: str) -> ApiError:
    return ApiError(400, "MALFORMED_QUERY", located(query, pos, message))


def tokenize(query: str) -> list[Token]:
    """The tokens of ``query``, ending with EOF; raises MALFORMED_QUERY on a character SOQL cannot hold."""
    tokens: list[Token] = []
    pos, end = 0, len(query)
    while pos < end:
        char = query[pos]
        if char.isspace():
            pos += 1
            continue
        if char == "'":
            token, pos = _string(query, pos)
            tokens.append(token)
            continue
        if char.isdigit() or (char in "+-." and pos + 1 < end and query[pos + 1].isdigit()):
            for kind, pattern in (("DATETIME", _DATETIME), ("DATE", _DATE), ("NUMBER", _NUMBER)):
                match = pattern.match(query, pos)
                if match:
                    tokens.append(Token(kind, match.group(), pos))
                    pos = match.end()
                    break
            else:
                raise malformed(query, pos, f"unexpected token: '{_word_at(query, pos)}'")
            continue
        match = _IDENT.match(query, pos)
        if match:
            tokens.append(Token("IDENT", match.group(), pos))
            pos = match.end()
            continue
        operator = next((op for op in _OPERATORS if query.startswith(op, pos)), None)
        if operator:
            tokens.append(Token("OP", "!=" if operator == "<>" else operator, pos))
            pos += len(operator)
            continue
        if char in _PUNCTUATION:
            tokens.append(Token(_PUNCTUATION[char], char, pos))
            pos += 1
            continue
        raise malformed(
            query,
            pos,
            f"line {query.count(chr(10), 0, pos) + 1}:{pos - query.rfind(chr(10), 0, pos) - 1} "
            f"no viable alternative at character '{char}'",
        )
    tokens.append(Token("EOF", "<EOF>", end))
    return tokens


def _word_at(query: str, pos: int) -> str:
    match = re.compile(r"[^\s,()]+").match(query, pos)
    return match.group() if match else query[pos : pos + 1]


def _string(query: str, start: int) -> tuple[Token, int]:
    text: list[str] = []
    like: list[str] = []
    pos = start + 1
    while pos < len(query):
        char = query[pos]
        if char == "'":
            value = StringValue("".join(text), "".join(like))
            return Token("STRING", query[start : pos + 1], start, value), pos + 1
        if char == "\\":
            if pos + 1 >= len(query):
                break
            escape = query[pos + 1]
            if escape in ("%", "_"):
                # Only meaningful in LIKE: a literal wildcard character.
                text.append("\\" + escape)
                like.append("\\" + escape)
            elif escape == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", query[pos + 2 : pos + 6]):
                decoded = chr(int(query[pos + 2 : pos + 6], 16))
                text.append(decoded)
                like.append(_like_literal(decoded))
                pos += 4
            elif escape in _ESCAPES:
                text.append(_ESCAPES[escape])
                like.append(_like_literal(_ESCAPES[escape]))
            else:
                sequence = query[pos : pos + 2]
                raise malformed(
                    query,
                    start,
                    f"Invalid string literal '{query[start + 1 : pos + 2]}'. "
                    f"Illegal character sequence '{sequence}' in string literal.",
                )
            pos += 2
            continue
        text.append(char)
        like.append(char)
        pos += 1
    line = query.count("\n", 0, len(query)) + 1
    raise malformed(query, len(query), f"line {line}:{len(query)} mismatched character '<EOF>' expecting '''")


def _like_literal(char: str) -> str:
    return "\\\\" if char == "\\" else char
