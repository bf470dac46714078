"""django-q2 task entry points: thin, they call the pipeline's services (and can run twice harmlessly)."""

from __future__ import annotations

from sync.models import Listener, ListenerKind
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.runner import inbox_drain as _drain


def inbox_drain() -> list[int]:
    """Process every pending inbox message; returns the job ids run."""
    return _drain()


def catch_up_poll() -> int:
    """Poll Salesforce for won opportunities of every connection pair an active listener serves."""
    pairs = (
        Listener.objects.filter(is_active=True, kind=ListenerKind.OUTBOUND_MESSAGE)
        .select_related("salesforce_connection", "netsuite_connection")
        .order_by("pk")
    )
    seen: set[tuple[int, int]] = set()
    found = 0
    for listener in pairs:
        key = (listener.salesforce_connection_id, listener.netsuite_connection_id)
        if key not in seen:
            seen.add(key)
            found += poll_closed_won(
                salesforce=listener.salesforce_connection, netsuite=listener.netsuite_connection
            )
    return found
