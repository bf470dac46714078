"""The inbox: storing inbound events durably, enqueueing their processing, and claiming them.

Storing is idempotent on the notification id (a unique constraint, conflicts ignored), so a redelivered
message is acknowledged again without a second row. Work is enqueued only after the rows commit.
Claiming is a conditional UPDATE guarded by status and lease: two workers never take the same row, and
the rows of a worker killed mid-way become claimable again once their lease expires.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from governance.correlation import current_correlation_id
from sync.models import InboxMessage, InboxSource, InboxStatus, Listener

LEASE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class InboundEvent:
    notification_id: str
    sobject: str
    record_id: str
    fields: dict[str, str]


def inbox_store(*, listener: Listener, source: str, events: Iterable[InboundEvent]) -> int:
    """Store ``events`` for ``listener`` (duplicates ignored) and enqueue a drain after commit.

    Returns how many rows were new. The caller acknowledges only after this returns, i.e. after commit.
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
    return inbox_add(rows)


def inbox_add(rows: list[InboxMessage]) -> int:
    """Insert inbox rows, ignoring notification ids already stored; enqueue a drain after commit.

    Each row keeps the correlation id open here (the listener's request, the poll's task...), so the
    worker that processes it logs under the same id.
    """
    ids = [row.notification_id for row in rows]
    correlation_id = current_correlation_id() or ""
    for row in rows:
        row.correlation_id = row.correlation_id or correlation_id
    with transaction.atomic():
        before = InboxMessage.objects.filter(notification_id__in=ids).count()
        InboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
        after = InboxMessage.objects.filter(notification_id__in=ids).count()
        if after > before:
            transaction.on_commit(inbox_enqueue_drain)
    return after - before


def inbox_enqueue_drain() -> None:
    """Ask a worker to process pending inbox messages (the task claims what it takes)."""
    async_task("sync.tasks.inbox_drain", task_name="inbox drain", group="sync-inbox")


def inbox_claim(*, limit: int = 200, lease: dt.timedelta = LEASE) -> tuple[str, list[InboxMessage]]:
    """Claim up to ``limit`` messages for one worker; returns the claim token and the rows taken."""
    now = timezone.now()
    token = uuid.uuid4().hex
    claimable = Q(status=InboxStatus.PENDING) | Q(status=InboxStatus.CLAIMED, lease_until__lt=now)
    candidates = list(
        InboxMessage.objects.filter(claimable)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    if candidates:
        # The filter is repeated inside the UPDATE: a row another worker took in between is left alone.
        InboxMessage.objects.filter(claimable, pk__in=candidates).update(
            status=InboxStatus.CLAIMED, claim_token=token, lease_until=now + lease, attempts=F("attempts") + 1
        )
    return token, list(InboxMessage.objects.filter(claim_token=token, status=InboxStatus.CLAIMED))


def inbox_complete(*, token: str, job_id: int | None, pks: Iterable[int]) -> int:
    """Mark claimed rows done; only rows still held under ``token`` (a lost lease changes nothing)."""
    return InboxMessage.objects.filter(
        claim_token=token, status=InboxStatus.CLAIMED, pk__in=list(pks)
    ).update(status=InboxStatus.DONE, job_id=job_id, processed_at=timezone.now())


def inbox_requeue_opportunity(
    *, opportunity_id: str, salesforce_connection_id: int, netsuite_connection_id: int, source: str
) -> InboxMessage:
    """A new inbox message for one opportunity (a re-run, a catch-up poll hit, a backfill row)."""
    row = InboxMessage(
        notification_id=f"{source}:{opportunity_id}:{uuid.uuid4().hex[:12]}",
        source=source,
        salesforce_connection_id=salesforce_connection_id,
        netsuite_connection_id=netsuite_connection_id,
        record_id=opportunity_id,
    )
    inbox_add([row])
    return InboxMessage.objects.get(notification_id=row.notification_id)


__all__ = [
    "LEASE",
    "InboundEvent",
    "InboxSource",
    "inbox_add",
    "inbox_claim",
    "inbox_complete",
    "inbox_enqueue_drain",
    "inbox_requeue_opportunity",
    "inbox_store",
]
