"""The inbox: storing inbound events durably, enqueueing their processing, and claiming them.

Storing is idempotent on the notification id (a unique constraint, conflicts ignored), so a redelivered
message is acknowledged again without a second row. Work is enqueued only after the rows commit, and
coalesced: one drain task is queued at a time, not one per request (:func:`inbox_request_drain`).
Claiming is a conditional UPDATE guarded by status and lease: two workers never take the same row, and
the rows of a worker killed mid-way become claimable again once their lease expires
(``INBOX_LEASE_SECONDS``; the periodic inbox sweep claims them).

Every claim counts an attempt. A batch that crashes releases its rows with a back-off; a row claimed
``INBOX_MAX_ATTEMPTS`` times without completing (it crashed every batch it was in, or killed the worker
each time) is set aside: status FAILED, an exception in the queue whose retry puts it back. A poison
message therefore costs a bounded number of attempts and never holds up the messages behind it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from core.commits import commit_unflushed
from core.correlation import current_correlation_id
from core.qbroker import broker_shared
from sync.integrations.models import Integration
from sync.integrations.namespacing import eid_namespaced
from sync.integrations.selectors import integration_for_connection, integration_for_pair
from sync.pipeline.flow_state import CLOSED_WON_FLOW, paused_salesforce_connections
from sync.pipeline.heartbeat import renewed_while
from sync.pipeline.inbox_statements import (
    DRAIN_FLAG,
    INSERT_BATCH,
    flag_fresh_since,
    flag_read_text,
    inbox_drain_hold_seconds,
    inbox_store_statement,
    inbox_store_statement_possible,
    insert_sql,
)
from sync.pipeline.milestones import WON_SOURCES, deal_milestones_won
from sync.pipeline.models import (
    MESSAGE_LIMIT,
    InboxDrainFlag,
    InboxMessage,
    InboxSource,
    InboxStatus,
    Listener,
)
from sync.pipeline.problems import ExceptionScope, Problem, RecordRef, exception_queue, retryable

# The category of the exception a set-aside message opens (created on first use).
SET_ASIDE_CATEGORY = "inbox_failed"


def inbox_lease() -> dt.timedelta:
    """How long a claim holds its rows (``INBOX_LEASE_SECONDS``)."""
    return dt.timedelta(seconds=settings.INBOX_LEASE_SECONDS)


def inbox_max_attempts() -> int:
    """Claims a message gets before it is set aside (``INBOX_MAX_ATTEMPTS``)."""
    return int(settings.INBOX_MAX_ATTEMPTS)


def inbox_drain_hold_rows() -> int:
    """A drain that claims at least this many rows (but not a full batch) holds the drain flag while it
    works (``INBOX_DRAIN_HOLD_ROWS``; see :func:`inbox_drain_flag_hold`)."""
    return int(getattr(settings, "INBOX_DRAIN_HOLD_ROWS", 5))


def inbox_dedup_key(message: InboxMessage) -> str:
    return f"inbox:{message.notification_id}"


@dataclass(frozen=True)
class InboundEvent:
    notification_id: str
    sobject: str
    record_id: str
    fields: dict[str, str]


def inbox_store(
    *,
    listener: Listener,
    source: str,
    events: Iterable[InboundEvent],
    integration: Integration | None = None,
) -> int:
    """Store ``events`` for ``listener`` (duplicates ignored) and enqueue a drain after commit.

    ``integration``: the one ``listener``'s Salesforce connection belongs to, when the caller knows it
    (the listener memo keeps it with the listener); read here otherwise. Returns how many rows were new.
    The caller acknowledges only after this returns, i.e. after commit.
    """
    rows = [
        InboxMessage(
            notification_id=event.notification_id,
            source=source,
            listener=listener,
            salesforce_connection_id=listener.salesforce_connection_id,
            netsuite_connection_id=listener.netsuite_connection_id,
            sobject=event.sobject,
            record_id=event.record_id,
            fields=event.fields,
        )
        for event in events
    ]
    known = {listener.salesforce_connection_id: integration} if integration is not None else None
    return inbox_add(rows, integrations=known)


def inbox_add(rows: list[InboxMessage], *, integrations: Mapping[int, Integration] | None = None) -> int:
    """Insert inbox rows, ignoring notification ids already stored; request a drain after commit.

    Each row keeps the correlation id open here (the listener's request, the poll's task...), so the
    worker that processes it logs under the same id.

    One statement, ``INSERT ... ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id``
    (see :func:`_insert_new`): atomic on its own, and it says exactly which rows are new, even against a
    concurrent delivery of the same id. Rows that report a deal won (an outbound message, a webhook, a
    poll) note it in the deal's milestones (:mod:`sync.pipeline.milestones`) in the same transaction;
    only the new rows do, so a redelivery changes nothing.

    Two orgs hand out the same ids (a poll's ``poll:<opportunity id>:<stamp>``, a notification's Id): a row
    of another integration than the primary one has its namespace in its notification id, so one org's
    event never swallows the other's (redeliveries within an org still meet their first delivery).
    ``integrations`` ({Salesforce connection id: integration}) are the ones a caller already knows.

    On PostgreSQL, outside a caller's transaction, storing is ONE prepared statement and one round trip
    to the server (:func:`sync.pipeline.inbox_statements.inbox_store_statement`): the insert, the
    milestones of its new rows and the drain flag's read under a share lock, committed together; a drain
    is requested (more round trips) only when the flag read says none is queued.
    """
    correlation_id = current_correlation_id() or ""
    integration_of = _notification_ids_namespaced(rows, integrations or {})
    unique: dict[str, InboxMessage] = {}
    for row in rows:
        row.correlation_id = row.correlation_id or correlation_id
        unique.setdefault(row.notification_id, row)
    if not unique:
        return 0
    pending = list(unique.values())
    won = any(row.source in WON_SOURCES for row in pending)
    connection = connections[router.db_for_write(InboxMessage)]
    if inbox_store_statement_possible(connection, len(pending)):
        created, drain_wanted = inbox_store_statement(connection, pending, integration_of if won else {})
        if drain_wanted:
            _drain_flip_and_enqueue()
        return created
    if won:
        # A won deal is noted with the row that reports it: both or neither.
        with transaction.atomic():
            stored = _insert_new(pending)
            deal_milestones_won(
                messages=[row for row in pending if row.notification_id in stored],
                integration_of=integration_of,
            )
    else:
        stored = _insert_new(pending)
    created = len(stored)
    if created:
        # After commit (at once, unless a caller's transaction is open), never inside it: see
        # inbox_request_drain.
        transaction.on_commit(inbox_request_drain)
    return created


def _notification_ids_namespaced(
    rows: list[InboxMessage], known: Mapping[int, Integration]
) -> dict[int, int]:
    """Namespace the rows' notification ids; returns each org's (Salesforce connection's) integration id.
    The integrations in ``known`` are taken as they are; the others are read."""
    integrations = {
        org: known[org] if org in known else integration_for_connection(org)
        for org in {row.salesforce_connection_id for row in rows}
    }
    limit = InboxMessage._meta.get_field("notification_id").max_length or 120
    for row in rows:
        namespace = integrations[row.salesforce_connection_id].namespace
        if namespace and not row.notification_id.startswith(f"{namespace}-"):
            row.notification_id = eid_namespaced(namespace, row.notification_id)[:limit]
    return {org: integration.pk for org, integration in integrations.items()}


def _insert_new(rows: list[InboxMessage]) -> set[str]:
    """Insert ``rows`` skipping notification ids already stored; returns the notification ids inserted.

    ``bulk_create(ignore_conflicts=True)`` cannot say which rows it inserted and opens a transaction
    around one statement; this writes the same statement with ``RETURNING`` (PostgreSQL, and SQLite
    from 3.35), values prepared by each field as the ORM would (``auto_now_add``, JSON...).
    """
    connection = connections[router.db_for_write(InboxMessage)]
    # At most 100 rows a request (an envelope's limit), ~15 columns: far under any variable limit. Polls
    # and backfills may pass more: batches of 500.
    inserted: set[str] = set()
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start : start + INSERT_BATCH]
        sql, params = insert_sql(connection, batch, connection.ops.quote_name("notification_id"))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            inserted.update(notification_id for (notification_id,) in cursor.fetchall())
    return inserted


def inbox_request_drain() -> bool:
    """Enqueue a drain unless one is already requested and has not started claiming; True if enqueued.

    Call it only once the rows it is for have committed. Why no committed row is ever left behind: the
    drain clears the flag *before* it claims (:func:`inbox_drain_flag_clear`). If this call finds the
    flag set, it was set earlier and the clear that follows it comes later, so that drain's claim runs
    after this call, i.e. after our rows committed, and sees them. If it finds the flag clear, it sets it
    and enqueues a drain itself. (A plain read inside the storing transaction would not do: a drain could
    clear and claim between the read and the commit, and miss the rows; PostgreSQL's one-statement intake
    reads it inside, under a share lock that makes the clear wait for its commit, see
    :func:`sync.pipeline.inbox_statements.inbox_store_statement`.) The flag is also set by a
    running drain that will claim again (:func:`inbox_drain_flag_hold`): the same argument holds, its next
    claim clears first. A flag set more than ``INBOX_DRAIN_HOLD_SECONDS`` ago counts as clear (a drain
    may be slow to come or busy with a long batch): another drain is then requested.

    A drain task lost after the flag was set (process killed before the enqueue, a broker losing it)
    leaves the flag set and no task: the inbox sweep schedule runs a drain every minute, which clears the
    flag and claims (sync.pipeline.schedules.INBOX_SWEEP).
    """
    if _drain_requested():  # the common case under load: one read, no write
        return False
    return _drain_flip_and_enqueue()


def _drain_flip_and_enqueue() -> bool:
    """The flag was read clear after our rows committed: set it, and enqueue a drain if this call is the
    one that set it (see :func:`inbox_request_drain`); True if enqueued."""
    requested = InboxDrainFlag.objects.filter(pk=DRAIN_FLAG)
    now = timezone.now()
    stale = (
        Q(requested=False)
        | Q(requested_at=None)
        | Q(requested_at__lt=now - dt.timedelta(seconds=inbox_drain_hold_seconds()))
    )
    # Not flushed before the enqueue (core.commits): lost in a crash, the flag is clear again and the
    # next store requests another drain, which finds nothing or what this one would have found.
    with commit_unflushed():
        flipped = bool(requested.filter(stale).update(requested=True, requested_at=now))
    if not flipped and not requested.exists():
        # The row is created on first use (a flushed test database has none); a racing creator wins.
        _, flipped = InboxDrainFlag.objects.get_or_create(
            pk=DRAIN_FLAG, defaults={"requested": True, "requested_at": now}
        )
    if not flipped:
        return False  # another request set it between our read and our update: its drain covers us
    try:
        inbox_enqueue_drain()
    except Exception:
        # Not queued: let the next store try again rather than wait for the sweep.
        requested.update(requested=False)
        raise
    return True


def _drain_requested() -> bool:
    """Whether the flag is set (and fresh). Raw SQL: every listener request asks, and the ORM would spend
    ~10x the CPU of the query compiling it (bench/ingest.py)."""
    connection = connections[router.db_for_write(InboxDrainFlag)]  # the primary: a stale copy would do harm
    with connection.cursor() as cursor:
        cursor.execute(flag_read_text(connection), [flag_fresh_since(connection), DRAIN_FLAG])
        row = cursor.fetchone()
    return bool(row and row[0])


def inbox_drain_flag_clear() -> bool:
    """A drain is starting to claim: the next store must request another. True if the flag was set.

    Committed before the claim reads (see :func:`inbox_request_drain`), but not flushed (core.commits):
    lost in a crash, the flag stays set and the inbox sweep's drain clears it, as for a lost drain task."""
    with commit_unflushed():
        return bool(InboxDrainFlag.objects.filter(pk=DRAIN_FLAG, requested=True).update(requested=False))


def inbox_drain_flag_hold() -> bool:
    """A drain that claimed a sizeable batch (``INBOX_DRAIN_HOLD_ROWS``) sets the flag again while it
    works: it will claim once more when the batch is done, so the stores meanwhile need no drain of their
    own, and their rows make that next claim larger (under load, one job of many rows instead of many
    jobs of a few: a job's fixed cost is paid once). A single notification claimed alone sets nothing, so
    the real-time path is unchanged: the next notification gets its own drain at once.

    Safe as the flag always is (:func:`inbox_request_drain`): the holder's next claim clears the flag
    first. A holder that stops without claiming again (killed) leaves the flag set; after
    ``INBOX_DRAIN_HOLD_SECONDS`` the next store requests a drain anyway, and the inbox sweep drains every
    minute. A batch running longer than that lets the stores start a helper drain as before.
    Returns True if the flag row exists (it was set)."""
    return bool(
        InboxDrainFlag.objects.filter(pk=DRAIN_FLAG).update(requested=True, requested_at=timezone.now())
    )


def inbox_enqueue_drain() -> None:
    """Ask a worker to process pending inbox messages (the task claims what it takes).

    Enqueues unconditionally: stores go through :func:`inbox_request_drain`, which coalesces.
    """
    async_task("sync.tasks.inbox_drain", task_name="inbox drain", group="sync-inbox", broker=broker_shared())


def inbox_claim(*, limit: int = 200, lease: dt.timedelta | None = None) -> tuple[str, list[InboxMessage]]:
    """Claim up to ``limit`` messages for one worker; returns the claim token and the rows taken.

    This is the drain's claim step, so it first clears the drain flag (before reading anything: see
    :func:`inbox_request_drain`). Rows whose lease ran out after their last allowed attempt (their worker
    died every time) are set aside first instead of being handed out once more.

    The Closed Won pause is each integration's own: the rows of an integration whose flow is paused wait,
    pending, and the others' are claimed (the row's Salesforce connection names its integration; one
    query reads which wait). While every integration's flow is paused nothing is claimed and the flag
    stays set, so the stores meanwhile enqueue no drains; resuming enqueues one (sync.pipeline.flows).
    """
    paused = paused_salesforce_connections(CLOSED_WON_FLOW)
    if paused.everywhere:
        return uuid.uuid4().hex, []
    inbox_drain_flag_clear()
    now = timezone.now()
    token = uuid.uuid4().hex
    lease = lease if lease is not None else inbox_lease()
    _set_aside_exhausted(_lease_expired(now), error="its lease ran out: the worker processing it stopped")
    claimable = _claimable(now)
    if paused:
        claimable &= ~paused.waiting()
    candidates = list(
        InboxMessage.objects.filter(claimable)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if candidates:
        # The filter is repeated inside the UPDATE: a row another worker took in between is left alone.
        # Visible to every worker at once, not flushed before the work starts (core.commits): lost in a
        # crash, the rows are pending again and their next claim redoes the eid upserts.
        with commit_unflushed():
            InboxMessage.objects.filter(claimable, pk__in=candidates).update(
                status=InboxStatus.CLAIMED,
                claim_token=token,
                lease_until=now + lease,
                attempts=F("attempts") + 1,
            )
    return token, list(InboxMessage.objects.filter(claim_token=token, status=InboxStatus.CLAIMED))


def inbox_drain_follow_up() -> bool:
    """For a drain that claimed a full batch: request one more drain if claimable rows remain, so another
    worker takes the next batch while this one works (a backlog is spread over the workers, one queued
    drain at a time). True if a drain was enqueued."""
    claimable = InboxMessage.objects.filter(_claimable(timezone.now()))
    paused = paused_salesforce_connections(CLOSED_WON_FLOW)
    if paused:
        claimable = claimable.exclude(paused.waiting())
    if claimable.exists():
        return inbox_request_drain()
    return False


def _lease_expired(now: dt.datetime) -> Q:
    """Claimed rows whose claim lapsed (their worker stopped, or a failed batch's back-off is over)."""
    return Q(status=InboxStatus.CLAIMED, lease_until__lt=now)


def _claimable(now: dt.datetime) -> Q:
    return Q(status=InboxStatus.PENDING) | _lease_expired(now)


def inbox_complete(*, token: str, job_id: int | None, pks: Iterable[int]) -> int:
    """Mark claimed rows done; only rows still held under ``token`` (a lost lease changes nothing).

    A row that had failed before (a retried, set-aside message) resolves the exception it opened.
    """
    held = InboxMessage.objects.filter(claim_token=token, status=InboxStatus.CLAIMED, pk__in=list(pks))
    recovered = list(held.exclude(last_error="").only("pk", "notification_id"))
    done = held.update(status=InboxStatus.DONE, job_id=job_id, processed_at=timezone.now())
    for message in recovered:
        exception_queue().resolve(dedup_key=inbox_dedup_key(message), note=f"processed by job {job_id}")
    return done


def inbox_lease_renew(*, token: str, lease: dt.timedelta | None = None) -> int:
    """Extend the lease of the rows still held under ``token``; returns how many."""
    lease = lease if lease is not None else inbox_lease()
    return InboxMessage.objects.filter(claim_token=token, status=InboxStatus.CLAIMED).update(
        lease_until=timezone.now() + lease
    )


def inbox_lease_kept(token: str, *, lease: dt.timedelta | None = None) -> AbstractContextManager[None]:
    """Renew the claim's lease every third of it while the block runs.

    The lease can then be short (a killed worker's rows come back soon) without a long batch losing its
    rows to another worker half-way: only a worker that stopped stops renewing.
    """
    lease = lease if lease is not None else inbox_lease()
    return renewed_while(
        partial(inbox_lease_renew, token=token, lease=lease),
        every=lease.total_seconds() / 3,
        name=f"inbox-lease-{token[:8]}",
    )


def inbox_defer(*, token: str, pks: Iterable[int]) -> int:
    """Hand back rows a batch claimed but did not get to (it ran out of time): pending again at once,
    and the claim not counted as an attempt."""
    ids = list(pks)
    if not ids:
        return 0
    return InboxMessage.objects.filter(claim_token=token, status=InboxStatus.CLAIMED, pk__in=ids).update(
        status=InboxStatus.PENDING, claim_token="", lease_until=None, attempts=F("attempts") - 1
    )


def inbox_release(*, token: str, pks: Iterable[int], error: str, retry_in: dt.timedelta) -> int:
    """Give back rows a failed batch held under ``token``: each is claimable again after ``retry_in``,
    or set aside if it used its last attempt. Returns how many rows were set aside."""
    held = Q(claim_token=token, status=InboxStatus.CLAIMED, pk__in=list(pks))
    set_aside = _set_aside_exhausted(held, error=error)
    InboxMessage.objects.filter(held).update(
        claim_token="", lease_until=timezone.now() + retry_in, last_error=error[:MESSAGE_LIMIT]
    )
    return set_aside


def _set_aside_exhausted(rows: Q, *, error: str) -> int:
    """Set aside the ``rows`` that used their last attempt: status FAILED and one exception each."""
    exhausted = list(InboxMessage.objects.filter(rows, attempts__gte=inbox_max_attempts()))
    for message in exhausted:
        # Conditional, like a claim: a row another worker changed in between is left alone.
        taken = InboxMessage.objects.filter(
            pk=message.pk, status=InboxStatus.CLAIMED, claim_token=message.claim_token
        ).update(
            status=InboxStatus.FAILED, claim_token="", lease_until=None, last_error=error[:MESSAGE_LIMIT]
        )
        if taken:
            _set_aside_report(message, error)
    return len(exhausted)


def _set_aside_report(message: InboxMessage, error: str) -> None:
    problem = Problem(
        category=SET_ASIDE_CATEGORY,
        dedup_key=inbox_dedup_key(message),
        title=(f"{message.sobject} {message.record_id}: set aside after {message.attempts} failed attempts")[
            :200
        ],
        records=[RecordRef("salesforce", message.sobject, message.record_id)],
        # Never mapped: only a connection without OneWorld places it (its single entity).
        scope=ExceptionScope(
            netsuite_connection_id=message.netsuite_connection_id,
            integration_id=integration_for_pair(
                message.salesforce_connection_id, message.netsuite_connection_id
            ).pk,
        ),
        vendor_message=error,
        details={"inbox_message": message.pk, "notification_id": message.notification_id},
        retry_task="sync.pipeline.inbox.inbox_message_retry",
        retry_kwargs={"message_id": message.pk},
    )
    exception_queue().report(problem)


@retryable
def inbox_message_retry(*, message_id: int, overrides: dict[str, object] | None = None) -> None:
    """Put a set-aside message back in the inbox with fresh attempts (the exception queue's retry);
    approved ``overrides`` ride on it into the run (a message's own, from an earlier retry, stay when
    none are given)."""
    changes: dict[str, Any] = {"overrides": dict(overrides)} if overrides else {}
    with transaction.atomic():
        updated = InboxMessage.objects.filter(pk=message_id, status=InboxStatus.FAILED).update(
            status=InboxStatus.PENDING, attempts=0, claim_token="", lease_until=None, **changes
        )
        if updated:
            transaction.on_commit(inbox_request_drain)


def inbox_requeue_opportunity(
    *,
    opportunity_id: str,
    salesforce_connection_id: int,
    netsuite_connection_id: int,
    source: str,
    overrides: Mapping[str, Any] | None = None,
) -> InboxMessage:
    """A new inbox message for one opportunity (a re-run, a catch-up poll hit, a backfill row).

    ``overrides`` ({field: value}) are an exception retry's approved value changes, for this run only."""
    row = InboxMessage(
        notification_id=f"{source}:{opportunity_id}:{uuid.uuid4().hex[:12]}",
        source=source,
        salesforce_connection_id=salesforce_connection_id,
        netsuite_connection_id=netsuite_connection_id,
        record_id=opportunity_id,
        overrides=dict(overrides or {}),
    )
    inbox_add([row])
    return InboxMessage.objects.get(notification_id=row.notification_id)


__all__ = [
    "SET_ASIDE_CATEGORY",
    "InboundEvent",
    "InboxSource",
    "inbox_add",
    "inbox_claim",
    "inbox_complete",
    "inbox_defer",
    "inbox_drain_flag_clear",
    "inbox_drain_flag_hold",
    "inbox_drain_hold_rows",
    "inbox_drain_follow_up",
    "inbox_enqueue_drain",
    "inbox_lease",
    "inbox_lease_kept",
    "inbox_lease_renew",
    "inbox_max_attempts",
    "inbox_message_retry",
    "inbox_release",
    "inbox_request_drain",
    "inbox_requeue_opportunity",
    "inbox_store",
]
