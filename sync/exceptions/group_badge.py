"""The "Group of N" badge of an exception in the queue's table, registered as the ``exception_groups``
template library (console/settings.py, TEMPLATES options).

``templates/exceptions/partials/group_badge.html`` is included once per row with the row's ``item``, so
the tag must not cost a query per row: the first row finds the list it belongs to in the template's
context (the page of exceptions the table loops over), counts the groups of the whole page in one
query (:func:`sync.exceptions.groups.cause_group_sizes`, scoped to the person) and keeps each count on its
exception (``cause_group_size``); a selector that annotates ``cause_group_size`` itself saves that query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.db.models import QuerySet

from sync.exceptions.groups import cause_group_sizes
from sync.exceptions.models import ExceptionItem

register = template.Library()


def _page_of(context: template.Context, item: ExceptionItem) -> list[ExceptionItem]:
    """The already-read list of exceptions in the context that holds ``item`` (else just ``item``)."""
    for value in context.flatten().values():
        if isinstance(value, QuerySet):
            rows: Iterable[Any] | None = value._result_cache  # read already by the loop; never read here
        elif isinstance(value, list | tuple):
            rows = value
        else:
            rows = getattr(value, "object_list", None)  # a Paginator page
            rows = rows if isinstance(rows, list | tuple) else getattr(rows, "_result_cache", None)
        if rows and any(row is item for row in rows):
            return [row for row in rows if isinstance(row, ExceptionItem)]
    return [item]


@register.simple_tag(takes_context=True)
def exception_group_size(context: template.Context, item: Any) -> int:
    """How many active exceptions the viewer may see share ``item``'s cause (0 for none)."""
    if not isinstance(item, ExceptionItem) or not item.cause_key:
        return 0
    known = getattr(item, "cause_group_size", None)
    if known is not None:
        return int(known)
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None:
        return 0
    page = _page_of(context, item)
    sizes = cause_group_sizes(user=user, keys=(row.cause_key for row in page))
    for row in page:
        row.cause_group_size = sizes.get(row.cause_key, 0) if row.cause_key else 0  # type: ignore[attr-defined]
    return sizes.get(item.cause_key, 0)
