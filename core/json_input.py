"""JSON from outside (a pasted mapping, an API body, a webhook): parsed with a bound on nesting.

Python's parser recurses once per level, so a document of a few thousand ``[`` raises RecursionError
(a 500), and anything that walks the parsed value recurses again. No document Concord accepts is
legitimately deeper than a few levels, so every parse of input goes through :func:`json_loads_bounded`,
which measures the nesting first (without recursion, strings skipped) and refuses a document deeper
than ``MAX_JSON_DEPTH`` with :class:`JsonTooDeep`, whose message names the problem.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

MAX_JSON_DEPTH = 64

# A JSON string (escapes included), or an unterminated one running to the end of the text, and a run of
# anything that is not a bracket. Possessive, and a string always matches where it starts, so each
# character is looked at once: a hostile input (thousands of escaped quotes, no closing one) stays linear.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")


class JsonTooDeep(ValueError):
    """The document nests arrays or objects deeper than the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def json_nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if char in "[{" else -1 for char in brackets), default=0)


def json_loads_bounded(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH, **options: Any) -> Any:
    """``json.loads(text, **options)``, refusing a document nested deeper than ``max_depth``.

    Raises :class:`JsonTooDeep`, ``json.JSONDecodeError`` or ``UnicodeDecodeError`` (all ValueError).
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    if json_nesting_depth(text) > max_depth:
        raise JsonTooDeep(max_depth)
    return json.loads(text, **options)
