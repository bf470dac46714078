"""The interrupted-work sweep: nothing stays "running" for ever.

No broker brings back every task whose worker died: the ORM broker hands an unacknowledged task out
again after ``Q_RETRY`` seconds but not one that timed out (a failure, acknowledged), and the Redis broker
pops a task with no acknowledgement at all. So the state of long work lives in the database, with a
heartbeat, and this sweep (scheduled every minute, ``sync.pipeline.schedules.INTERRUPTED_SWEEP``; also
``manage.py sync_sweep``) finds the rows whose heartbeat stopped:

- sync jobs: marked interrupted (their opportunities come back through the inbox's lease or the
  backfill; a person may queue the unfinished ones at once);
- backfills: marked interrupted and resumed from their cursor, in smaller batches, a bounded number of
  times (sync.pipeline.backfills.backfills_sweep);
- go-live runs: a scan or an apply with no sign of life for ``Q_RETRY`` is queued again (both are
  re-entrant: a scan starts afresh under a new attempt, an apply continues with the links not applied).

docs/operations-tasks.md lists every task type and what brings it back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.golive.scan import stale_after
from sync.pipeline.backfills import backfills_sweep
from sync.pipeline.jobs import jobs_sweep

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    jobs_interrupted: list[int] = field(default_factory=list)
    backfills_interrupted: list[int] = field(default_factory=list)
    backfills_resumed: list[int] = field(default_factory=list)
    golive_requeued: list[int] = field(default_factory=list)

    @property
    def found(self) -> int:
        return len(self.jobs_interrupted) + len(self.backfills_interrupted) + len(self.golive_requeued)


def interrupted_sweep() -> SweepResult:
    """Find work whose worker stopped, mark it interrupted and resume what resumes by itself."""
    result = SweepResult()
    with transaction.atomic():  # resumed work is enqueued after commit
        result.jobs_interrupted = jobs_sweep()
        result.backfills_interrupted, result.backfills_resumed = backfills_sweep()
    result.golive_requeued = golive_sweep()
    return result


def golive_sweep() -> list[int]:
    """Queue again the go-live runs whose scan or apply shows no sign of life for ``Q_RETRY``."""
    now = timezone.now()
    cutoff = now - stale_after()
    stale = GoLiveRun.objects.filter(
        status__in=[GoLiveStatus.QUEUED, GoLiveStatus.SCANNING, GoLiveStatus.APPLYING]
    ).filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))
    requeued = []
    for run in list(stale):
        applying = run.status == GoLiveStatus.APPLYING
        # A dead scan starts afresh from "queued" (a new attempt; the old one, if it still runs, is
        # superseded at its next save); an apply continues. The fresh heartbeat keeps the next sweep from
        # queuing it again before this task had its chance.
        taken = GoLiveRun.objects.filter(pk=run.pk, status=run.status, heartbeat_at=run.heartbeat_at).update(
            status=run.status if applying else GoLiveStatus.QUEUED, heartbeat_at=now
        )
        if not taken:
            continue
        requeued.append(run.pk)
        logger.warning(
            "go-live run %s: its %s stopped; queued again",
            run.pk,
            "apply" if applying else "scan",
            extra={"event": "golive_requeued", "golive_run": run.pk},
        )
        step = "apply" if applying else "scan"
        async_task(f"sync.tasks.golive_{step}_run", run.pk, task_name=f"golive {step} {run.pk}")
    return requeued
