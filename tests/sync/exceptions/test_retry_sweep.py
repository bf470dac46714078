"""A retry whose task was lost (the Redis broker pops without acknowledgement) is sent again by the
interrupted-work sweep once it has waited past the job lease, and runs once however often it is sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from sync.exceptions import actions
from sync.exceptions.models import ExceptionRetry, RetryStatus
from sync.exceptions.payload import exception_retry_cancel
from sync.exceptions.retry import retries_sweep
from sync.exceptions.tasks import exception_retry_run
from sync.pipeline.sweeps import interrupted_sweep
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
SENT: dict[str, Any] = {"details": {"sent": {"sales_order.memo": "PO 1"}}}


def _lost_retry(user: User, capture: Any, key: str = "sync_failure:Opportunity:006A") -> ExceptionRetry:
    """A retry asked for whose task never reached a worker (the on-commit send is dropped)."""
    item = raise_sample(key=key, **SENT)
    with capture(execute=False):
        actions.exception_retry(item=item, user=user, reason="try again")
    return ExceptionRetry.objects.get(item=item)


@override_settings(JOB_LEASE_SECONDS=60)
def test_a_lost_retry_is_sent_again_after_the_lease_and_runs_once(
    revops: User, retry_calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    retry = _lost_retry(revops, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert retries_sweep(now=now) == []  # within the lease: its task may still be on its way
    assert retry_calls == []

    later = now + dt.timedelta(seconds=61)
    assert retries_sweep(now=later) == [retry.pk]  # the tests run tasks inline (Q_SYNC)
    retry.refresh_from_db()
    assert retry.status == RetryStatus.STARTED and len(retry_calls) == 1

    # The second day: sweeping again finds nothing, and the lost task turning up after all claims nothing.
    assert retries_sweep(now=later + dt.timedelta(minutes=5)) == []
    exception_retry_run(retry.item_id, {}, retry.pk)
    assert len(retry_calls) == 1


@override_settings(JOB_LEASE_SECONDS=0)
def test_the_interrupted_work_sweep_and_its_command_send_pending_retries(
    revops: User, retry_calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    retry = _lost_retry(revops, django_capture_on_commit_callbacks)
    result = interrupted_sweep()
    assert result.requeued["exception-retries"] == [retry.pk] and len(retry_calls) == 1

    cancelled = _lost_retry(revops, django_capture_on_commit_callbacks, key="sync_failure:Opportunity:006B")
    exception_retry_cancel(item=cancelled.item, user=revops, reason="not now")
    call_command("sync_sweep")  # a cancelled retry is not pending: never sent again, never run
    assert len(retry_calls) == 1
    cancelled.refresh_from_db()
    assert cancelled.status == RetryStatus.CANCELLED
