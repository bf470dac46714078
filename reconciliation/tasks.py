"""django-q2 tasks: thin, idempotent interfaces to the services (a second delivery does no harm)."""

from __future__ import annotations

from reconciliation.checks import CHECKS
from reconciliation.models import RunTrigger
from reconciliation.services import reconciliation_enqueue, reconciliation_run_queued, reconciliation_sweep


def reconciliation_run_task(run_id: int) -> str:
    run = reconciliation_run_queued(run_id=run_id)
    return "already claimed" if run is None else f"{run.check_name}: {run.status}"


def reconciliation_scheduled() -> list[int]:
    """The daily schedule: queue one run per check (a check already queued or running is not doubled)."""
    return [reconciliation_enqueue(check=name, actor=None, trigger=RunTrigger.SCHEDULE).pk for name in CHECKS]


def reconciliation_sweep_task() -> int:
    """Every minute: runs whose worker stopped are marked interrupted and their check queued again."""
    result = reconciliation_sweep()
    return len(result.interrupted) + len(result.redelivered)
