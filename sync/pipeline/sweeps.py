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
- work of the features above the pipeline, each through the sweep it registers with
  :func:`sweep_register` (go-live runs: ``sync.golive.sweep``, connected in ``sync/apps.py``).

docs/operations-tasks.md lists every task type and what brings it back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from sync.pipeline.backfills import backfills_sweep
from sync.pipeline.jobs import jobs_sweep

logger = logging.getLogger(__name__)

# name -> a sweep of a feature above the pipeline; it queues its stale work again and returns the ids.
_registered: dict[str, Callable[[], list[int]]] = {}


def sweep_register(name: str, sweep: Callable[[], list[int]]) -> None:
    """Have the interrupted-work sweep run ``sweep`` too (its ids reported as ``requeued[name]``)."""
    _registered[name] = sweep


@dataclass
class SweepResult:
    jobs_interrupted: list[int] = field(default_factory=list)
    backfills_interrupted: list[int] = field(default_factory=list)
    backfills_resumed: list[int] = field(default_factory=list)
    requeued: dict[str, list[int]] = field(default_factory=dict)  # by registered sweep

    @property
    def found(self) -> int:
        return (
            len(self.jobs_interrupted)
            + len(self.backfills_interrupted)
            + sum(len(ids) for ids in self.requeued.values())
        )


def interrupted_sweep() -> SweepResult:
    """Find work whose worker stopped, mark it interrupted and resume what resumes by itself."""
    result = SweepResult()
    with transaction.atomic():  # resumed work is enqueued after commit
        result.jobs_interrupted = jobs_sweep()
        result.backfills_interrupted, result.backfills_resumed = backfills_sweep()
    for name, sweep in _registered.items():
        result.requeued[name] = sweep()
    return result
