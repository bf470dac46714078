"""Every django-q2 task type Concord enqueues or schedules, and what brings its work back when it is lost.

With the Redis broker a task is popped (``BLPOP``) with no acknowledgement: a worker that dies holding one
(SIGKILL, out of memory, a deploy, a time-out that kills the process) loses it for good. The ORM broker
hands an unacknowledged task out again after ``Q_RETRY``, but not one that timed out. So no task here
relies on the broker: each is idempotent (it can run twice and do no harm) and its work is found again
from the database by something that runs on a schedule:

- :attr:`Recovery.SWEEP`: the task works from a row (``work``) and a scheduled sweep (``recovered_by``)
  finds the row stuck (pending past its lease, or a heartbeat that stopped) and queues the task again;
- :attr:`Recovery.SCHEDULED`: the task is a schedule's, or its work is also done by one (``recovered_by``):
  the next tick redoes what a lost run would have done;
- :attr:`Recovery.PERSON`: a scheduled sweep (``recovered_by``) finds the row stuck and marks it
  interrupted, and a person starts it again, because starting it again changes something people signed
  off (a release test run withdraws sign-offs).

The table is plain strings (core imports no feature). tests/core/test_tasks_inventory.py walks the code
for every ``async_task(...)`` target and every schedule's function and fails on a task missing here, or
on a recovery that is not itself scheduled. docs/delivery-guarantees.md says the same per task, for each
broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Recovery(StrEnum):
    SWEEP = "sweep"  # a sweep finds its work row stuck and queues it again
    SCHEDULED = "scheduled"  # the next run of a schedule redoes it
    PERSON = "person"  # a sweep marks it interrupted; a person starts it again


@dataclass(frozen=True)
class TaskType:
    func: str  # the dotted path django-q2 stores
    recovery: Recovery
    recovered_by: str  # the scheduled task that finds or redoes its work
    work: str  # the database state it works from, which survives a lost task
    started_by: str


TASK_TYPES: tuple[TaskType, ...] = (
    TaskType(
        "sync.tasks.inbox_drain",
        Recovery.SWEEP,
        "sync.tasks.inbox_drain",
        "InboxMessage rows, claimed under a lease; rows whose lease ran out are claimed again",
        "a stored inbound event, the inbox sweep (every minute), resuming a flow",
    ),
    TaskType(
        "sync.tasks.backfill_run",
        Recovery.SWEEP,
        "sync.tasks.interrupted_sweep",
        "Backfill (cursor, heartbeat) and its SyncJob",
        "starting or resuming a backfill, the batch before",
    ),
    TaskType(
        "sync.tasks.golive_scan_run",
        Recovery.SWEEP,
        "sync.tasks.interrupted_sweep",
        "GoLiveRun (status, heartbeat)",
        "starting a go-live match",
    ),
    TaskType(
        "sync.tasks.golive_apply_run",
        Recovery.SWEEP,
        "sync.tasks.interrupted_sweep",
        "GoLiveRun (status, heartbeat); links not applied yet",
        "confirming a go-live run, the slice before",
    ),
    TaskType(
        "sync.tasks.exception_retry_run",
        Recovery.SWEEP,
        "sync.tasks.interrupted_sweep",
        "ExceptionRetry (pending, claimed pending -> started by a conditional update)",
        "Retry on an exception, an approved value change",
    ),
    TaskType(
        "sync.tasks.exception_retries_send",
        Recovery.SWEEP,
        "sync.tasks.interrupted_sweep",
        "ExceptionRetry rows of a group retry (pending); it sends each still pending one's retry task",
        "Sync these N now on an exception group",
    ),
    TaskType(
        "sync.tasks.ticket_deliver_task",
        Recovery.SWEEP,
        "sync.tasks.tickets_deliver_due_task",
        "the ticket's outbox row (next attempt due)",
        "opening a ticket",
    ),
    TaskType(
        "sync.tasks.notification_event_dispatch_task",
        Recovery.SWEEP,
        "sync.tasks.notifications_dispatch_task",
        "NotificationEvent (pending, due)",
        "an escalation or a recovery told at once",
    ),
    TaskType(
        "sync.tasks.notification_deliver_task",
        Recovery.SWEEP,
        "sync.tasks.notifications_dispatch_task",
        "NotificationDelivery (pending; sending under a lease)",
        "dispatching an event, Send again",
    ),
    TaskType(
        "reconciliation.tasks.reconciliation_run_task",
        Recovery.SWEEP,
        "reconciliation.tasks.reconciliation_sweep_task",
        "ReconciliationRun (status, heartbeat)",
        "Run now, Run again, the daily schedule, the reconciliation sweep",
    ),
    TaskType(
        "governance.releases.tasks.release_test_run_task",
        Recovery.PERSON,
        "governance.releases.tasks.release_test_sweep_task",
        "ReleaseTestRun (status, heartbeat); a queued run never started is sent again",
        "starting or retrying a release's test run",
    ),
    TaskType(
        "sync.tasks.catch_up_poll",
        Recovery.SCHEDULED,
        "sync.tasks.catch_up_poll",
        "the stored watermark (read with an overlap)",
        "the catch-up-poll schedule",
    ),
    TaskType(
        "sync.tasks.return_flow",
        Recovery.SCHEDULED,
        "sync.tasks.return_flow",
        "the stored watermark (read with an overlap)",
        "the return-flow schedule, resuming the return flow",
    ),
    TaskType(
        "sync.tasks.catalogue_sync",
        Recovery.SCHEDULED,
        "sync.tasks.catalogue_sync",
        "the pair's watermark (read with an overlap)",
        "the catalogue-sync schedule, Sync now, resuming the catalogue flow",
    ),
    TaskType(
        "sync.tasks.connection_watch",
        Recovery.SCHEDULED,
        "sync.tasks.connection_watch",
        "each connection's state row",
        "the connection-watch schedule",
    ),
    TaskType(
        "sync.tasks.netsuite_lists_read_task",
        Recovery.SCHEDULED,
        "sync.tasks.netsuite_lists_read_task",
        "NetSuite's lists, read whole again",
        "the netsuite-lists schedule",
    ),
    TaskType(
        "sync.tasks.worker_heartbeat",
        Recovery.SCHEDULED,
        "sync.tasks.worker_heartbeat",
        "the heartbeat row /healthz reads",
        "a schedule (every minute)",
    ),
    TaskType(
        "sync.tasks.interrupted_sweep",
        Recovery.SCHEDULED,
        "sync.tasks.interrupted_sweep",
        "heartbeats of jobs, backfills and go-live runs; pending retries",
        "a schedule (every minute)",
    ),
    TaskType(
        "sync.tasks.exceptions_escalate_overdue_task",
        Recovery.SCHEDULED,
        "sync.tasks.exceptions_escalate_overdue_task",
        "overdue exceptions",
        "a schedule",
    ),
    TaskType(
        "sync.tasks.tickets_deliver_due_task",
        Recovery.SCHEDULED,
        "sync.tasks.tickets_deliver_due_task",
        "tickets whose next attempt is due",
        "a schedule",
    ),
    TaskType(
        "sync.tasks.notifications_dispatch_task",
        Recovery.SCHEDULED,
        "sync.tasks.notifications_dispatch_task",
        "due events and deliveries",
        "the notifications-dispatch schedule",
    ),
    TaskType(
        "reconciliation.tasks.reconciliation_scheduled",
        Recovery.SCHEDULED,
        "reconciliation.tasks.reconciliation_scheduled",
        "none: tomorrow's run (or Run now) compares again",
        "the daily reconciliation schedule",
    ),
    TaskType(
        "reconciliation.tasks.reconciliation_sweep_task",
        Recovery.SCHEDULED,
        "reconciliation.tasks.reconciliation_sweep_task",
        "heartbeats of reconciliation runs",
        "a schedule (every minute)",
    ),
    TaskType(
        "governance.releases.tasks.release_test_sweep_task",
        Recovery.SCHEDULED,
        "governance.releases.tasks.release_test_sweep_task",
        "heartbeats of release test runs",
        "a schedule (every minute)",
    ),
    TaskType(
        "governance.tasks.audit_checkpoint_task",
        Recovery.SCHEDULED,
        "governance.tasks.audit_checkpoint_task",
        "the audit chain (the next checkpoint covers a wider window)",
        "a schedule",
    ),
    TaskType(
        "sync.retention.tasks.retention_prune_task",
        Recovery.SCHEDULED,
        "sync.retention.tasks.retention_prune_task",
        "none: tomorrow's prune counts the days left and deletes what is still due (batches, re-runnable)",
        "the daily retention-prune schedule",
    ),
)


def task_type(func: str) -> TaskType | None:
    """The inventory's entry for a dotted task path, or None."""
    return next((t for t in TASK_TYPES if t.func == func), None)
