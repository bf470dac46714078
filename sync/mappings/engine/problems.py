"""What can go wrong with a mapping: at compile time (the spec is wrong) and at apply time (a record is).

A person edits mappings in the console, so every problem names where it is: the object mapping's key,
the field row (its ``id``, or ``#n`` for its position when it has none) and the target path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import ProblemsError


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong with a mapping spec, found by :func:`sync.mappings.engine.compile_mapping`."""

    object_key: str
    field: str
    target: str
    message: str

    def __str__(self) -> str:
        where = [part for part in (self.object_key, self.field, self.target) if part]
        return f"{' / '.join(where)}: {self.message}" if where else self.message


class SpecError(ValueError):
    """Raised by the compile helpers for one malformed piece; the compiler adds where it is."""


class MappingValidationError(ProblemsError):
    """A mapping spec failed validation; ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        lines = "\n".join(f"- {problem}" for problem in problems)
        super().__init__(problems, f"the mapping has {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class MappingProblem:
    """A record that could not be mapped: a missing required value, a lookup miss, an unparsable date.

    ``source_id`` is the id of the source record the object mapping was reading (the opportunity, the
    contact role's contact, the quote line...), so the exception queue can point at it.
    """

    object_key: str
    field_id: str
    target: str
    message: str
    value: Any = None
    source_id: str | None = None

    def __str__(self) -> str:
        where = " / ".join(part for part in (self.object_key, self.field_id, self.target) if part)
        return f"{where}: {self.message}"


class TransformFailure(Exception):
    """Raised inside a transform for a value it cannot handle; the engine turns it into a MappingProblem.

    It is an exception (not a return value) because the happy path must stay free of checks: a
    ``try`` costs nothing in Python 3.11 until something is raised.
    """

    def __init__(self, message: str, value: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value


# The longest text a transform or a concat expression may produce (truncate's own upper bound): a chain
# of replaces that doubles the text, or a concat of large fields, stops with a problem instead of eating
# the worker's memory and time.
MAX_TEXT_LENGTH = 1_000_000


def check_text_length(length: int, value: Any) -> None:
    """Raise :class:`TransformFailure` when a result of ``length`` characters would pass the limit.

    Called with the length worked out *before* the text is built, so nothing oversized is allocated.
    """
    if length > MAX_TEXT_LENGTH:
        raise TransformFailure(
            f"the result would be {length:,} characters long, more than the {MAX_TEXT_LENGTH:,} allowed",
            value,
        )


def describe(value: Any, limit: int = 60) -> str:
    """A short, safe rendering of a value for a problem message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
