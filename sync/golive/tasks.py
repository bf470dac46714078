"""django-q2 entry points of go-live matching: thin, they fetch by id and call a service, and can run
twice harmlessly. Queued under their ``sync.tasks.*`` names (see :mod:`sync.tasks`)."""

from __future__ import annotations

from django_q.tasks import async_task

from core.correlation import correlation
from sync.golive.models import GoLiveRun
from sync.golive.scan import golive_scan_execute
from sync.golive.services import golive_apply_execute


def golive_scan_run(run_id: int) -> int:
    """Scan a queued go-live run (a second delivery finds it claimed and does nothing)."""
    with correlation():
        return golive_scan_execute(GoLiveRun.objects.get(pk=run_id)).done


def golive_apply_run(run_id: int) -> int:
    """Apply one slice of a confirmed go-live run's links and queue the next slice while work remains.

    Re-entrant: a redelivered or retried task continues where the last one stopped.
    """
    with correlation():
        run = GoLiveRun.objects.get(pk=run_id)
        if golive_apply_execute(run):
            async_task("sync.tasks.golive_apply_run", run_id, task_name=f"golive apply {run_id}")
        return run.links_applied
