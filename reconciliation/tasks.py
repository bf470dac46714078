"""django-q2 tasks: thin, idempotent interfaces to the services (a second delivery does no harm)."""

from __future__ import annotations

from reconciliation.checks import CHECKS
from reconciliation.models import RunTrigger
from reconciliation.services import reconciliation_enqueue, reconciliation_run_queued, reconciliation_sweep
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration


def reconciliation_run_task(run_id: int) -> str:
    run = reconciliation_run_queued(run_id=run_id)
    return "already claimed" if run is None else f"{run.check_name}: {run.status}"


def reconciliation_scheduled(integration: str = "") -> list[int]:
    """The daily schedule: queue one run per check of every active integration (or of the one named), a
    check already queued or running for that integration is not doubled."""
    primary_integration()  # a flushed database lost it; it always runs
    integrations = Integration.objects.filter(is_active=True)
    if integration:
        integrations = integrations.filter(name=integration)
    return [
        reconciliation_enqueue(check=name, actor=None, trigger=RunTrigger.SCHEDULE, integration=each).pk
        for each in integrations
        for name in CHECKS
    ]


def reconciliation_sweep_task() -> int:
    """Every minute: runs whose worker stopped are marked interrupted and their check queued again."""
    result = reconciliation_sweep()
    return len(result.interrupted) + len(result.redelivered)
