"""Errors of the rule language: each one points at the offending place in the rule's text."""

from __future__ import annotations


class RuleError(Exception):
    """A rule that cannot be saved: a syntax error or a check that failed, with its position.

    ``offset`` is the 0-based index into ``source``; ``line`` and ``column`` are 1-based, for people.
    """

    def __init__(self, message: str, *, source: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.offset = max(0, min(offset, len(source)))
        before = source[: self.offset]
        self.line = before.count("\n") + 1
        self.column = self.offset - (before.rfind("\n") + 1) + 1

    def source_line(self) -> str:
        lines = self.source.split("\n")  # lines are counted by "\n" alone, here as in ``line``
        return lines[self.line - 1].rstrip("\r") if self.line <= len(lines) else ""

    def caret(self) -> str:
        """The offending line with a caret under the column (tabs kept so the caret lines up)."""
        text = self.source_line()
        pad = "".join("\t" if ch == "\t" else " " for ch in text[: self.column - 1])
        return f"{text}\n{pad}^"

    def pretty(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}\n{self.caret()}"

    def as_dict(self) -> dict[str, object]:
        return {"message": self.message, "line": self.line, "column": self.column, "caret": self.caret()}

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class RuleSyntaxError(RuleError):
    """The text does not parse (or is too long or too deeply nested)."""


class RuleCheckError(RuleError):
    """The text parses but does not make sense: unknown function, wrong arguments, mismatched types."""


class BudgetExceeded(Exception):
    """An evaluation used more steps than its budget allows; the rule's outcome is an error."""
