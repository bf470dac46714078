"""The audit trail's hash chain: every entry carries the hash of the one before it.

``entry_hash`` is SHA-256 over a canonical JSON serialization of the entry's content (the fields in
:data:`HASHED_FIELDS`, nothing else) and its ``prev_hash``; ``prev_hash`` is the ``entry_hash`` of the entry
with the next-lower id ("" for the first). Changing, removing or inserting an entry anywhere breaks the link
at that point, and :func:`chain_verify` names the first broken one.

The list of hashed fields is fixed here on purpose rather than read from the model: a field added to
:class:`governance.models.AuditEntry` later must not change the hash of entries already written.

What the chain does not prove on its own: that nobody removed the newest entries (the tail) or rewrote the
whole chain from some point on, recomputing every hash. Recording the head hash somewhere else from time to
time (a ticket, an e-mail to the auditors) closes that gap; :func:`chain_head` gives the value to record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Field, Model

if TYPE_CHECKING:
    from governance.models import AuditEntry

HASHED_FIELDS: tuple[str, ...] = (
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "serialized_data",
    "action",
    "changes_text",
    "changes",
    "cid",
    "remote_addr",
    "remote_port",
    "timestamp",
    "additional_data",
    "actor_id",
    "actor_email",
)
JSON_FIELDS = frozenset({"serialized_data", "changes", "additional_data"})
# Any 64-bit number unique to this lock; PostgreSQL advisory locks share one key space per database.
ADVISORY_LOCK_KEY = 0x436F6E636F726441  # "ConcordA"
VERIFY_BATCH = 2000


def json_normalized(value: Any) -> Any:
    """The value as it comes back from a JSON column (tuples become lists, dates strings, ...).

    Entries store this form, so the hash computed before the insert equals the one recomputed later from
    the stored row, on SQLite (text) and on PostgreSQL (jsonb, which reorders keys) alike.
    """
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def canonical_content(entry: Model, prev_hash: str) -> bytes:
    """The bytes that are hashed: the hashed fields, as the database returns them, and ``prev_hash``."""
    content: dict[str, Any] = {"prev_hash": prev_hash}
    for name in HASHED_FIELDS:
        value = getattr(entry, name)
        if name in JSON_FIELDS:
            value = json_normalized(value)
        elif name == "timestamp":
            value = value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value else None
        elif value is not None:
            # The field's own conversion (str for object_pk, the canonical IPv6 form for remote_addr...).
            field_name = name.removesuffix("_id") if name in ("content_type_id", "actor_id") else name
            model_field = entry._meta.get_field(field_name)
            if isinstance(model_field, Field):
                value = model_field.get_prep_value(value)
        content[name] = value
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash_compute(entry: Model, prev_hash: str) -> str:
    return hashlib.sha256(canonical_content(entry, prev_hash)).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    entry_id: int | None
    entry_hash: str
    timestamp: dt.datetime | None


def chain_head() -> ChainHead:
    """The newest entry's id, hash and time (``entry_hash`` "" while the trail is empty)."""
    from governance.models import AuditEntry

    row = AuditEntry.objects.order_by("-id").values_list("id", "entry_hash", "timestamp").first()
    if row is None:
        return ChainHead(entry_id=None, entry_hash="", timestamp=None)
    return ChainHead(entry_id=row[0], entry_hash=row[1], timestamp=row[2])


def chain_lock() -> None:
    """Serialize appends to the chain until the current transaction ends. Call inside ``atomic()``.

    Two writers that both read the same head would fork the chain (two entries with one ``prev_hash``).

    - PostgreSQL: a transaction-level advisory lock. It is held until commit or rollback, so a second
      writer reads the head only after the first writer's entry is visible. The cost: audit writes are
      serialized for the length of the writing transactions, so keep transactions that write audited
      changes short.
    - SQLite: nothing to do. The settings open every transaction with ``BEGIN IMMEDIATE``, which takes the
      database's single write lock before the head is read, so writers are already serialized.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    elif connection.vendor != "sqlite":
        raise NotImplementedError(f"the audit chain has no lock for {connection.vendor}")


def entries_seal(entries: Sequence[AuditEntry], head: ChainHead) -> None:
    """Link ``entries`` (in order) after ``head``: normalize their JSON, set both hashes.

    A timestamp is never earlier than the previous entry's, so timestamps never decrease along the chain
    (the audit browser turns a date range into an id range on that basis). Callers hold :func:`chain_lock`.
    """
    prev_hash, floor = head.entry_hash, head.timestamp
    for entry in entries:
        for name in JSON_FIELDS:
            setattr(entry, name, json_normalized(getattr(entry, name)))
        if floor is not None and entry.timestamp < floor:
            entry.timestamp = floor
        entry.prev_hash = prev_hash
        entry.entry_hash = entry_hash_compute(entry, prev_hash)
        prev_hash, floor = entry.entry_hash, entry.timestamp


@dataclass(frozen=True)
class BrokenLink:
    entry_id: int
    field: str  # "prev_hash" (a link to a missing or changed predecessor) or "entry_hash" (changed content)
    expected: str
    stored: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: BrokenLink | None
    head: str

    @property
    def intact(self) -> bool:
        return self.first_break is None


def chain_verify(*, batch_size: int = VERIFY_BATCH) -> ChainReport:
    """Walk every entry in id order and report the first broken link (memory bounded by ``batch_size``)."""
    prev_hash, checked = "", 0
    for entry in _entries_in_id_order(batch_size):
        checked += 1
        if entry.prev_hash != prev_hash:
            return ChainReport(checked, BrokenLink(entry.pk, "prev_hash", prev_hash, entry.prev_hash), "")
        expected = entry_hash_compute(entry, entry.prev_hash)
        if entry.entry_hash != expected:
            return ChainReport(checked, BrokenLink(entry.pk, "entry_hash", expected, entry.entry_hash), "")
        prev_hash = entry.entry_hash
    return ChainReport(checked=checked, first_break=None, head=prev_hash)


def _entries_in_id_order(batch_size: int) -> Iterator[AuditEntry]:
    # Keyset batches rather than one long cursor: bounded memory on every backend, no transaction held.
    from governance.models import AuditEntry

    last_id = 0
    while True:
        batch: Iterable[AuditEntry] = list(
            AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size]
        )
        if not batch:
            return
        for entry in batch:
            yield entry
            last_id = entry.pk
