"""Claiming inbox messages: each once, leases that expire, completions that need the claim."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.pipeline.inbox import (
    inbox_claim,
    inbox_complete,
    inbox_lease_kept,
    inbox_message_retry,
    inbox_release,
)
from sync.pipeline.models import InboxMessage, InboxStatus, Listener
from sync.pipeline.runner import inbox_drain
from tests.sync.pipeline.conftest import THREADED_DB

HOUR = dt.timedelta(hours=1)
NOW = dt.timedelta(0)


def add(listener: Listener, count: int) -> list[InboxMessage]:
    return [
        InboxMessage.objects.create(
            notification_id=f"04l{n:015d}",
            source="outbound_message",
            listener=listener,
            salesforce_connection=listener.salesforce_connection,
            netsuite_connection=listener.netsuite_connection,
            record_id=f"006{n:015d}",
        )
        for n in range(count)
    ]


def test_it_never_gives_one_message_to_two_claims(listener: Listener) -> None:
    add(listener, 3)
    first_token, first = inbox_claim(limit=2)
    second_token, second = inbox_claim(limit=5)
    assert len(first) == 2 and len(second) == 1
    assert {m.pk for m in first}.isdisjoint({m.pk for m in second})
    assert inbox_claim(limit=5)[1] == []
    assert all(m.attempts == 1 and m.status == InboxStatus.CLAIMED for m in first)


def test_it_hands_out_again_a_message_whose_lease_expired(listener: Listener) -> None:
    add(listener, 1)
    dead_token, _ = inbox_claim(limit=1)
    # The worker holding it was killed: nothing completes it, and its lease runs out.
    InboxMessage.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    token, again = inbox_claim(limit=1)
    assert len(again) == 1 and again[0].attempts == 2 and token != dead_token
    # The dead worker coming back cannot complete what it no longer holds.
    assert inbox_complete(token=dead_token, job_id=None, pks=[again[0].pk]) == 0
    assert inbox_complete(token=token, job_id=None, pks=[again[0].pk]) == 1
    assert InboxMessage.objects.get().status == InboxStatus.DONE


def test_it_does_not_hand_out_a_message_within_its_lease(listener: Listener) -> None:
    add(listener, 1)
    inbox_claim(limit=1)
    assert inbox_claim(limit=1)[1] == []


def test_it_leases_for_the_configured_time(listener: Listener, settings: Any) -> None:
    settings.INBOX_LEASE_SECONDS = 42
    add(listener, 1)
    before = timezone.now()
    inbox_claim(limit=1)
    lease_until = InboxMessage.objects.get().lease_until
    assert lease_until is not None
    assert dt.timedelta(seconds=41) < lease_until - before < dt.timedelta(seconds=43)


def test_a_released_message_waits_for_its_back_off_then_comes_back(listener: Listener) -> None:
    add(listener, 1)
    token, _ = inbox_claim(limit=1)
    assert (
        inbox_release(
            token=token, pks=[m.pk for m in InboxMessage.objects.all()], error="boom", retry_in=HOUR
        )
        == 0
    )
    row = InboxMessage.objects.get()
    assert (row.status, row.claim_token, row.last_error) == (InboxStatus.CLAIMED, "", "boom")
    assert inbox_claim(limit=1)[1] == []  # still backing off
    InboxMessage.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert [m.attempts for m in inbox_claim(limit=1)[1]] == [2]


def test_a_message_released_on_its_last_attempt_is_set_aside_with_an_exception(
    listener: Listener, settings: Any
) -> None:
    settings.INBOX_MAX_ATTEMPTS = 2
    add(listener, 2)
    for _ in range(2):
        token, claimed = inbox_claim(limit=1)  # the first row, twice (oldest first)
        inbox_release(token=token, pks=[m.pk for m in claimed], error="KeyError: 'Amount'", retry_in=NOW)
    poison, other = InboxMessage.objects.order_by("pk")
    assert (poison.status, poison.attempts, poison.last_error) == (
        InboxStatus.FAILED,
        2,
        "KeyError: 'Amount'",
    )
    item = ExceptionItem.objects.get(dedup_key=f"inbox:{poison.notification_id}")
    assert item.status == ExceptionStatus.OPEN and item.category.key == "inbox_failed"
    assert item.retry_task == "sync.pipeline.inbox.inbox_message_retry"
    assert item.records == [
        {"system": "salesforce", "object_type": "Opportunity", "id": poison.record_id, "url": ""}
    ]
    # Set aside, it no longer blocks anything: the next claim takes the other message.
    assert [m.pk for m in inbox_claim(limit=5)[1]] == [other.pk]


def test_a_message_whose_worker_died_every_time_is_set_aside_when_its_lease_runs_out(
    listener: Listener, settings: Any
) -> None:
    settings.INBOX_MAX_ATTEMPTS = 3
    add(listener, 1)
    for _ in range(3):
        inbox_claim(limit=1)  # ...and the worker is killed: nothing completes or releases it
        InboxMessage.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert inbox_claim(limit=1)[1] == []
    row = InboxMessage.objects.get()
    assert (row.status, row.attempts) == (InboxStatus.FAILED, 3)
    assert "lease ran out" in row.last_error
    assert ExceptionItem.objects.filter(dedup_key=f"inbox:{row.notification_id}").count() == 1


def test_a_set_aside_message_retried_from_the_queue_is_processed_and_resolves_its_exception(
    listener: Listener,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.INBOX_MAX_ATTEMPTS = 1
    enqueued: list[str] = []
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: enqueued.append(name))
    add(listener, 1)
    token, claimed = inbox_claim(limit=1)
    inbox_release(token=token, pks=[claimed[0].pk], error="boom", retry_in=NOW)
    row = InboxMessage.objects.get()
    assert row.status == InboxStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        inbox_message_retry(message_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, enqueued) == (InboxStatus.PENDING, 0, ["sync.tasks.inbox_drain"])
    token, claimed = inbox_claim(limit=1)
    assert inbox_complete(token=token, job_id=None, pks=[claimed[0].pk]) == 1
    item = ExceptionItem.objects.get(dedup_key=f"inbox:{row.notification_id}")
    assert item.status == ExceptionStatus.RESOLVED


def test_a_set_aside_message_retried_with_value_changes_carries_them_into_its_run(
    listener: Listener, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.INBOX_MAX_ATTEMPTS = 1
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: None)
    add(listener, 1)
    token, claimed = inbox_claim(limit=1)
    inbox_release(token=token, pks=[claimed[0].pk], error="boom", retry_in=NOW)
    row = InboxMessage.objects.get()
    inbox_message_retry(message_id=row.pk, overrides={"customer.currency": "1"})
    row.refresh_from_db()
    assert (row.status, row.overrides) == (InboxStatus.PENDING, {"customer.currency": "1"})
    assert [m.overrides for m in inbox_claim(limit=1)[1]] == [{"customer.currency": "1"}]


@THREADED_DB  # the keeper thread writes through its own connection: real commits
def test_a_kept_lease_is_renewed_while_the_batch_runs_and_lapses_after(listener: Listener) -> None:
    add(listener, 1)
    lease = dt.timedelta(seconds=0.6)
    token, _ = inbox_claim(limit=1, lease=lease)
    with inbox_lease_kept(token, lease=lease):
        time.sleep(1.0)  # longer than the lease: renewed meanwhile, so nobody else takes the row
        assert inbox_claim(limit=1)[1] == []
    time.sleep(0.8)
    assert [m.attempts for m in inbox_claim(limit=1)[1]] == [2]


def test_a_drain_past_its_budget_hands_the_rest_to_a_fresh_task(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueued: list[str] = []
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: enqueued.append(name))
    for row in add(listener, 3):
        row.sobject = "Account"  # nothing to sync: the drain only claims and completes
        row.save()
    inbox_drain(batch_size=1, budget_seconds=0)
    assert InboxMessage.objects.filter(status=InboxStatus.DONE).count() == 1
    assert enqueued == ["sync.tasks.inbox_drain"]
    inbox_drain(batch_size=1)
    assert InboxMessage.objects.filter(status=InboxStatus.DONE).count() == 3
