"""Retrying the work behind an exception: only functions marked :func:`retryable` may be called.

An exception stores the dotted path of its retry function and the keyword arguments to call it with.
The path comes from code (the stage that raised), never from a person; the marker makes sure a stored
path can only ever name a function written to be retried (idempotent, safe to run twice).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from sync.exceptions.models import ExceptionItem
from sync.pipeline.problems import retryable  # the mark is the pipeline's word: its stages carry it

__all__ = ["RETRY_TASK", "retry_enqueue", "retry_function", "retryable"]

RETRY_TASK = "sync.tasks.exception_retry_run"

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


def retry_enqueue(*, item: ExceptionItem, overrides: dict[str, Any]) -> None:
    """Queue the retry once the current transaction commits (a rolled-back action queues nothing)."""
    retry_function(item.retry_task)  # refuse now, in front of the person, rather than in a worker
    item_id = item.pk
    transaction.on_commit(
        lambda: async_task(RETRY_TASK, item_id, overrides, task_name=f"exception-{item_id}-retry")
    )
