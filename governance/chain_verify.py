"""Verifying the audit trail's hash chain (:mod:`governance.chain` seals it): every link, every checkpoint.

:func:`chain_verify` walks every entry in id order and names the first broken link; the checkpoints and
any head given by hand must still be in the chain, so a removed or rewritten tail is caught too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from governance.chain import entry_hash_compute
from governance.models import AuditCheckpoint, AuditEntry

VERIFY_BATCH = 2000


@dataclass(frozen=True)
class BrokenLink:
    entry_id: int
    # "prev_hash" (a link to a missing or changed predecessor), "entry_hash" (changed content) or
    # "checkpoint" (a recorded head that the chain no longer holds: the tail was removed or rewritten).
    field: str
    expected: str
    stored: str
    detail: str = ""


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: BrokenLink | None
    head: str
    head_id: int | None = None
    checkpoints_checked: int = 0

    @property
    def intact(self) -> bool:
        return self.first_break is None


def chain_verify(*, batch_size: int = VERIFY_BATCH, expect: Sequence[ChainHeadRecord] = ()) -> ChainReport:
    """Walk every entry in id order and report the first broken link (memory bounded by ``batch_size``).

    Every checkpoint (:class:`governance.models.AuditCheckpoint`) and every head in ``expect`` (e.g. one
    copied from the logs) must still be in the chain: the entry it names, with the same hash, at the same
    position. A removed or rewritten tail fails that test even though the shorter chain links up.
    """
    recorded = _anchors_all(expect)
    anchors: dict[int, list[ChainHeadRecord]] = {}
    for anchor in recorded:
        anchors.setdefault(anchor.entry_id, []).append(anchor)
    prev_hash, checked, head_id = "", 0, None
    for entry in _entries_in_id_order(batch_size):
        checked += 1
        if entry.prev_hash != prev_hash:
            return ChainReport(checked, BrokenLink(entry.pk, "prev_hash", prev_hash, entry.prev_hash), "")
        expected = entry_hash_compute(entry, entry.prev_hash)
        if entry.entry_hash != expected:
            return ChainReport(checked, BrokenLink(entry.pk, "entry_hash", expected, entry.entry_hash), "")
        for anchor in anchors.pop(entry.pk, []):
            if anchor.entry_hash != entry.entry_hash or anchor.entry_count != checked:
                return ChainReport(checked, _anchor_broken(anchor, entry.entry_hash, checked), "")
        prev_hash, head_id = entry.entry_hash, entry.pk
    # Anchors beyond the head, or on an id the walk never met: their entry is gone.
    missing = sorted((a for group in anchors.values() for a in group), key=lambda a: a.entry_id)
    if missing:
        return ChainReport(checked, _anchor_broken(missing[0], "", None), "")
    checkpoints = sum(1 for anchor in recorded if anchor.source == "checkpoint")
    return ChainReport(checked, None, prev_hash, head_id, checkpoints)


@dataclass(frozen=True)
class ChainHeadRecord:
    """A head recorded outside the chain: a checkpoint row, or one given by hand (``source="expected"``)."""

    entry_id: int
    entry_hash: str
    entry_count: int
    source: str = "expected"
    label: str = ""


def _anchors_all(expect: Sequence[ChainHeadRecord]) -> list[ChainHeadRecord]:
    checkpoints: Iterable[AuditCheckpoint] = AuditCheckpoint.objects.order_by("id")
    recorded = [
        ChainHeadRecord(
            entry_id=c.entry_id,
            entry_hash=c.entry_hash,
            entry_count=c.entry_count,
            source="checkpoint",
            label=f"checkpoint {c.pk} of {c.created_at:%Y-%m-%d %H:%M:%S} UTC",
        )
        for c in checkpoints
        if c.entry_id is not None
    ]
    return [*recorded, *expect]


def _anchor_broken(anchor: ChainHeadRecord, found_hash: str, found_count: int | None) -> BrokenLink:
    label = anchor.label or "the expected head"
    if found_count is None:
        detail = f"{label} names entry {anchor.entry_id}, which the chain no longer holds"
    elif found_hash != anchor.entry_hash:
        detail = f"{label} recorded another hash for entry {anchor.entry_id}"
    else:
        detail = f"{label} counted {anchor.entry_count} entries up to it, the chain has {found_count}"
    return BrokenLink(anchor.entry_id, "checkpoint", anchor.entry_hash, found_hash, detail)


def _entries_in_id_order(batch_size: int) -> Iterator[AuditEntry]:
    # Keyset batches rather than one long cursor: bounded memory on every backend, no transaction held.
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
