"""Checkpoints of the audit chain: its head recorded outside the audit table, periodically.

The hash chain (:mod:`governance.chain`) shows any change to an entry, and any entry removed from the
middle; it cannot show that the newest entries were removed (the shorter chain still links up) or that the
chain was rewritten from some entry on. A checkpoint records the head (the newest entry's id and hash) and
the number of entries at one moment, in its own append-only table and in the logs (one line per
checkpoint, ``audit chain checkpoint: entry=... hash=... count=...``, to be shipped off the machine like any
log). ``verify_audit_chain`` checks every checkpoint, and any head copied back from the logs
(``--expect``), against the chain: a removed or rewritten tail no longer holds the entry they name.

Checkpoints are recorded by the django-q2 schedule :data:`CHECKPOINT_SCHEDULE` (``audit_schedules_ensure``),
by ``manage.py audit_checkpoint``, from the console's chain page and through the API.
"""

from __future__ import annotations

import logging
import re

from django.contrib.auth.models import User
from django.db import transaction
from django_q.models import Schedule

from governance import chain
from governance.chain_verify import ChainHeadRecord
from governance.models import AuditCheckpoint, AuditEntry, CheckpointSource

logger = logging.getLogger(__name__)

CHECKPOINT_SCHEDULE = "governance: audit chain checkpoint"
CHECKPOINT_MINUTES = 60
LOG_LINE = "audit chain checkpoint: entry={entry_id} hash={entry_hash} count={entry_count}"
_EXPECTED = re.compile(r"^(?P<entry_id>\d+):(?P<entry_hash>[0-9a-f]{64}):(?P<entry_count>\d+)$")


def audit_checkpoint_record(*, source: CheckpointSource, user: User | None = None) -> AuditCheckpoint:
    """Record the chain's head now (under the chain's lock, so no entry is half counted) and log it."""
    checkpoint = AuditCheckpoint(source=source, recorded_by=user)
    with transaction.atomic():
        chain.chain_lock(rows=[checkpoint])
        head = chain.chain_head(AuditEntry)
        count = AuditEntry.objects.count()
        checkpoint.entry_id, checkpoint.entry_hash, checkpoint.entry_count = (
            head.entry_id,
            head.entry_hash,
            count,
        )
        checkpoint.save()
    logger.info(
        LOG_LINE.format(entry_id=head.entry_id or 0, entry_hash=head.entry_hash or "-", entry_count=count)
        + " (checkpoint %s, %s)",
        checkpoint.pk,
        source,
    )
    return checkpoint


def checkpoint_latest() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-id").first()


def expected_head_parse(text: str) -> ChainHeadRecord:
    """``ENTRY_ID:HASH:COUNT`` (the three values of a checkpoint's log line) as a head to check."""
    match = _EXPECTED.match(text.strip())
    if match is None:
        raise ValueError(f"expected ENTRY_ID:HASH:COUNT (64 hex digits for the hash), not {text!r}")
    return ChainHeadRecord(
        entry_id=int(match["entry_id"]),
        entry_hash=match["entry_hash"],
        entry_count=int(match["entry_count"]),
        label=f"the expected head {match['entry_id']}",
    )


def audit_schedules_ensure(*, minutes: int = CHECKPOINT_MINUTES) -> Schedule:
    """Create or correct the checkpoint schedule; running it again changes nothing."""
    if minutes < 1:
        raise ValueError("a checkpoint every minute at most")
    schedule, _ = Schedule.objects.update_or_create(
        name=CHECKPOINT_SCHEDULE,
        defaults={
            "func": "governance.tasks.audit_checkpoint_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )
    return schedule
