"""django-q2 entry points of the pipeline: thin, they fetch by id and call a service, and can run twice
harmlessly. Queued and scheduled under their ``sync.tasks.*`` names (see :mod:`sync.tasks`)."""

from __future__ import annotations

from django.conf import settings

from core.correlation import correlation
from sync.connections.models import Connection
from sync.pipeline.backfills import backfill_step
from sync.pipeline.models import Listener, ListenerKind
from sync.pipeline.operations import worker_heartbeat_record
from sync.pipeline.polling import poll_closed_won
from sync.pipeline.returns import return_flow_run
from sync.pipeline.runner import inbox_drain as _drain
from sync.pipeline.sweeps import interrupted_sweep as _sweep


def worker_heartbeat() -> None:
    """Scheduled every minute: a worker that runs it is alive and taking tasks (read by /healthz)."""
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
    with correlation():
        return backfill_step(backfill_id=backfill_id, step=step).done


def interrupted_sweep() -> int:
    """Scheduled every minute: mark work whose worker stopped interrupted, resume what resumes by itself
    (sync.pipeline.sweeps); returns how many rows it found."""
    return _sweep().found
