"""The pipeline's recurring work, as django-q2 schedules created idempotently (by name).

The catch-up poll, the return flow and the connection watch are operator-editable (:mod:`core.schedules`,
registered by ``SyncConfig.ready``): ensuring them creates a missing row and puts its function right, and
keeps the timing and paused state an operator chose. The sweeps and the heartbeat are internal, every minute.
"""

from __future__ import annotations

from django_q.models import Schedule

from core.schedules import ScheduleSpec, schedule_ensure
from sync.connections.watch import CONNECTION_WATCH_SPEC

CATCH_UP_POLL = "sync: catch-up poll for Closed Won"
INBOX_SWEEP = "sync: inbox sweep"
RETURN_FLOW = "sync: return flow from NetSuite"
WORKER_HEARTBEAT = "ops: worker heartbeat"
INTERRUPTED_SWEEP = "sync: interrupted-work sweep"

CATCH_UP_POLL_SPEC = ScheduleSpec(
    key="catch-up-poll",
    name=CATCH_UP_POLL,
    func="sync.tasks.catch_up_poll",
    label="Catch-up poll",
    description="Asks Salesforce for Closed Won deals the listener may have missed (outbound messages "
    "dropped after 24 hours, a listener that was down).",
    default_minutes=5,
)
RETURN_FLOW_SPEC = ScheduleSpec(
    key="return-flow",
    name=RETURN_FLOW,
    func="sync.tasks.return_flow",
    label="Return flow",
    description="Brings NetSuite's invoices and payments back to Salesforce.",
    default_minutes=5,
)


def sync_schedules_ensure(*, poll_minutes: int = 5, return_minutes: int = 5) -> list[Schedule]:
    """Create the pipeline's schedules when missing; running it again changes nothing.

    ``poll_minutes`` and ``return_minutes`` are the timing of a schedule being created: an existing one keeps
    its timing (change it with ``schedule_set``, the Schedules page or the API)."""
    schedules = [
        schedule_ensure(CATCH_UP_POLL_SPEC, minutes=poll_minutes)[0],
        schedule_ensure(RETURN_FLOW_SPEC, minutes=return_minutes)[0],
        schedule_ensure(CONNECTION_WATCH_SPEC)[0],
    ]
    internal = {
        # Picks up messages whose drain task was lost or whose worker died (their lease has run out).
        INBOX_SWEEP: "sync.tasks.inbox_drain",
        # /healthz reads the row this writes: proof that a worker is taking tasks, whatever the broker.
        WORKER_HEARTBEAT: "sync.tasks.worker_heartbeat",
        # Jobs, backfill batches and go-live runs whose worker stopped: no broker brings every such task
        # back (docs/operations-tasks.md), so their heartbeats are checked here.
        INTERRUPTED_SWEEP: "sync.tasks.interrupted_sweep",
    }
    for name, func in internal.items():
        schedule, _ = Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
        )
        schedules.append(schedule)
    return schedules
