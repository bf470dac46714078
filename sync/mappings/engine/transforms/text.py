"""Text transforms: trim, case, truncate, prefix/suffix, replace, split, to_string, concat."""

from __future__ import annotations

from typing import Any

from sync.mappings.engine.coerce import to_text
from sync.mappings.engine.problems import SpecError, TransformFailure, check_text_length, describe
from sync.mappings.engine.runtime import Frame
from sync.mappings.engine.transforms.registry import Builder, Param, Step, transform


def text_of(value: Any) -> str:
    """Text for a scalar (numbers in plain notation); a record or list is a problem, not a crash."""
    text = to_text(value)
    if text is None:
        raise TransformFailure(f"expected text, got {describe(value)}", value)
    return text


def _text_step(change: Any) -> Step:
    def step(value: Any, frame: Frame) -> Any:
        if value is None:
            return None
        if value.__class__ is str:
            return change(value)
        return change(text_of(value))

    return step


@transform("trim", "Remove spaces and line breaks from both ends.", category="text")
def _trim(params: dict[str, Any], builder: Builder) -> Step:
    """Strip leading and trailing white space. Numbers are turned into text first."""
    return _text_step(str.strip)


@transform("upper", "Upper-case the text.", category="text")
def _upper(params: dict[str, Any], builder: Builder) -> Step:
    """Upper-case, Unicode-aware (``straße`` becomes ``STRASSE``)."""
    return _text_step(str.upper)


@transform("lower", "Lower-case the text.", category="text")
def _lower(params: dict[str, Any], builder: Builder) -> Step:
    """Lower-case, Unicode-aware: the usual first step before comparing or storing email addresses."""
    return _text_step(str.lower)


@transform("title", "Capitalise the first letter of each word.", category="text")
def _title(params: dict[str, Any], builder: Builder) -> Step:
    """Title case (``ACME corp`` becomes ``Acme Corp``)."""
    return _text_step(str.title)


@transform(
    "truncate",
    "Cut the text to at most `length` characters.",
    Param("length", "int", minimum=0, maximum=1_000_000, help="the most characters kept"),
    category="text",
)
def _truncate(params: dict[str, Any], builder: Builder) -> Step:
    """Keep the first ``length`` characters. Use it for target fields with a size limit (NetSuite's
    ``companyName`` holds 83 characters, a sales order ``memo`` 999)."""
    length = params["length"]

    def step(value: Any, frame: Frame) -> Any:  # written out: it sits on hot rows (names, descriptions)
        if value.__class__ is str:
            return value[:length]
        return None if value is None else text_of(value)[:length]

    return step


@transform("prefix", "Put `text` in front of the value.", Param("text", "text"), category="text")
def _prefix(params: dict[str, Any], builder: Builder) -> Step:
    """``{"fn": "prefix", "text": "PLAN-"}`` turns ``PKG-STARTER`` into ``PLAN-PKG-STARTER``."""
    head = params["text"]

    def put_in_front(text: str) -> str:
        check_text_length(len(head) + len(text), text)
        return head + text

    return _text_step(put_in_front)


@transform("suffix", "Put `text` after the value.", Param("text", "text"), category="text")
def _suffix(params: dict[str, Any], builder: Builder) -> Step:
    """``{"fn": "suffix", "text": " (billing)"}`` appends the text."""
    tail = params["text"]

    def put_after(text: str) -> str:
        check_text_length(len(text) + len(tail), text)
        return text + tail

    return _text_step(put_after)


@transform(
    "replace",
    "Replace every `old` with `new`.",
    Param("old", "text", minimum=1),
    Param("new", "text"),
    category="text",
)
def _replace(params: dict[str, Any], builder: Builder) -> Step:
    """Plain text replacement (no patterns): ``{"fn": "replace", "old": "_", "new": " "}``. A result
    longer than ``MAX_TEXT_LENGTH`` is a problem (a few replaces of one letter by a word could
    otherwise grow a field past any memory)."""
    old, new = params["old"], params["new"]
    growth = len(new) - len(old)

    def replace(text: str) -> str:
        if growth > 0:
            check_text_length(len(text) + text.count(old) * growth, text)
        return text.replace(old, new)

    return _text_step(replace)


@transform(
    "split",
    "Split on `separator` and keep the part at `index` (0 is the first, -1 the last).",
    Param("separator", "text", minimum=1),
    Param("index", "int", minimum=-1000, maximum=1000),
    category="text",
)
def _split(params: dict[str, Any], builder: Builder) -> Step:
    """``{"fn": "split", "separator": " ", "index": 0}`` takes the first word. A part that does not
    exist gives None (empty), which ``required`` or ``default`` then decide about."""
    separator, index = params["separator"], params["index"]

    def pick(text: str) -> str | None:
        parts = text.split(separator)
        return parts[index] if -len(parts) <= index < len(parts) else None

    return _text_step(pick)


@transform("to_string", "Turn a number or true/false into text.", category="text")
def _to_string(params: dict[str, Any], builder: Builder) -> Step:
    """Numbers are written in plain notation (``1E+2`` becomes ``100``), booleans as ``true``/``false``.
    A record or a list is a problem."""
    return _text_step(lambda text: text)


@transform(
    "concat",
    "Join the value and `parts` with `separator`; empty pieces are skipped (works on an empty value).",
    Param("parts", "expressions", help='value expressions: {"source": ...} or {"constant": ...}'),
    Param("separator", "text", required=False, default=""),
    Param("skip_empty", "bool", required=False, default=True),
    category="text",
)
def _concat(params: dict[str, Any], builder: Builder) -> Step:
    """The current value (when there is one) comes first, then each part (a value expression, which
    may read another field, a constant or a ref). ``{"fn": "concat", "separator": " ", "parts": [{"source":
    "LastName"}]}`` after ``FirstName`` gives ``Ada Lovelace``. With ``skip_empty`` (the default) empty
    pieces are left out, separators included; if every piece is empty the result is empty."""
    parts = params["parts"]
    if not isinstance(parts, list) or not parts:
        raise SpecError("parameter 'parts' must be a non-empty list of value expressions")
    getters = tuple(builder.value(part) for part in parts)
    separator, skip_empty = params["separator"], params["skip_empty"]

    def step(value: Any, frame: Frame) -> Any:
        pieces = [get(frame) for get in getters]
        if value is not None:
            pieces.insert(0, value)
        if skip_empty:
            texts = [text_of(piece) for piece in pieces if piece is not None and piece != ""]
        else:
            texts = ["" if piece is None else text_of(piece) for piece in pieces]
        check_text_length(sum(map(len, texts)) + len(separator) * max(len(texts) - 1, 0), value)
        return separator.join(texts) if any(texts) else None

    return step
