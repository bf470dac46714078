"""The exception queue as the pipeline sees it: the implementation of its port,
:class:`sync.pipeline.problems.ExceptionQueue`.

The pipeline sits below the queue and cannot import it; it reports its problems through that port, and
``SyncConfig.ready`` (``sync/apps.py``) connects this class to it once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sync.exceptions.actions import exception_overrides_sent
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.exceptions.services import exception_auto_resolve, exception_raise
from sync.pipeline.problems import Problem


class ExceptionQueueIntake:
    """Opens, counts and resolves exceptions for the pipeline's stages (:mod:`sync.exceptions.services`)."""

    def report(self, problem: Problem) -> int:
        item = exception_raise(
            category=problem.category,
            dedup_key=problem.dedup_key,
            title=problem.title,
            severity=problem.severity,
            records=problem.records,
            scope=problem.scope,
            vendor_code=problem.vendor_code,
            vendor_message=problem.vendor_message,
            error_path=problem.error_path,
            mapping_row=problem.mapping_row,
            rule=problem.rule,
            details=problem.details,
            retry_task=problem.retry_task,
            retry_kwargs=problem.retry_kwargs,
            awaiting_approval=problem.awaiting_approval,
        )
        return item.pk

    def resolve(self, *, dedup_key: str, note: str) -> None:
        exception_auto_resolve(dedup_key=dedup_key, note=note)

    def overrides_sent(self, *, dedup_key: str, fields: list[str], job_id: int | None) -> None:
        exception_overrides_sent(dedup_key=dedup_key, fields=fields, job_id=job_id)

    def active_keys(self, dedup_keys: Collection[str]) -> set[str]:
        if not dedup_keys:
            return set()
        return set(
            ExceptionItem.objects.filter(
                dedup_key__in=list(dedup_keys), status__in=ACTIVE_STATUSES
            ).values_list("dedup_key", flat=True)
        )

    def last_retry_kwargs(self, dedup_key: str) -> Mapping[str, Any] | None:
        earlier = ExceptionItem.objects.filter(dedup_key=dedup_key).order_by("-last_seen").first()
        return earlier.retry_kwargs if earlier is not None else None
