"""django-q2's entry points for notifications (enqueued as ``sync.tasks.<name>``): thin, idempotent."""

from __future__ import annotations

from sync.notifications.dispatch import (
    deliveries_retry_due,
    delivery_send,
    event_dispatch,
    events_dispatch_due,
)
from sync.notifications.sources import failure_rates_check, reconciliation_runs_check


def notifications_dispatch_task() -> str:
    """The schedule's tick: look for new problems, send what is due, retry what failed."""
    failure_rates_check()
    reconciliation_runs_check()
    events = events_dispatch_due()
    tried = deliveries_retry_due()
    return f"{len(events)} events sent out, {tried} deliveries tried"


def notification_event_dispatch_task(event_id: int) -> None:
    event_dispatch(event_id=event_id)


def notification_deliver_task(delivery_id: int) -> None:
    delivery_send(delivery_id=delivery_id)
