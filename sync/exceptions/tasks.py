"""django-q2 entry points of the exception queue: thin, they fetch by id and call a service, and can run
twice harmlessly. Queued and scheduled under their ``sync.tasks.*`` names (see :mod:`sync.tasks`)."""

from __future__ import annotations

from typing import Any

from sync.connections.models import Connection
from sync.exceptions.escalation import exceptions_escalate_overdue
from sync.exceptions.models import ExceptionItem
from sync.exceptions.netsuite_lists import netsuite_lists_read, netsuite_lists_read_all
from sync.exceptions.retry import retries_send, retry_claim, retry_claim_waiting, retry_function
from sync.exceptions.tickets import ticket_deliver, tickets_deliver_due


def exception_retry_run(item_id: int, overrides: dict[str, Any], retry_id: int | None = None) -> None:
    """Run a retry the worker claims (a cancelled or already claimed one does nothing). A task with no
    ``retry_id`` (queued before retries were recorded) runs as it always did, taking the exception's
    waiting retry with it if there is one."""
    if retry_id is not None:
        retry = retry_claim(retry_id)
        if retry is None:
            return
        overrides = retry.overrides
    else:
        retry_claim_waiting(item_id)
    item = ExceptionItem.objects.get(pk=item_id)
    retry_function(item.retry_task)(**item.retry_kwargs, overrides=overrides)


def exception_retries_send(retry_ids: list[int]) -> int:
    """Send the retry task of each still pending retry of a group retry (see
    :func:`sync.exceptions.retry.retries_enqueue_bulk`)."""
    return retries_send(retry_ids)


def exceptions_escalate_overdue_task() -> int:
    return len(exceptions_escalate_overdue())


def ticket_deliver_task(ticket_id: int) -> None:
    ticket_deliver(ticket_id=ticket_id)


def tickets_deliver_due_task() -> int:
    return tickets_deliver_due()


def netsuite_lists_read_task(connection_id: int | None = None) -> int:
    """Read NetSuite's subsidiaries, departments, classes and locations: of one connection, or (no id, as a
    schedule calls it) of every active NetSuite connection. Idempotent: a second read changes nothing
    NetSuite did not. Returns the number of connections read."""
    if connection_id is None:
        return len(netsuite_lists_read_all())
    netsuite_lists_read(connection=Connection.objects.get(pk=connection_id))
    return 1
