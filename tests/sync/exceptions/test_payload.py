"""The next retry: its payload field by field, editing it (four eyes on financial fields), retries
recorded as rows a worker claims, and cancelling one that waits."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from sync.exceptions import actions
from sync.exceptions.models import (
    ExceptionAction,
    ExceptionRetry,
    ExceptionStatus,
    OverrideStatus,
    RetryStatus,
)
from sync.exceptions.payload import (
    exception_payload_edit,
    exception_retry_cancel,
    next_retry_payload,
)
from sync.exceptions.retry import retry_claim
from sync.exceptions.services import exception_auto_resolve
from sync.exceptions.tasks import exception_retry_run
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
SENT: dict[str, Any] = {"details": {"sent": {"customer.currency": {"id": "99"}, "sales_order.memo": "PO 1"}}}


def rows(item: Any) -> dict[str, tuple[Any, Any, str]]:
    return {row.field: (row.sent, row.next, row.state) for row in next_retry_payload(item=item)}


def test_it_lists_the_payload_with_changes_and_waits_for_a_second_pair_of_eyes(
    revops: User,
    finance_everywhere: User,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = raise_sample(**SENT)
    assert rows(item) == {
        "customer.currency": ({"id": "99"}, {"id": "99"}, "as sent"),
        "sales_order.memo": ("PO 1", "PO 1", "as sent"),
    }
    exception_payload_edit(
        item=item, user=revops, changes={"sales_order.memo": "PO 2", "customer.currency": "1"}, reason="PO"
    )
    item.refresh_from_db()
    # The memo applies at once; the currency (financial) waits, and nothing was retried.
    assert rows(item) == {
        "customer.currency": ({"id": "99"}, {"id": "99"}, "waiting for approval"),
        "sales_order.memo": ("PO 1", "PO 2", "changed"),
    }
    assert item.status == ExceptionStatus.PENDING_APPROVAL and not ExceptionRetry.objects.exists()
    pending = item.overrides.get(field="customer.currency")
    assert pending.old_value == {"id": "99"} and pending.status == OverrideStatus.PENDING
    with pytest.raises(PermissionDenied):  # four eyes: not the proposer's own (and RevOps cannot)
        actions.exception_override_approve(override=pending, user=revops)

    with django_capture_on_commit_callbacks(execute=True):
        actions.exception_override_approve(override=pending, user=finance_everywhere, reason="USD")
    item.refresh_from_db()
    assert rows(item)["customer.currency"] == ({"id": "99"}, "1", "changed")
    retry = ExceptionRetry.objects.get()  # approving runs the retry, with both values
    assert retry.overrides == {"sales_order.memo": "PO 2", "customer.currency": "1"}
    assert retry.requested_by == finance_everywhere and retry.status == RetryStatus.STARTED
    assert retry_calls[-1]["overrides"] == retry.overrides


def test_it_refuses_bad_payload_edits_and_keeps_nothing(revops: User) -> None:
    item = raise_sample(**SENT)
    with pytest.raises(ValidationError, match="at least one"):
        exception_payload_edit(item=item, user=revops, changes={})
    with pytest.raises(ValidationError, match="Name the field"):
        exception_payload_edit(item=item, user=revops, changes={"sales_order.memo": "x", " ": 1})
    assert not item.overrides.exists()  # all or nothing
    no_retry = raise_sample(key="recon:1", retry_task=None)
    with pytest.raises(ValidationError, match="Nothing retries"):
        exception_payload_edit(item=no_retry, user=revops, changes={"memo": "x"})


def test_it_cancels_a_waiting_retry_which_then_never_runs(
    revops: User, retry_calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample(**SENT)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        actions.exception_retry(item=item, user=revops, reason="try")
    retry = ExceptionRetry.objects.get()
    assert retry.status == RetryStatus.PENDING and len(queued) == 1
    with pytest.raises(ValidationError, match="already waiting"):
        actions.exception_retry(item=item, user=revops)  # in progress: refused, not queued twice
    item.refresh_from_db()
    with pytest.raises(ValidationError, match="cancel it first"):
        exception_payload_edit(item=item, user=revops, changes={"sales_order.memo": "x"})

    exception_retry_cancel(item=item, user=revops, reason="wrong account still")
    item.refresh_from_db()
    retry.refresh_from_db()
    assert item.status == ExceptionStatus.OPEN
    assert (retry.status, retry.cancelled_by) == (RetryStatus.CANCELLED, revops)
    event = item.events.get(action=ExceptionAction.RETRY_CANCELLED)
    assert event.reason == "wrong account still" and event.actor == revops
    exception_retry_run(item.pk, {}, retry.pk)  # the worker gets the queued task anyway
    assert retry_calls == []
    with pytest.raises(ValidationError, match="No retry is waiting"):
        exception_retry_cancel(item=item, user=revops)

    # The second day: edited and retried again, it runs once even if the task is delivered twice.
    exception_payload_edit(item=item, user=revops, changes={"sales_order.memo": "PO 9"})
    with django_capture_on_commit_callbacks(execute=False):
        actions.exception_retry(item=item, user=revops)
    again = ExceptionRetry.objects.get(status=RetryStatus.PENDING)
    exception_retry_run(item.pk, {}, again.pk)
    exception_retry_run(item.pk, {}, again.pk)
    assert [call["overrides"] for call in retry_calls] == [{"sales_order.memo": "PO 9"}]
    assert retry_claim(again.pk) is None
    with pytest.raises(ValidationError, match="already started"):
        exception_retry_cancel(item=item, user=revops)


def test_it_closes_the_retry_by_what_the_sync_reports(
    revops: User, retry_calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample(**SENT)
    with django_capture_on_commit_callbacks(execute=True):
        actions.exception_retry(item=item, user=revops)
    raise_sample(**SENT, vendor_message="Still invalid")  # the retried sync failed again
    failed = ExceptionRetry.objects.get()
    assert failed.status == RetryStatus.FAILED and "Still invalid" in failed.error
    with django_capture_on_commit_callbacks(execute=True):
        actions.exception_retry(item=item, user=revops)
    exception_auto_resolve(dedup_key=item.dedup_key, note="synced")
    assert ExceptionRetry.objects.order_by("-id").first().status == RetryStatus.SUCCEEDED  # type: ignore[union-attr]


def test_it_refuses_a_cancel_from_a_reader(auditor: User, revops: User) -> None:
    item = raise_sample()
    with pytest.raises(PermissionDenied):
        exception_retry_cancel(item=item, user=auditor)
