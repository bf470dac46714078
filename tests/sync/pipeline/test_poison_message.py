"""A poison message (one whose processing always crashes) costs bounded attempts and never blocks the
inbox: the messages claimed with it still sync, and it is set aside, inspectable and retryable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.pipeline import runner
from sync.pipeline.inbox import inbox_message_retry
from sync.pipeline.models import InboxMessage, InboxSource, InboxStatus, SyncRecord
from sync.pipeline.writer import BatchWriter
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def test_a_poison_message_is_set_aside_after_bounded_attempts_and_the_rest_sync(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.INBOX_MAX_ATTEMPTS = 3
    monkeypatch.setattr(runner, "RELEASE_BACKOFF_BASE", 0.0)  # no waiting between attempts in a test
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda *a, **kw: None)
    salesforce, netsuite = seeded_connections
    won = won_ids(sf)[:5]
    assert len(won) == 5
    poison_id = won[2]
    for opportunity_id in won:
        InboxMessage.objects.create(
            notification_id=f"poll:{opportunity_id}",
            source=InboxSource.POLL,
            salesforce_connection=salesforce,
            netsuite_connection=netsuite,
            record_id=opportunity_id,
        )
    # A bug one graph triggers: not a vendor fault, nothing the writer catches.
    real_sync = BatchWriter.sync

    def crashing_sync(self: BatchWriter, graph: dict[str, Any]) -> Any:
        if graph["Id"] == poison_id:
            raise KeyError("Amount")
        return real_sync(self, graph)

    monkeypatch.setattr(BatchWriter, "sync", crashing_sync)

    runner.inbox_drain()

    rows = {row.record_id: row for row in InboxMessage.objects.all()}
    poison = rows.pop(poison_id)
    assert (poison.status, poison.attempts) == (InboxStatus.FAILED, 3)
    assert "KeyError" in poison.last_error
    assert {row.status for row in rows.values()} == {InboxStatus.DONE}
    assert all(row.attempts == 1 for row in rows.values())  # synced on their first claim
    for opportunity_id in rows:
        assert netsuite_count("transaction", opportunity_id) == 1
    assert netsuite_count("transaction", poison_id) == 0
    item = ExceptionItem.objects.get(dedup_key=f"inbox:{poison.notification_id}")
    assert item.status == ExceptionStatus.OPEN
    assert item.retry_kwargs == {"message_id": poison.pk}

    # The bug fixed, the queue's retry puts the message back and it syncs once.
    monkeypatch.setattr(BatchWriter, "sync", real_sync)
    inbox_message_retry(message_id=poison.pk)
    runner.inbox_drain()
    poison.refresh_from_db()
    assert poison.status == InboxStatus.DONE
    assert netsuite_count("transaction", poison_id) == 1
    assert SyncRecord.objects.filter(opportunity_id=poison_id, status="synced").count() == 1
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED


def test_a_drain_out_of_time_puts_the_opportunities_it_did_not_start_back_without_an_attempt(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    netsuite_count: Callable[[str, str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enqueued: list[str] = []
    monkeypatch.setattr("sync.pipeline.inbox.async_task", lambda name, **kw: enqueued.append(name))
    salesforce, netsuite = seeded_connections
    won = won_ids(sf)[:3]
    for opportunity_id in won:
        InboxMessage.objects.create(
            notification_id=f"poll:{opportunity_id}",
            source=InboxSource.POLL,
            salesforce_connection=salesforce,
            netsuite_connection=netsuite,
            record_id=opportunity_id,
        )

    # No time at all: the batch is claimed and read, but no opportunity starts before the deadline.
    (job_id,) = runner.inbox_drain(budget_seconds=0)
    assert enqueued == ["sync.tasks.inbox_drain"]  # a fresh task takes over
    rows = list(InboxMessage.objects.all())
    assert {(row.status, row.attempts, row.claim_token) for row in rows} == {(InboxStatus.PENDING, 0, "")}
    assert not SyncRecord.objects.filter(job_id=job_id).exists()
    assert all(netsuite_count("transaction", opportunity_id) == 0 for opportunity_id in won)

    runner.inbox_drain()
    assert {(row.status, row.attempts) for row in InboxMessage.objects.all()} == {(InboxStatus.DONE, 1)}
    assert all(netsuite_count("transaction", opportunity_id) == 1 for opportunity_id in won)
