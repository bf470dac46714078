"""django-q2 entry points for the sync area: thin, they fetch by id and call a service, and can run
twice harmlessly."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from core.correlation import correlation
from sync.connections.models import Connection
from sync.exceptions.escalation import exceptions_escalate_overdue
from sync.exceptions.models import ExceptionItem
from sync.exceptions.retry import retry_function
from sync.exceptions.tickets import ticket_deliver, tickets_deliver_due
from sync.pipeline.models import Listener, ListenerKind
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import inbox_drain as _drain


def exception_retry_run(item_id: int, overrides: dict[str, Any]) -> None:
    item = ExceptionItem.objects.get(pk=item_id)
    retry_function(item.retry_task)(**item.retry_kwargs, overrides=overrides)


def exceptions_escalate_overdue_task() -> int:
    return len(exceptions_escalate_overdue())


def ticket_deliver_task(ticket_id: int) -> None:
    ticket_deliver(ticket_id=ticket_id)


def tickets_deliver_due_task() -> int:
    return tickets_deliver_due()


def worker_heartbeat() -> None:
    """Scheduled every minute: a worker that runs it is alive and taking tasks (read by /healthz)."""
    from sync.pipeline.operations import worker_heartbeat_record

    worker_heartbeat_record()


def inbox_drain() -> list[int]:
    """Process pending inbox messages for up to half the worker's timeout (then a fresh task takes over);
    returns the job ids run."""
    return _drain(budget_seconds=settings.Q_CLUSTER["timeout"] / 2)


def served_pairs() -> list[tuple[Connection, Connection]]:
    """Each (Salesforce, NetSuite) connection pair an active Closed Won listener serves, once."""
    listeners = (
        Listener.objects.filter(is_active=True, kind=ListenerKind.OUTBOUND_MESSAGE)
        .select_related("salesforce_connection", "netsuite_connection")
        .order_by("pk")
    )
    pairs: dict[tuple[int, int], tuple[Connection, Connection]] = {}
    for listener in listeners:
        key = (listener.salesforce_connection_id, listener.netsuite_connection_id)
        pairs.setdefault(key, (listener.salesforce_connection, listener.netsuite_connection))
    return list(pairs.values())


def catch_up_poll() -> int:
    """Poll Salesforce for won opportunities of every connection pair an active listener serves."""
    with correlation():  # the inbox rows it adds carry this run's id to the worker
        return sum(poll_closed_won(salesforce=sf, netsuite=ns) for sf, ns in served_pairs())


def return_flow() -> int:
    """Bring NetSuite invoices, payments and order status back for every pair an active listener serves;
    returns the Salesforce records written."""
    with correlation():
        return sum(return_flow_run(salesforce=sf, netsuite=ns).written for sf, ns in served_pairs())


def backfill_run(backfill_id: int, step: int | None = None) -> int:
    """Run batch ``step`` of a queued backfill and queue the next (a second delivery, or a task for a
    batch already done, claims nothing and does nothing); returns the opportunities done so far."""
    from sync.pipeline.backfills import backfill_step

    with correlation():
        return backfill_step(backfill_id=backfill_id, step=step).done


def interrupted_sweep() -> int:
    """Scheduled every minute: mark work whose worker stopped interrupted, resume what resumes by itself
    (sync.pipeline.sweeps); returns how many rows it found."""
    from sync.pipeline.sweeps import interrupted_sweep as sweep

    return sweep().found


def golive_scan_run(run_id: int) -> int:
    """Scan a queued go-live run (a second delivery finds it claimed and does nothing)."""
    from sync.golive.models import GoLiveRun
    from sync.golive.scan import golive_scan_execute

    with correlation():
        return golive_scan_execute(GoLiveRun.objects.get(pk=run_id)).done


def golive_apply_run(run_id: int) -> int:
    """Apply one slice of a confirmed go-live run's links and queue the next slice while work remains.

    Re-entrant: a redelivered or retried task continues where the last one stopped.
    """
    from django_q.tasks import async_task

    from sync.golive.models import GoLiveRun
    from sync.golive.services import golive_apply_execute

    with correlation():
        run = GoLiveRun.objects.get(pk=run_id)
        if golive_apply_execute(run):
            async_task("sync.tasks.golive_apply_run", run_id, task_name=f"golive apply {run_id}")
        return run.links_applied
