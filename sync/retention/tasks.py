"""The scheduled prune (daily; retimed on the Schedules page). Idempotent: a second run finds nothing."""

from __future__ import annotations

import datetime as dt
import logging

from core.schedules import ScheduleSpec
from sync.retention.prune import retention_prune

logger = logging.getLogger(__name__)

RETENTION_PRUNE_SPEC = ScheduleSpec(
    key="retention-prune",
    name="concord-retention-prune",
    func="sync.retention.tasks.retention_prune_task",
    label="Retention prune",
    description=(
        "Counts each finished day of sync history, then deletes what the retention policy no longer keeps."
    ),
    default_daily=dt.time(3, 30),
)


def retention_prune_task() -> dict[str, object]:
    result = retention_prune()
    logger.info("retention prune", extra={"retention": result.as_dict()})
    return result.as_dict()
