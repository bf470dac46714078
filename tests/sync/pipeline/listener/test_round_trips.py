"""On PostgreSQL a notification costs ONE round trip to the database server (issue 26, bench/ingest.py).

Counted on the wire: libpq's trace of the connection lists every protocol message, frontend (F) and
backend (B); each time the server answers what the client sent (an F line followed by a B line) is one
round trip, however many statements the message carried. Before each request the connection goes through
what ``request_started`` does in a server (``close_old_connections``: Django's per-request health check
is armed again), so a ``SELECT 1`` health check, a listener or integration read, a separate
BEGIN/COMMIT or a flag read after the commit would each show up as one more.

These tests run outside a test transaction (``transactional_db``): the one-message store commits its own
transaction, which it can do only when no caller's transaction is open. PostgreSQL only (SQLite has no
server to go to and back from).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from sync.integrations.models import Integration
from sync.pipeline.inbox import DRAIN_FLAG, inbox_add
from sync.pipeline.listener import listener_cache
from sync.pipeline.listener.services import listener_received_mark
from sync.pipeline.listener.soap import ACK
from sync.pipeline.models import DealMilestone, InboxDrainFlag, InboxMessage, Listener
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.listener.test_outbound_message import OPP, envelope, post, url

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="round trips to a PostgreSQL server"),
    pytest.mark.database,  # PostgreSQL's test, kept in both CI stages (tests/database_stage.py)
    # available_apps: the flush re-creates content types, so the audit trail's references stay valid
    # (a plain transactional flush left them pointing at deleted rows on PostgreSQL).
    THREADED_DB,
]


@pytest.fixture(autouse=True)
def fresh_memos(listener: Listener) -> Iterator[None]:
    listener_cache.listener_cache_clear()
    listener_received_mark(listener_id=listener.pk)  # written at most once a minute: not per notification
    yield
    listener_cache.listener_cache_clear()


def round_trips(trace: str) -> int:
    lines = [line for line in trace.splitlines() if line[:1] in ("F", "B")]
    return sum(
        1 for sent, answer in zip(lines, lines[1:], strict=False) if sent[0] == "F" and answer[0] == "B"
    )


def request(client: Client, listener: Listener, *ids: str, record: str = OPP) -> tuple[Any, int, str]:
    """POST an envelope as a server would handle it; returns the answer, its round trips, the trace."""
    connection.close_if_unusable_or_obsolete()  # request_started: the health check is due again
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE)
        try:
            answer = post(client, url(listener), envelope(*ids, record=record))
        finally:
            pgconn.untrace()
        trace.seek(0)
        text = trace.read()
    return answer, round_trips(text), text


def test_a_notification_is_one_round_trip(client: Client, listener: Listener, enqueued: list[str]) -> None:
    warm, _, _ = request(client, listener, "04l000000000001AAA")  # reads the listener, requests a drain
    assert warm.content == ACK and enqueued == ["sync.tasks.inbox_drain"]
    for number in range(2, 6):
        answer, trips, trace = request(client, listener, f"04l00000000000{number}AAA")
        assert answer.status_code == 200 and answer.content == ACK
        assert trips == 1, trace
    assert InboxMessage.objects.count() == 5
    assert enqueued == ["sync.tasks.inbox_drain"]  # the drain queued first covers them all


def test_an_envelope_of_many_notifications_and_a_redelivery_are_one_round_trip_each(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    request(client, listener, "04l000000000001AAA")
    ids = [f"04l0000000001{n:02d}AAA" for n in range(20)]
    answer, trips, trace = request(client, listener, *ids)
    assert answer.content == ACK and trips == 1, trace
    again, trips, trace = request(client, listener, *ids[:5])  # Salesforce retries: nothing new
    assert again.content == ACK and trips == 1, trace
    assert InboxMessage.objects.count() == 21
    assert InboxMessage.objects.values("notification_id").distinct().count() == 21


def test_the_won_deal_is_noted_in_the_same_message_for_new_rows_only(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    request(client, listener, "04l000000000001AAA", record="0065g00000AAAAAAAA")
    first = DealMilestone.objects.get(opportunity_id="0065g00000AAAAAAAA")
    stored = InboxMessage.objects.get(notification_id="04l000000000001AAA")
    assert first.won_at == stored.received_at
    assert first.integration_id == Integration.objects.get(is_primary=True).pk
    _, trips, _ = request(client, listener, "04l000000000002AAA", record="0065g00000BBBBBBBB")
    assert trips == 1
    assert DealMilestone.objects.filter(opportunity_id="0065g00000BBBBBBBB").exists()
    # A later notification of a deal already won leaves its moment where the first one put it.
    request(client, listener, "04l000000000003AAA", record="0065g00000AAAAAAAA")
    assert DealMilestone.objects.get(opportunity_id="0065g00000AAAAAAAA").won_at == first.won_at
    assert DealMilestone.objects.count() == 2


def test_a_clear_flag_read_after_the_commit_requests_a_drain(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    request(client, listener, "04l000000000001AAA")
    assert enqueued == ["sync.tasks.inbox_drain"]
    InboxDrainFlag.objects.filter(pk=DRAIN_FLAG).update(requested=False)  # a drain started claiming
    answer, trips, _ = request(client, listener, "04l000000000002AAA")
    assert answer.content == ACK
    assert enqueued == ["sync.tasks.inbox_drain"] * 2
    assert InboxDrainFlag.objects.get(pk=DRAIN_FLAG).requested
    assert trips == 2  # the store, then the flag flipped (the broker's own writes are patched out here)
    # A redelivery finding the flag clear asks for nothing: it stored nothing new.
    InboxDrainFlag.objects.filter(pk=DRAIN_FLAG).update(requested=False)
    request(client, listener, "04l000000000002AAA")
    assert enqueued == ["sync.tasks.inbox_drain"] * 2


def test_a_flag_set_too_long_ago_counts_as_clear_in_the_same_message(
    client: Client, listener: Listener, enqueued: list[str], settings: Any
) -> None:
    settings.INBOX_DRAIN_HOLD_SECONDS = 2
    request(client, listener, "04l000000000001AAA")
    _, trips, trace = request(client, listener, "04l000000000002AAA")
    assert trips == 1 and enqueued == ["sync.tasks.inbox_drain"], trace  # set and fresh: covered
    # Its drain never came, or the drain holding it was killed: three seconds on, it no longer holds.
    InboxDrainFlag.objects.filter(pk=DRAIN_FLAG).update(requested_at=timezone.now() - dt.timedelta(seconds=3))
    answer, trips, _ = request(client, listener, "04l000000000003AAA")
    assert answer.content == ACK and trips == 2
    assert enqueued == ["sync.tasks.inbox_drain"] * 2


def test_a_failed_store_commits_nothing_and_leaves_the_connection_usable(
    listener: Listener, enqueued: list[str]
) -> None:
    # A row naming a NetSuite connection that does not exist: the deferred foreign key fails the COMMIT.
    row = InboxMessage(
        notification_id="04l000000000009AAA",
        source="outbound_message",
        listener=listener,
        salesforce_connection_id=listener.salesforce_connection_id,
        netsuite_connection_id=999_999,
        sobject="Opportunity",
        record_id=OPP,
    )
    with pytest.raises(Exception, match="netsuite_connection_id|foreign key"):
        inbox_add([row])
    # Left idle, or closed when psycopg could not leave pipeline mode after the failed commit: either way
    # the next statement runs (on a new connection if need be).
    raw = connection.connection
    assert raw is None or raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert not InboxMessage.objects.exists() and not DealMilestone.objects.exists()
    assert enqueued == []


def test_a_kept_connection_that_died_is_replaced_and_the_notification_stored(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    request(client, listener, "04l000000000001AAA")
    connection.close_if_unusable_or_obsolete()  # request_started: the health check is due again
    pid = connection.connection.info.backend_pid
    with psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        host=connection.settings_dict["HOST"] or None,
        port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    answer = post(client, url(listener), envelope("04l000000000002AAA"))
    assert answer.status_code == 200 and answer.content == ACK
    assert connection.connection.info.backend_pid != pid
    assert set(InboxMessage.objects.values_list("notification_id", flat=True)) == {
        "04l000000000001AAA",
        "04l000000000002AAA",
    }


def _other_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        host=connection.settings_dict["HOST"] or None,
        port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"] or None,
    )


def test_a_store_meeting_a_drain_clearing_the_flag_waits_and_requests_a_drain(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    # The flag is read inside the storing transaction, under a share lock: a drain's clear in flight
    # (its UPDATE not yet committed) makes the store wait, then read the flag as the clear left it.
    request(client, listener, "04l000000000001AAA")
    assert enqueued == ["sync.tasks.inbox_drain"] and InboxDrainFlag.objects.get(pk=DRAIN_FLAG).requested
    answers: list[Any] = []
    with _other_connection() as drain:
        drain.execute("UPDATE sync_inboxdrainflag SET requested = false WHERE id = %s", [DRAIN_FLAG])
        store = threading.Thread(
            target=lambda: answers.append(post(client, url(listener), envelope("04l000000000002AAA")))
        )
        store.start()
        store.join(timeout=1.0)
        assert store.is_alive() and answers == []  # waiting for the clear to commit
        drain.commit()
    store.join(timeout=30)
    assert answers and answers[0].content == ACK
    assert enqueued == ["sync.tasks.inbox_drain"] * 2  # it read the flag clear: it asked for a drain


def test_a_store_holding_the_flag_makes_a_drain_clearing_it_wait_for_its_commit(
    listener: Listener, enqueued: list[str]
) -> None:
    # The other order: the flag is share-locked by a storing transaction (here one left open), so a
    # drain's clear waits for that commit, and its claim, after the clear, sees the rows stored.
    InboxDrainFlag.objects.update_or_create(
        pk=DRAIN_FLAG, defaults={"requested": True, "requested_at": timezone.now()}
    )
    with _other_connection() as store, _other_connection() as drain:
        store.execute(
            "SELECT requested FROM sync_inboxdrainflag WHERE id = %s FOR SHARE", [DRAIN_FLAG]
        ).fetchone()
        drain.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            drain.execute("UPDATE sync_inboxdrainflag SET requested = false WHERE id = %s", [DRAIN_FLAG])
        drain.rollback()
        store.commit()
        drain.execute("UPDATE sync_inboxdrainflag SET requested = false WHERE id = %s", [DRAIN_FLAG])
        drain.commit()


def test_the_intake_statement_is_prepared_once_and_can_go_unprepared(
    client: Client, listener: Listener, enqueued: list[str], settings: Any
) -> None:
    request(client, listener, "04l000000000001AAA")
    request(client, listener, "04l000000000002AAA")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
            ["WITH new AS (INSERT INTO%"],
        )
        assert [row[0] for row in cursor.fetchall()] == [2]  # one statement, run twice
    settings.DB_PREPARED_STATEMENTS = False  # behind a pooler that keeps no prepared statements
    connection.close()
    answer, trips, _ = request(client, listener, "04l000000000003AAA")
    assert answer.content == ACK and trips == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)
    assert InboxMessage.objects.count() == 3
