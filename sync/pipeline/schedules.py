"""The pipeline's recurring work, as django-q2 schedules created idempotently (by name)."""

from __future__ import annotations

from django_q.models import Schedule

CATCH_UP_POLL = "sync: catch-up poll for Closed Won"
INBOX_SWEEP = "sync: inbox sweep"
RETURN_FLOW = "sync: return flow from NetSuite"
WORKER_HEARTBEAT = "ops: worker heartbeat"
INTERRUPTED_SWEEP = "sync: interrupted-work sweep"


def sync_schedules_ensure(*, poll_minutes: int = 5, return_minutes: int = 5) -> list[Schedule]:
    """Create or correct the pipeline's schedules; running it again changes nothing."""
    wanted = {
        CATCH_UP_POLL: ("sync.tasks.catch_up_poll", poll_minutes),
        # Picks up messages whose drain task was lost or whose worker died (their lease has run out).
        INBOX_SWEEP: ("sync.tasks.inbox_drain", 1),
        RETURN_FLOW: ("sync.tasks.return_flow", return_minutes),
        # /healthz reads the row this writes: proof that a worker is taking tasks, whatever the broker.
        WORKER_HEARTBEAT: ("sync.tasks.worker_heartbeat", 1),
        # Jobs, backfill batches and go-live runs whose worker stopped: no broker brings every such task
        # back (docs/operations-tasks.md), so their heartbeats are checked here.
        INTERRUPTED_SWEEP: ("sync.tasks.interrupted_sweep", 1),
    }
    schedules = []
    for name, (func, minutes) in wanted.items():
        schedule, _ = Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
        schedules.append(schedule)
    return schedules
