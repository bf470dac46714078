"""Retrying the work behind an exception: only functions marked :func:`retryable` may be called.

An exception stores the dotted path of its retry function and the keyword arguments to call it with.
The path comes from code (the stage that raised), never from a person; the marker makes sure a stored
path can only ever name a function written to be retried (idempotent, safe to run twice).

Each retry asked for is an :class:`ExceptionRetry` row written with the request (the outbox pattern): the
worker claims it with a conditional update (``pending`` -> ``started``), so a retry cancelled meanwhile
(:func:`sync.exceptions.payload.exception_retry_cancel`) never runs and a task delivered twice runs once.
What the retried sync reports back closes the row: ``failed`` (the problem came back) or ``succeeded``.

The Redis broker pops a task with no acknowledgement, so a retry whose task was lost (its worker died
holding it) would stay ``pending`` for ever, and a pending retry blocks the next one and every value
change. :func:`retries_sweep` (run by the interrupted-work sweep every minute) sends the task again for a
retry still pending after the job lease; the claim makes a second delivery do nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from sync.exceptions.models import ExceptionItem, ExceptionRetry, RetryStatus
from sync.pipeline.problems import retryable  # the mark is the pipeline's word: its stages carry it

__all__ = [
    "RETRIES_SEND_TASK",
    "RETRY_TASK",
    "retry_claim",
    "retries_enqueue_bulk",
    "retries_send",
    "retry_claim_waiting",
    "retry_enqueue",
    "retry_finished",
    "retry_function",
    "retryable",
    "retries_sweep",
]

logger = logging.getLogger(__name__)

RETRY_TASK = "sync.tasks.exception_retry_run"
RETRIES_SEND_TASK = "sync.tasks.exception_retries_send"

# Retry functions that moved when sync/ became one package per feature (issue 19): exceptions raised before
# the move store the old path, and must still retry. Never remove a line; add one whenever a retryable moves.
MOVED_RETRY_TASKS: dict[str, str] = {
    "sync.pipeline.exceptions.opportunity_resync": "sync.pipeline.failures.opportunity_resync",
    "sync.pipeline.matching.match_resync": "sync.pipeline.prematch.match_resync",
    "sync.services.inbox.inbox_message_retry": "sync.pipeline.inbox.inbox_message_retry",
}


def retry_function(path: str) -> Callable[..., Any]:
    """The retryable function a stored path names (a path from before a move resolves to its new place)."""
    path = MOVED_RETRY_TASKS.get(path, path)
    try:
        func = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"retry task {path!r} cannot be imported") from exc
    if not getattr(func, "exception_retryable", False):
        raise ImproperlyConfigured(f"{path!r} is not marked @retryable")
    return func


def retry_enqueue(
    *, item: ExceptionItem, overrides: dict[str, Any], requested_by: User | None = None
) -> ExceptionRetry:
    """Record a pending retry and queue it once the current transaction commits (a rolled-back action
    queues nothing). A second retry while one waits is refused."""
    retry_function(item.retry_task)  # refuse now, in front of the person, rather than in a worker
    try:
        with transaction.atomic():
            retry = ExceptionRetry.objects.create(
                item=item, overrides=overrides, requested_by=requested_by, requested_at=timezone.now()
            )
    except IntegrityError as exc:  # exception_retry_one_pending
        raise ValidationError("A retry is already waiting to run; cancel it or let it run.") from exc
    item_id, retry_id = item.pk, retry.pk
    transaction.on_commit(lambda: _send(item_id=item_id, retry_id=retry_id, overrides=overrides))
    return retry


def retries_enqueue_bulk(
    *, items: list[ExceptionItem], overrides: dict[int, dict[str, Any]], requested_by: User | None = None
) -> list[ExceptionRetry]:
    """:func:`retry_enqueue` for many exceptions (a group retry): the pending rows in batched INSERTs, and
    after commit ONE task that sends each row's retry task from the worker
    (:func:`retries_send`), so the request does not push 1,500 tasks. An exception that already has a
    retry waiting makes it raise IntegrityError (the caller's savepoint rolls the batch back)."""
    for path in {item.retry_task for item in items}:
        retry_function(path)
    now = timezone.now()
    retries = ExceptionRetry.objects.bulk_create(
        [
            ExceptionRetry(
                item=item, overrides=overrides.get(item.pk, {}), requested_by=requested_by, requested_at=now
            )
            for item in items
        ],
        batch_size=500,
    )
    retry_ids = [retry.pk for retry in retries]
    if retry_ids:
        transaction.on_commit(
            lambda: async_task(RETRIES_SEND_TASK, retry_ids, task_name=f"exception-retries-{retry_ids[0]}")
        )
    return retries


def retries_send(retry_ids: list[int]) -> int:
    """Send the retry task of each of ``retry_ids`` still pending (the worker's half of
    :func:`retries_enqueue_bulk`); returns how many were sent. Delivered twice, it sends them twice: the
    retry task's claim (pending -> started) still runs each retry once. Lost, the retries stay pending
    and :func:`retries_sweep` sends them after the lease."""
    pending = ExceptionRetry.objects.filter(pk__in=retry_ids, status=RetryStatus.PENDING).order_by("pk")
    sent = 0
    for retry_id, item_id, overrides in pending.values_list("pk", "item_id", "overrides").iterator():
        _send(item_id=item_id, retry_id=retry_id, overrides=overrides)
        sent += 1
    return sent


def _send(*, item_id: int, retry_id: int, overrides: dict[str, Any]) -> None:
    async_task(
        RETRY_TASK,
        item_id,
        overrides,
        retry_id=retry_id,  # django-q2 hands keywords that are not its options to the function
        task_name=f"exception-{item_id}-retry-{retry_id}",
    )


def retries_sweep(*, now: dt.datetime | None = None) -> list[int]:
    """Send the task again for every retry still pending ``JOB_LEASE_SECONDS`` after it was asked for
    (its task was lost by the broker or its worker died before the claim); returns their ids.

    A retry waiting behind a long queue may be sent twice: the worker's claim (pending -> started) runs it
    once. Each sweep sends a still-pending retry again, so a lost one waits at most one lease and a tick."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    stale = list(
        ExceptionRetry.objects.filter(status=RetryStatus.PENDING, requested_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", "item_id", "overrides")
    )
    for retry_id, item_id, overrides in stale:
        logger.warning(
            "retry %s of exception %s still pending after the lease: its task is sent again",
            retry_id,
            item_id,
            extra={"event": "exception_retry_resent", "exception": item_id, "retry": retry_id},
        )
        _send(item_id=item_id, retry_id=retry_id, overrides=overrides)
    return [retry_id for retry_id, _, _ in stale]


def retry_claim(retry_id: int) -> ExceptionRetry | None:
    """The worker's claim on a pending retry (the row, now ``started``); None when it was cancelled or
    already claimed (a task delivered twice)."""
    claimed = ExceptionRetry.objects.filter(pk=retry_id, status=RetryStatus.PENDING).update(
        status=RetryStatus.STARTED, started_at=timezone.now()
    )
    return ExceptionRetry.objects.get(pk=retry_id) if claimed else None


def retry_claim_waiting(item_id: int) -> ExceptionRetry | None:
    """For a task that names no retry (queued before retries were recorded, or run by hand): claim the
    exception's waiting retry, if one waits, so it is not left waiting after it ran."""
    waiting = ExceptionRetry.objects.filter(item_id=item_id, status=RetryStatus.PENDING).first()
    return retry_claim(waiting.pk) if waiting is not None else None


def retry_finished(*, item: ExceptionItem, failed: bool, error: str = "") -> None:
    """The retried sync reported back: close the exception's started retries as failed or succeeded."""
    ExceptionRetry.objects.filter(item=item, status=RetryStatus.STARTED).update(
        status=RetryStatus.FAILED if failed else RetryStatus.SUCCEEDED,
        finished_at=timezone.now(),
        error=error[:2000] if failed else "",
    )
