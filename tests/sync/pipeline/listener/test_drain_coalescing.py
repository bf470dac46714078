"""Coalesced drains: one queued drain task for many stores, and never a committed message left behind.

The services are called in chosen interleavings (one connection: "committed" is the end of each call, the
on_commit callbacks run by the capture fixture). The drain task itself is recorded, not run, unless a
test runs it as a worker would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pydoc import locate
from typing import Any

import pytest
from django.utils import timezone

from sync.pipeline import runner
from sync.pipeline.inbox import (
    inbox_add,
    inbox_claim,
    inbox_complete,
    inbox_drain_follow_up,
    inbox_request_drain,
)
from sync.pipeline.models import InboxDrainFlag, InboxMessage, InboxStatus, Listener, SyncJob
from sync.pipeline.schedules import INBOX_SWEEP, sync_schedules_ensure

Capture = Callable[..., AbstractContextManager[list[Callable[[], None]]]]


@pytest.fixture
def store(
    listener: Listener, django_capture_on_commit_callbacks: Capture
) -> Iterator[Callable[[int], list[str]]]:
    """store(n): n new messages in one request, committed, its on_commit callbacks run; returns their ids."""
    counter = iter(range(1, 1_000_000))

    def stored(count: int = 1) -> list[str]:
        ids = [f"04l{next(counter):015d}" for _ in range(count)]
        with django_capture_on_commit_callbacks(execute=True):
            inbox_add([message(listener, i) for i in ids])
        return ids

    yield stored


def message(listener: Listener, notification_id: str) -> InboxMessage:
    return InboxMessage(
        notification_id=notification_id,
        source="outbound_message",
        listener=listener,
        salesforce_connection=listener.salesforce_connection,
        netsuite_connection=listener.netsuite_connection,
        record_id="006" + notification_id[3:],
    )


def requested() -> bool:
    return InboxDrainFlag.objects.filter(requested=True).exists()


def ids_of(rows: list[InboxMessage]) -> set[str]:
    return {row.notification_id for row in rows}


@pytest.fixture
def jobs_run(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Replaces the Salesforce/NetSuite work of a batch: records the opportunity ids, returns a job."""
    batches: list[list[str]] = []

    def run_batch(*, salesforce: Any, netsuite: Any, opportunity_ids: list[str], **_: Any) -> SyncJob:
        batches.append(list(opportunity_ids))
        return SyncJob.objects.create(salesforce_connection=salesforce, netsuite_connection=netsuite)

    monkeypatch.setattr(runner, "run_batch", run_batch)
    return batches


def test_it_queues_one_drain_for_many_stores(store: Callable[[int], list[str]], enqueued: list[str]) -> None:
    for _ in range(25):
        store(1)
    store(5)
    assert enqueued == ["sync.tasks.inbox_drain"]
    assert requested()
    # That one drain takes every message stored while it was queued.
    _, claimed = inbox_claim(limit=200)
    assert len(claimed) == 30 and not requested()


def test_it_queues_nothing_for_a_redelivery(
    listener: Listener,
    store: Callable[[int], list[str]],
    enqueued: list[str],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    (first,) = store(1)
    inbox_claim(limit=200)  # the drain started: the flag is clear again
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert inbox_add([message(listener, first)]) == 0
    assert callbacks == [] and enqueued == ["sync.tasks.inbox_drain"] and not requested()


def test_a_message_stored_while_a_drain_runs_gets_a_new_drain(
    store: Callable[[int], list[str]], enqueued: list[str]
) -> None:
    first = store(1)
    token, claimed = inbox_claim(limit=200)  # the queued drain starts: clears the flag, then claims
    assert ids_of(claimed) == set(first)
    later = store(2)  # committed after that claim: the running drain will not see it
    assert enqueued == ["sync.tasks.inbox_drain"] * 2
    inbox_complete(token=token, job_id=None, pks=[m.pk for m in claimed])
    _, next_claim = inbox_claim(limit=200)  # the second drain
    assert ids_of(next_claim) == set(later)


def test_a_store_that_finds_a_drain_queued_is_claimed_by_it(
    listener: Listener, enqueued: list[str], django_capture_on_commit_callbacks: Capture
) -> None:
    # The interleaving the flag's place guards: a drain is queued (flag set) when a request's rows commit.
    assert inbox_request_drain() is True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inbox_add([message(listener, "04l000000000000077")])
    # The check runs after the commit, not inside the transaction: a drain that cleared the flag and
    # claimed before the commit would leave this check to find the flag clear and queue another drain.
    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == ["sync.tasks.inbox_drain"]  # the queued one covers it...
    _, claimed = inbox_claim(limit=200)  # ...because it clears the flag only when it starts claiming
    assert ids_of(claimed) == {"04l000000000000077"}


def test_it_recovers_a_lost_drain_task_with_the_sweep(
    store: Callable[[int], list[str]], enqueued: list[str], jobs_run: list[list[str]]
) -> None:
    stored = store(1) + store(2)
    assert enqueued == ["sync.tasks.inbox_drain"]  # and that task is lost: no worker ever runs it
    assert requested()
    assert InboxMessage.objects.filter(status=InboxStatus.PENDING).count() == 3

    (sweep,) = [s for s in sync_schedules_ensure() if s.name == INBOX_SWEEP]
    assert sweep.minutes == 1
    task = locate(sweep.func)
    assert callable(task)
    (job_id,) = task()

    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.DONE}
    assert sorted(jobs_run[0]) == sorted("006" + i[3:] for i in stored)
    assert InboxMessage.objects.filter(job_id=job_id).count() == 3
    assert not requested()
    store(1)  # the flag is clear again: the next store queues a drain at once
    assert enqueued == ["sync.tasks.inbox_drain"] * 2


def test_a_full_batch_asks_for_one_helper_drain(
    listener: Listener, enqueued: list[str], jobs_run: list[list[str]]
) -> None:
    InboxMessage.objects.bulk_create([message(listener, f"04l{n:015d}") for n in range(450)])
    assert runner.inbox_drain(batch_size=200) != []
    # 200 + 200 + 50: each full batch asked for a helper, the partial last one did not.
    assert [len(batch) for batch in jobs_run] == [200, 200, 50]
    assert enqueued == ["sync.tasks.inbox_drain"] * 2
    assert not InboxMessage.objects.exclude(status=InboxStatus.DONE).exists()


def test_a_backlog_is_spread_over_workers(listener: Listener, enqueued: list[str]) -> None:
    InboxMessage.objects.bulk_create([message(listener, f"04l{n:015d}") for n in range(2000)])
    held: list[set[int]] = []
    # Each worker takes the drain queued by the previous one while the earlier batches are still held.
    for worker in range(10):
        _, claimed = inbox_claim(limit=200)
        assert len(claimed) == 200
        held.append({m.pk for m in claimed})
        assert inbox_drain_follow_up() is (worker < 9)  # the tenth batch leaves nothing to help with
        assert len(enqueued) == worker + (1 if worker < 9 else 0)
    assert len(set().union(*held)) == 2000  # ten disjoint batches


def test_a_failed_enqueue_leaves_the_flag_clear(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str, **_: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr("sync.pipeline.inbox.async_task", broken)
    with pytest.raises(ConnectionError):
        inbox_request_drain()
    assert not requested()  # the next store tries again instead of waiting for the sweep
    calls: list[str] = []
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **_: calls.append(name))
    assert inbox_request_drain() is True and calls == ["sync.tasks.inbox_drain"]
    assert inbox_request_drain() is False and calls == ["sync.tasks.inbox_drain"]


# -- a drain under load holds the flag (INBOX_DRAIN_HOLD_ROWS) -------------------------------------------


def test_a_drain_that_took_several_messages_takes_those_stored_meanwhile_in_its_next_job(
    store: Callable[[int], list[str]],
    enqueued: list[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.INBOX_DRAIN_HOLD_ROWS = 5
    first = store(5)
    batches: list[list[str]] = []
    meanwhile: list[str] = []

    def run_batch(*, salesforce: Any, netsuite: Any, opportunity_ids: list[str], **_: Any) -> SyncJob:
        batches.append(sorted(opportunity_ids))
        if len(batches) == 1:
            for _request in range(4):  # four requests while the first job runs
                meanwhile.extend(store(1))
        return SyncJob.objects.create(salesforce_connection=salesforce, netsuite_connection=netsuite)

    monkeypatch.setattr(runner, "run_batch", run_batch)
    assert len(runner.inbox_drain(batch_size=200)) == 2
    # The four stores queued nothing: the running drain's next claim took them, in one job.
    assert enqueued == ["sync.tasks.inbox_drain"]
    assert batches == [sorted("006" + i[3:] for i in first), sorted("006" + i[3:] for i in meanwhile)]
    assert set(InboxMessage.objects.values_list("status", flat=True)) == {InboxStatus.DONE}
    assert not requested()  # it let go when it found nothing more
    store(1)
    assert enqueued == ["sync.tasks.inbox_drain"] * 2


def test_a_drain_that_took_one_message_holds_nothing(
    store: Callable[[int], list[str]],
    enqueued: list[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.INBOX_DRAIN_HOLD_ROWS = 5
    store(1)

    def run_batch(*, salesforce: Any, netsuite: Any, opportunity_ids: list[str], **_: Any) -> SyncJob:
        if InboxMessage.objects.count() == 1:
            store(1)  # the real-time case: the next notification gets its own drain at once
        return SyncJob.objects.create(salesforce_connection=salesforce, netsuite_connection=netsuite)

    monkeypatch.setattr(runner, "run_batch", run_batch)
    runner.inbox_drain(batch_size=200)
    assert enqueued == ["sync.tasks.inbox_drain"] * 2


def test_a_flag_set_for_longer_than_the_hold_no_longer_holds_stores_back(
    store: Callable[[int], list[str]], enqueued: list[str], settings: Any
) -> None:
    settings.INBOX_DRAIN_HOLD_SECONDS = 2
    store(1)
    assert enqueued == ["sync.tasks.inbox_drain"]
    store(1)  # fresh: that drain will take it
    assert enqueued == ["sync.tasks.inbox_drain"]
    # Its holder died (or the drain never came, or its batch runs long): three seconds later...
    InboxDrainFlag.objects.update(requested_at=timezone.now() - dt.timedelta(seconds=3))
    store(1)
    assert enqueued == ["sync.tasks.inbox_drain"] * 2
    refreshed = InboxDrainFlag.objects.get().requested_at
    assert refreshed is not None and refreshed > timezone.now() - dt.timedelta(seconds=1)
    store(1)  # fresh again
    assert enqueued == ["sync.tasks.inbox_drain"] * 2


def test_a_drain_that_crashes_while_holding_lets_go_and_requests_another(
    store: Callable[[int], list[str]],
    enqueued: list[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.INBOX_DRAIN_HOLD_ROWS = 2
    store(3)

    def claim_fails(**_: Any) -> Any:
        raise RuntimeError("database gone")

    def run_batch(*, salesforce: Any, netsuite: Any, **_: Any) -> SyncJob:
        assert requested()  # held while the batch runs
        store(1)  # counts on this drain's next claim...
        monkeypatch.setattr(runner, "inbox_claim", claim_fails)  # ...which fails
        return SyncJob.objects.create(salesforce_connection=salesforce, netsuite_connection=netsuite)

    monkeypatch.setattr(runner, "run_batch", run_batch)
    with pytest.raises(RuntimeError):
        runner.inbox_drain(batch_size=200)
    # Not left set with nobody to claim: a fresh drain is queued for the message stored meanwhile.
    assert enqueued == ["sync.tasks.inbox_drain"] * 2 and requested()
    assert InboxMessage.objects.filter(status=InboxStatus.PENDING).count() == 1
