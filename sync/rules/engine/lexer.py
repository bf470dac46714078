"""Tokens of the rule language. One regular expression, scanned left to right; nothing is evaluated."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sync.rules.engine.errors import RuleSyntaxError

MAX_SOURCE = 4000  # characters; a rule is a sentence or two, not a program
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})

_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*(?:\[\d{1,2}\])?"
# A field path is one token, written as in mappings: ``Account.BillingCountry``, ``$.primary_quote``,
# ``^.Id``, ``OpportunityContactRoles.records[0]``. No spaces inside a path.
_PATH = rf"(?:\$|\^(?:\.\^)*)(?:\.{_SEGMENT})*|{_SEGMENT}(?:\.{_SEGMENT})*"
_TOKEN = re.compile(
    rf"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>\#[^\n]*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<path>{_PATH})
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|%)
  | (?P<punct>[()\[\],])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number | string | path | name | keyword | op | punct | end
    text: str
    value: object
    start: int
    end: int


def tokenize(source: str) -> list[Token]:
    """The tokens of ``source``, ending with an ``end`` token; raises :class:`RuleSyntaxError`."""
    if len(source) > MAX_SOURCE:
        raise RuleSyntaxError(
            f"a rule is at most {MAX_SOURCE} characters (this one has {len(source)})",
            source=source,
            offset=MAX_SOURCE,
        )
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise RuleSyntaxError(_unexpected(source, position), source=source, offset=position)
        kind = match.lastgroup or ""
        text = match.group()
        start, position = position, match.end()
        if kind in ("space", "comment"):
            continue
        if kind == "number":
            tokens.append(Token("number", text, text, start, position))
        elif kind == "string":
            tokens.append(Token("string", text, _unquote(text, source, start), start, position))
        elif kind == "path":
            if text in KEYWORDS:
                tokens.append(Token("keyword", text, text, start, position))
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
                tokens.append(
                    Token("name", text, text, start, position)
                )  # a field, or a function if "(" follows
            else:
                tokens.append(Token("path", text, text, start, position))
        else:
            tokens.append(Token(kind, text, text, start, position))
    # "The rule ends here" points just after the last token, not after trailing spaces or lines.
    end = tokens[-1].end if tokens else 0
    tokens.append(Token("end", "", None, end, end))
    return tokens


def _unexpected(source: str, position: int) -> str:
    char = source[position]
    if char in "\"'":
        return "this text is not closed: add the matching quote on the same line"
    if char == "=":
        return "'=' alone is not an operator: write == to compare"
    if char == "!":
        return "'!' alone is not an operator: write != or not"
    if char in "&|":
        return f"{char!r} is not an operator: write 'and' / 'or'"
    return f"unexpected character {char!r}"


def _unquote(text: str, source: str, start: int) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1]
            if escaped not in _ESCAPES:
                raise RuleSyntaxError(
                    f"unknown escape \\{escaped} (use \\n, \\t, \\\\, \\\" or \\')",
                    source=source,
                    offset=start + 1 + index,
                )
            out.append(_ESCAPES[escaped])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)
