"""The "Group of N" badge of an exception in the queue's table, registered as the ``exception_groups``
template library (console/settings.py, TEMPLATES options).

``templates/exceptions/partials/group_badge.html`` is included once per row with the row's ``item``. The
queue's page carries each row's count already (``cause_group_size``, kept by
:func:`sync.exceptions.groups.cause_group_sizes_set` in one query for the page); an exception rendered
without it is counted alone.
"""

from __future__ import annotations

from typing import Any

from django import template

from sync.exceptions.groups import cause_group_sizes
from sync.exceptions.models import ExceptionItem

register = template.Library()


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
    return cause_group_sizes(user=user, keys=[item.cause_key]).get(item.cause_key, 0)
