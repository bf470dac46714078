"""Subsidiaries, departments, classes and locations read from NetSuite, with their names, so that people
can be granted "EMEA" (and route by department) before any exception names one.

:func:`netsuite_lists_read` reads one NetSuite connection over SuiteQL through its connector
(:meth:`~sync.connections.connectors.netsuite.NetSuiteConnector.subsidiaries` and
:meth:`~sync.connections.connectors.netsuite.NetSuiteConnector.list_values`) and brings the stored rows in
line: new ones are added, renamed ones get their new name, and ones gone from NetSuite are marked inactive,
never deleted, so a grant is never lost silently (an inactive subsidiary's grants stay, and show).

An account without OneWorld has no subsidiary table (SuiteQL refuses the query): it is one legal entity,
stored as one row with a blank ``netsuite_id`` (the row :mod:`sync.exceptions.scope` uses for a
connection marked ``single_entity``), and the result says so.

Run it from the connection's lists page, ``POST /api/v1/subsidiaries/read/``,
``manage.py netsuite_lists_read CONNECTION`` or on a schedule (``sync.tasks.netsuite_lists_read_task``).
Each read is one audit entry on the connection, with what changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from auditlog.context import disable_auditlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.fields import field_fit
from core.schedules import ScheduleSpec
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.netsuite import LIST_TABLES
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import netsuite_connector
from sync.exceptions.models import NetSuiteListValue, Subsidiary
from sync.exceptions.permissions import AnyUser, can_read_netsuite_lists
from sync.exceptions.scope import single_entity_name, subsidiary_get_or_create

logger = logging.getLogger(__name__)

NETSUITE_LISTS_SPEC = ScheduleSpec(
    key="netsuite-lists",
    name="sync: NetSuite lists read",
    func="sync.tasks.netsuite_lists_read_task",
    label="NetSuite lists",
    description="Reads every active NetSuite account's subsidiaries, departments, classes and locations with "
    "their names: a renamed subsidiary is renamed here, one gone from NetSuite is marked inactive.",
    default_daily=time(3, 0),
)


@dataclass
class ListsRead:
    """What one read found and changed."""

    connection: str
    single_entity: bool = False
    subsidiaries: int = 0
    created: int = 0
    renamed: int = 0
    inactivated: int = 0
    lists: dict[str, int] = field(default_factory=dict)  # kind -> rows read (absent: feature off)
    changes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.single_entity:
            head = (
                f"{self.connection} has no subsidiaries (a NetSuite account without OneWorld): it is one "
                "legal entity, kept as one row to grant."
            )
        else:
            head = f"{self.subsidiaries} subsidiaries read from {self.connection}"
            head += (
                f" ({self.created} new, {self.renamed} renamed, {self.inactivated} no longer in NetSuite)."
            )
        lists = ", ".join(f"{count} {kind}" for kind, count in self.lists.items())
        off = [kind for kind in LIST_TABLES if kind not in self.lists]
        tail = f" Lists: {lists}." if lists else ""
        if off:
            tail += f" Not enabled in this account: {', '.join(off)}."
        return head + tail


def netsuite_lists_read(
    *, connection: Connection, user: AnyUser | None = None, now: datetime | None = None
) -> ListsRead:
    """Read the subsidiaries and the classification lists of ``connection`` now (``user=None``: the
    system, a schedule or a command). Raises the connector's error when NetSuite cannot be read."""
    if user is not None and not can_read_netsuite_lists(user):
        raise PermissionDenied("Only admins and Finance read NetSuite's lists.")
    if connection.kind != ConnectionKind.NETSUITE:
        raise ValidationError(f"{connection.name} is not a NetSuite connection.")
    now = now or timezone.now()
    connector = netsuite_connector(connection)
    rows = None if connection.single_entity else connector.subsidiaries()
    lists = {kind: connector.list_values(kind) for kind in LIST_TABLES}
    result = ListsRead(connection=connection.name)
    with transaction.atomic(), disable_auditlog():  # one entry below says what changed
        if rows is None:
            _single_entity(connection, result, now)
        else:
            _subsidiaries(connection, rows, result, now)
        for kind, values in lists.items():
            if values is not None:
                result.lists[kind] = len(values)
                _list_values(connection, kind, values, result, now)
        audit_record(
            obj=connection,
            actor=user,
            action=AuditAction.ACCESS,
            event="netsuite_lists_read",
            single_entity=result.single_entity,
            subsidiaries=result.subsidiaries,
            lists=result.lists,
            changed=result.changes[:200],
        )
    return result


def _single_entity(connection: Connection, result: ListsRead, now: datetime) -> None:
    result.single_entity = True
    result.subsidiaries = 1
    entity = subsidiary_get_or_create(connection, "", single_entity_name(connection))
    if entity.read_at is None:
        result.created += 1
        result.changes.append(f"subsidiary {entity.key}: the account's single entity")
    entity.read_at, entity.is_inactive = now, False
    entity.save(update_fields=["read_at", "is_inactive"])


def _flag(value: Any) -> bool:
    return str(value).upper() in ("T", "TRUE")


def _subsidiaries(
    connection: Connection, rows: list[dict[str, Any]], result: ListsRead, now: datetime
) -> None:
    result.subsidiaries = len(rows)
    seen: dict[str, Subsidiary] = {}
    for row in rows:
        netsuite_id = str(row["id"])
        name = field_fit(Subsidiary, "name", str(row.get("name") or ""))
        known = Subsidiary.objects.filter(netsuite_connection=connection, netsuite_id=netsuite_id).first()
        subsidiary = known or subsidiary_get_or_create(connection, netsuite_id, name)
        if known is None:
            result.created += 1
            result.changes.append(f"subsidiary {netsuite_id} {name!r}: new")
        elif known.name != name:
            if known.name:
                result.renamed += 1
            result.changes.append(f"subsidiary {netsuite_id}: {known.name!r} -> {name!r}")
        subsidiary.name = name
        subsidiary.is_inactive = _flag(row.get("isinactive"))
        subsidiary.country = field_fit(Subsidiary, "country", str(row.get("country") or ""))
        subsidiary.currency = field_fit(Subsidiary, "currency", str(row.get("currency") or ""))
        subsidiary.read_at = now
        subsidiary.save()
        seen[netsuite_id] = subsidiary
    for row in rows:
        parent = seen.get(str(row.get("parent") or ""))
        child = seen[str(row["id"])]
        if child.parent_id != (parent.pk if parent else None):
            child.parent = parent
            child.save(update_fields=["parent"])
    gone = Subsidiary.objects.filter(netsuite_connection=connection, is_inactive=False).exclude(
        netsuite_id__in=[*seen, ""]
    )
    for subsidiary in gone:
        result.inactivated += 1
        result.changes.append(f"subsidiary {subsidiary.netsuite_id} {subsidiary.name!r}: gone from NetSuite")
    gone.update(is_inactive=True)


def _list_values(
    connection: Connection, kind: str, rows: list[dict[str, Any]], result: ListsRead, now: datetime
) -> None:
    seen = []
    for row in rows:
        netsuite_id = str(row["id"])
        seen.append(netsuite_id)
        name = field_fit(NetSuiteListValue, "name", str(row.get("name") or ""))
        value, created = NetSuiteListValue.objects.get_or_create(
            connection=connection, kind=kind, netsuite_id=netsuite_id, defaults={"name": name, "read_at": now}
        )
        if not created and value.name != name:
            result.changes.append(f"{kind} {netsuite_id}: {value.name!r} -> {name!r}")
        value.name = name
        value.parent_netsuite_id = str(row.get("parent") or "")
        value.is_inactive = _flag(row.get("isinactive"))
        value.read_at = now
        value.save()
    NetSuiteListValue.objects.filter(connection=connection, kind=kind, is_inactive=False).exclude(
        netsuite_id__in=seen
    ).update(is_inactive=True)


def netsuite_lists_read_all(*, now: datetime | None = None) -> list[ListsRead]:
    """Read every active NetSuite connection (the schedule's entry point); a connection NetSuite does not
    answer for is logged and skipped, and the others are read."""
    results = []
    for connection in Connection.objects.filter(kind=ConnectionKind.NETSUITE, is_active=True).order_by("pk"):
        try:
            results.append(netsuite_lists_read(connection=connection, now=now))
        except (ConnectorError, ValueError) as error:  # ValueError: a misconfigured connection
            logger.warning("reading NetSuite's lists of %s failed: %s", connection.name, error)
    return results
