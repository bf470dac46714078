"""Text cut to fit the column it is stored in, with the limit read from the model itself.

A limit written beside a write (``message[:4000]``) drifts from the field's ``max_length`` the day either
changes; :func:`field_fit` asks the model, so the two cannot disagree.
"""

from __future__ import annotations

from functools import cache

from django.db import models


@cache
def field_limit(model: type[models.Model], field: str) -> int | None:
    """The ``max_length`` of ``model.field`` (``None`` for a field without one, e.g. a ``TextField``)."""
    return model._meta.get_field(field).max_length  # type: ignore[union-attr]


def field_fit(model: type[models.Model], field: str, value: str) -> str:
    """``value`` cut to what ``model.field`` holds; unchanged when the field has no limit."""
    limit = field_limit(model, field)
    return value if limit is None else value[:limit]
