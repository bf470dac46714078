"""Go-live runs in the interrupted-work sweep: a scan or an apply with no sign of life for ``Q_RETRY`` is
queued again (both are re-entrant: a scan starts afresh under a new attempt, an apply continues with the
links not applied).

The sweep itself belongs to the pipeline (:mod:`sync.pipeline.sweeps`), below go-live; ``sync/apps.py``
registers this one with it.
"""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from sync.golive.models import GoLiveRun, GoLiveStatus
from sync.golive.scan import stale_after

logger = logging.getLogger(__name__)


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
