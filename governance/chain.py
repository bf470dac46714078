"""The audit trail's hash chain: every entry carries the hash of the one before it.

``entry_hash`` is SHA-256 over a canonical JSON serialization of every column of the entry as the database
stores it (the fields in :data:`HASHED_FIELDS`: the id, the content, the actor, the remote address and port,
the correlation id, the time...) and its ``prev_hash``; ``prev_hash`` is the ``entry_hash`` of the entry with
the next-lower id ("" for the first). Changing, removing or inserting an entry anywhere breaks the link at
that point, and :func:`chain_verify` names the first broken one.

The hash is computed at the last moment before the INSERT (:func:`entries_seal`, called from
``AuditEntry._save_table`` after every ``pre_save`` receiver has run: auditlog fills ``actor``,
``remote_addr`` and ``remote_port`` there), after the values have been put in the form the database gives
back (JSON through a round trip, the time in UTC, the canonical IPv6 form...): what is hashed is what is
stored, on SQLite and PostgreSQL alike.

The list of hashed fields is fixed here on purpose rather than read from the model, so that hashes do not
change silently; a test checks that it names every column but the hash itself. A field added to
:class:`governance.models.AuditEntry` later needs a migration that re-seals the chain (as ``0006`` does).

What the chain does not prove on its own: that nobody removed the newest entries (the tail) or rewrote the
whole chain from some point on, recomputing every hash. Checkpoints close that gap
(:mod:`governance.audit_checkpoints`): the head's id, hash and count, recorded periodically in another
table and in the logs; :func:`governance.chain_verify.chain_verify` checks every checkpoint against the
chain. This module seals; :mod:`governance.chain_verify` verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import Field, ForeignKey, Model
from django.utils import timezone

if TYPE_CHECKING:
    from governance.models import AuditEntry

HASHED_FIELDS: tuple[str, ...] = (
    "id",
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
# Columns not in HASHED_FIELDS: the link (hashed separately, under its own key) and the hash itself.
CHAIN_FIELDS = ("prev_hash", "entry_hash")
JSON_FIELDS = frozenset({"serialized_data", "changes", "additional_data"})
# Any 64-bit number unique to this lock; PostgreSQL advisory locks share one key space per database.
ADVISORY_LOCK_KEY = 0x436F6E636F726441  # "ConcordA"
AUDIT_TABLE = "governance_auditentry"


def json_normalized(value: Any) -> Any:
    """The value as it comes back from a JSON column (tuples become lists, dates strings, ...).

    Entries store this form, so the hash computed before the insert equals the one recomputed later from
    the stored row, on SQLite (text) and on PostgreSQL (jsonb, which reorders keys) alike.
    """
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def timestamp_normalized(value: dt.datetime | None) -> dt.datetime | None:
    """The time as the database gives it back: aware, in UTC (a naive time is read in Django's zone)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(dt.UTC)


def stored_value(entry: Model, name: str) -> Any:
    """The value of field ``name`` (an attname) in the form the database returns it."""
    value = getattr(entry, name)
    if value is None:
        return None
    if name in JSON_FIELDS:
        return json_normalized(value)
    if name == "timestamp":
        return timestamp_normalized(value)
    # The field's own conversion (str for object_pk, the canonical IPv6 form for remote_addr, int for ids).
    model_field = entry._meta.get_field(name)  # by attname too: "actor_id" is the actor foreign key
    if isinstance(model_field, Field):
        return model_field.get_prep_value(value)
    return value


def canonical_content(entry: Model, prev_hash: str) -> bytes:
    """The bytes that are hashed: every hashed field, as the database stores it, and ``prev_hash``."""
    content: dict[str, Any] = {"prev_hash": prev_hash}
    for name in HASHED_FIELDS:
        value = stored_value(entry, name)
        if isinstance(value, dt.datetime):
            value = value.isoformat(timespec="microseconds")
        content[name] = value
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash_compute(entry: Model, prev_hash: str) -> str:
    return hashlib.sha256(canonical_content(entry, prev_hash)).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    entry_id: int | None
    entry_hash: str
    timestamp: dt.datetime | None


def chain_head(model: type[AuditEntry], using: str = "default") -> ChainHead:
    """The newest entry's id, hash and time (``entry_hash`` "" while the trail is empty). ``model`` is the
    audit entry model: this module sits below :mod:`governance.models`, which imports it."""
    row = model.objects.using(using).order_by("-id").values_list("id", "entry_hash", "timestamp").first()
    if row is None:
        return ChainHead(entry_id=None, entry_hash="", timestamp=None)
    return ChainHead(entry_id=row[0], entry_hash=row[1], timestamp=row[2])


def chain_lock(using: str = "default", rows: Sequence[Model] = ()) -> None:
    """Serialize appends to the chain until the current transaction ends. Call inside ``atomic()``, with
    ``rows`` the entries (or checkpoint) about to be inserted.

    Two writers that both read the same head would fork the chain (two entries with one ``prev_hash``).

    - PostgreSQL: a transaction-level advisory lock. It is held until commit or rollback, so a second
      writer reads the head only after the first writer's entry is visible. The cost: audit writes are
      serialized for the length of the writing transactions, so keep transactions that write audited
      changes short, and lock the rows they change before writing their entry.
      The lock must not be held while waiting for a row: a service holding ``select_for_update`` on a
      user and waiting for this lock would deadlock with us. So, before taking it, the transaction's
      deferred foreign-key checks run (Django defers them to COMMIT, where they would wait for such a
      row with the lock held) and the rows ``rows`` will point at (the actor, the content type) are
      locked FOR KEY SHARE, which their own checks at COMMIT then already hold.
    - SQLite: nothing to do. The settings open every transaction with ``BEGIN IMMEDIATE``, which takes the
      database's single write lock before the head is read, so writers are already serialized.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        connection.check_constraints()  # SET CONSTRAINTS ALL IMMEDIATE, then back to DEFERRED
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table, column, ids in _referenced_rows(rows):
                cursor.execute(
                    f"SELECT 1 FROM {quote(table)} WHERE {quote(column)} = ANY(%s) FOR KEY SHARE",  # noqa: S608
                    [sorted(ids)],
                )
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    elif connection.vendor != "sqlite":
        raise NotImplementedError(f"the audit chain has no lock for {connection.vendor}")


def _referenced_rows(rows: Sequence[Model]) -> list[tuple[str, str, set[Any]]]:
    """(table, column, ids) of the rows that the foreign keys of ``rows`` point at."""
    referenced: dict[tuple[str, str], set[Any]] = {}
    for row in rows:
        for field in row._meta.concrete_fields:
            value = getattr(row, field.attname)
            if not isinstance(field, ForeignKey) or value is None:
                continue
            key = (field.target_field.model._meta.db_table, field.target_field.column)
            referenced.setdefault(key, set()).add(value)
    return [(table, column, ids) for (table, column), ids in sorted(referenced.items())]


def entry_ids_allocate(count: int, head: ChainHead, using: str = "default") -> list[int]:
    """``count`` new ids, ascending and above every id handed out before. Callers hold :func:`chain_lock`.

    The id is part of the hash, so it is chosen before the INSERT rather than by it: from the table's
    identity sequence on PostgreSQL, from SQLite's AUTOINCREMENT counter (never reused, even after the
    newest rows were deleted) there.
    """
    if count == 0:
        return []
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [AUDIT_TABLE, count],
            )
            return sorted(int(row[0]) for row in cursor.fetchall())
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [AUDIT_TABLE])
        row = cursor.fetchone()
    last = max(int(row[0]) if row else 0, head.entry_id or 0)
    return list(range(last + 1, last + 1 + count))


def entries_seal(entries: Sequence[AuditEntry], head: ChainHead, using: str = "default") -> None:
    """Link ``entries`` (in order) after ``head``: give them their ids, store-normalize them, hash them.

    Call at the last moment before the INSERT, with :func:`chain_lock` held: every value is hashed as it is
    stored. A timestamp is never earlier than the previous entry's, so timestamps never decrease along the
    chain (the audit browser turns a date range into an id range on that basis).
    """
    ids = entry_ids_allocate(len(entries), head, using)
    prev_hash, floor = head.entry_hash, head.timestamp
    for entry, entry_id in zip(entries, ids, strict=True):
        entry.id = entry_id
        for name in HASHED_FIELDS:
            setattr(entry, name, stored_value(entry, name))
        if floor is not None and entry.timestamp < floor:
            entry.timestamp = floor
        entry.prev_hash = prev_hash
        entry.entry_hash = entry_hash_compute(entry, prev_hash)
        prev_hash, floor = entry.entry_hash, entry.timestamp
