"""The filtered queue as CSV, streamed: the same rows the person sees on the page (same scope, filters,
search and order), every matching exception rather than one page, read in chunks so a large backlog
never sits in memory. Cells go through :mod:`core.csv_export` (no spreadsheet formulas)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sync.exceptions.permissions import AnyUser
from sync.exceptions.queue import QueueFilters, queue_iterate

HEADER = (
    "id",
    "title",
    "category",
    "severity",
    "status",
    "integration",
    "subsidiary",
    "owner",
    "due_at",
    "first_seen",
    "last_seen",
    "occurrences",
    "records",
    "vendor_code",
    "vendor_message",
)


def _when(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else ""


def queue_csv_rows(*, user: AnyUser, filters: QueueFilters) -> Iterator[Sequence[object]]:
    """The header, then one row per matching exception (lazy: rows are read as the download goes)."""
    yield HEADER
    for item in queue_iterate(user=user, filters=filters):
        records = " ".join(
            f"{record.get('system', '')}:{record.get('object_type', '')}:{record.get('id', '')}"
            for record in item.records or []
            if isinstance(record, dict)
        )
        yield (
            item.pk,
            item.title,
            item.category.key,
            item.severity,
            item.status,
            item.integration.name if item.integration else "",
            item.subsidiary.key if item.subsidiary else "",
            item.owner_label,
            _when(item.due_at),
            _when(item.first_seen),
            _when(item.last_seen),
            item.occurrence_count,
            records,
            item.vendor_code,
            item.vendor_message,
        )
