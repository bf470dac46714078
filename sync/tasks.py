"""django-q2 entry points for the sync area: thin, they fetch by id and call a service."""

from __future__ import annotations

from typing import Any

from sync.models import ExceptionItem
from sync.services.exception_escalation import exceptions_escalate_overdue
from sync.services.exception_retry import retry_function
from sync.services.exception_tickets import ticket_deliver, tickets_deliver_due


def exception_retry_run(item_id: int, overrides: dict[str, Any]) -> None:
    item = ExceptionItem.objects.get(pk=item_id)
    retry_function(item.retry_task)(**item.retry_kwargs, overrides=overrides)


def exceptions_escalate_overdue_task() -> int:
    return len(exceptions_escalate_overdue())


def ticket_deliver_task(ticket_id: int) -> None:
    ticket_deliver(ticket_id=ticket_id)


def tickets_deliver_due_task() -> int:
    return tickets_deliver_due()
