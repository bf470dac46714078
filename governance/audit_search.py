"""Reads for the audit browser: filtered, keyset-paged entries, their diffs with secrets masked, CSV rows.

Pages go by id, newest first, with ``id < before`` instead of OFFSET, so page 20,000 costs what page 1
costs. Each filter has an index ending in id (see ``AuditEntry.Meta.indexes``); a date range becomes an id
range, which holds because timestamps never decrease along the chain (:func:`governance.chain.entries_seal`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from governance.models import AuditEntry
from governance.permissions import can_view_audit

PAGE_SIZE = 50
EXPORT_BATCH = 2000
MASK = "••••••"
# Defence in depth: secrets are excluded from the trail when a model is registered (governance.audit); a
# field that slipped through under a telling name is still never shown.
SECRET_NAME = re.compile(
    r"secret|passw|token|api[_-]?key|private[_-]?key|credential|signature", re.IGNORECASE
)


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    content_type_id: int | None = None
    object_pk: str = ""
    action: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    cid: str = ""
    flag: str = ""  # an AuditFlag value: only the entries flagged for review


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    changes: list[ChangeRow] = field(default_factory=list)


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None  # the ``before`` of the next (older) page; None on the last page


def audit_entries_filtered(*, user: User | AnonymousUser, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Entries matching ``filters`` (no order yet), or none for a user without ``view_audit``."""
    if not can_view_audit(user):
        return AuditEntry.objects.none()
    return _within_dates(AuditEntry.objects.filter(**_field_filters(filters)), filters)


def _field_filters(filters: AuditFilters) -> dict[str, Any]:
    """The column filters ``filters`` asks for, as ``filter()`` keywords."""
    lookups: dict[str, Any] = {}
    if filters.actor_id is not None:
        lookups["actor_id"] = filters.actor_id
    if filters.content_type_id is not None:
        lookups["content_type_id"] = filters.content_type_id
    if filters.object_pk:
        lookups["object_pk"] = filters.object_pk
    if filters.action is not None:
        lookups["action"] = filters.action
    if filters.cid:
        lookups["cid"] = filters.cid
    if filters.flag:
        # additional_data -> 'flag' on PostgreSQL: the expression of the index auditentry_flag_id.
        lookups["additional_data__flag"] = filters.flag
    return lookups


def _within_dates(entries: QuerySet[AuditEntry], filters: AuditFilters) -> QuerySet[AuditEntry]:
    """``entries`` cut to the date range, as an id range (see the module docstring)."""
    if filters.date_from is not None:
        first = _boundary_id(_day_start(filters.date_from), newest=False)
        entries = entries.filter(id__gte=first) if first is not None else entries.none()
    if filters.date_to is not None:
        last = _boundary_id(_day_start(filters.date_to + dt.timedelta(days=1)), newest=True)
        entries = entries.filter(id__lte=last) if last is not None else entries.none()
    return entries


def audit_page(entries: QuerySet[AuditEntry], *, before: int | None, size: int = PAGE_SIZE) -> AuditPage:
    """One page of ``entries``, newest first, starting below id ``before``."""
    if before is not None:
        entries = entries.filter(id__lt=before)
    found = list(entries.select_related("actor", "content_type").order_by("-id")[: size + 1])
    rows = [audit_row(entry) for entry in found[:size]]
    return AuditPage(rows=rows, next_before=found[size - 1].pk if len(found) > size else None)


def audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(entry=entry, changes=change_rows(entry.changes))


def change_rows(changes: dict[str, Any] | None) -> list[ChangeRow]:
    """auditlog's changes (``{field: [old, new]}``, or an m2m operation) as before/after rows, masked."""
    rows = []
    for name, values in sorted((changes or {}).items()):
        if SECRET_NAME.search(name):
            rows.append(ChangeRow(name, MASK, MASK))
        elif isinstance(values, dict):  # m2m: {"type": "m2m", "operation": "add", "objects": [...]}
            objects = ", ".join(str(item) for item in values.get("objects", []))
            verb = "added" if values.get("operation") == "add" else "removed"
            rows.append(ChangeRow(name, "", f"{verb}: {objects}"))
        elif isinstance(values, list | tuple) and len(values) == 2:
            rows.append(ChangeRow(name, _text(values[0]), _text(values[1])))
        else:
            rows.append(ChangeRow(name, "", _text(values)))
    return rows


def masked(data: Any) -> Any:
    """``data`` with the value under every secret-looking key replaced, at any depth."""
    if isinstance(data, dict):
        return {key: MASK if SECRET_NAME.search(str(key)) else masked(value) for key, value in data.items()}
    if isinstance(data, list):
        return [masked(item) for item in data]
    return data


CSV_HEADER = [
    "id",
    "timestamp",
    "actor",
    "action",
    "event",
    "model",
    "object_pk",
    "object",
    "changes",
    "correlation_id",
    "remote_addr",
    "prev_hash",
    "entry_hash",
    "flag",
]


def audit_csv_rows(entries: QuerySet[AuditEntry], *, batch: int = EXPORT_BATCH) -> Iterator[list[str]]:
    """Every entry of ``entries`` as CSV cells, newest first, read in keyset batches (bounded memory)."""
    yield CSV_HEADER
    before: int | None = None
    while True:
        page = audit_page(entries, before=before, size=batch)
        for row in page.rows:
            entry = row.entry
            cells = [
                str(entry.pk),
                entry.timestamp.isoformat(),
                entry.actor.get_username() if entry.actor else "",
                entry.get_action_display(),
                entry.event_label,
                f"{entry.content_type.app_label}.{entry.content_type.model}",
                entry.object_pk,
                entry.object_repr,
                json.dumps(masked(entry.changes or {}), sort_keys=True, ensure_ascii=False),
                entry.cid or "",
                entry.remote_addr or "",
                entry.prev_hash,
                entry.entry_hash,
                entry.flag_label,
            ]
            yield cells
        if page.next_before is None:
            return
        before = page.next_before


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _boundary_id(moment: dt.datetime, *, newest: bool) -> int | None:
    """The first entry at or after ``moment``, or (``newest``) the last one before it; via (timestamp, id)."""
    if newest:
        found = AuditEntry.objects.filter(timestamp__lt=moment).order_by("-timestamp", "-id")
    else:
        found = AuditEntry.objects.filter(timestamp__gte=moment).order_by("timestamp", "id")
    return found.values_list("id", flat=True).first()
