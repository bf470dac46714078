"""Errors every layer may raise and every surface knows how to answer. Free of Django, so the engines
(which must stay Django-free) can raise them too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class ProblemsError(ValueError):
    """Input refused with every problem found, not only the first; each problem's ``str`` names where it is.

    The API answers it with 400 ``{"problems": [...]}`` (:func:`core.api.errors.api_exception_handler`).
    """

    def __init__(self, problems: Iterable[Any], message: str = "") -> None:
        self.problems: list[Any] = list(problems)
        super().__init__(message or "; ".join(str(problem) for problem in self.problems))
