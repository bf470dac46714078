"""Import a lookup table from NetSuite: read the account's current ids by SuiteQL, propose the table, and
put it up for review as a lookup DRAFT (never touching the published version).

:func:`lookup_import` reads one table's records from a NetSuite connection (the sandbox one unless
another is chosen), through the connector's SuiteQL (paged by key), and computes the table by the rules
of :mod:`sync.mappings.services.lookup_sources` (its docstring has the table-by-table spec: which keys
NetSuite gives, which are kept, what an inactive record or an ambiguous key does). Then:

- the proposal equals the published entries: **no change**, no draft is made (an open draft is left
  alone: it is someone's work);
- a pending version (draft, submitted or approved) already holds exactly the proposal: **already
  proposed**, that version is answered, nothing new is made (importing twice makes one draft);
- else a **new draft**, based on the published version, with the proposal as its entries and a note
  saying where it came from. The four eyes of :mod:`sync.mappings.services.lookup_versions` apply from
  there: the importer is its maker, someone else approves, and publishing makes the ids live.

The diff against the published version (added / removed / changed keys, with the NetSuite names of the
ids) is in the answer and in the draft's ``netsuite_import`` audit entry, with the source: connection,
account, time, the SuiteQL queries and the notes (ambiguities, inactive records left out). The draft page
shows it from there. Keys NetSuite no longer has, or has only inactive, are removals in that diff.

RevOps (``edit_mappings``) import; the console's lookups page, ``POST /api/v1/lookup-tables/<table>/import/``
and ``manage.py lookup_import`` call this same service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditlog import get_logentry_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import netsuite_connector
from sync.integrations.models import Integration
from sync.integrations.sandboxes import another_integrations_connection, checking_connection
from sync.integrations.selectors import primary_integration
from sync.mappings.models import LookupTable, LookupVersion, VersionStatus
from sync.mappings.permissions import can_edit_mappings
from sync.mappings.services.lookup_sources import (
    SOURCES,
    ImportSource,
    Proposal,
    RecordTypeMissing,
    SuiteQLReader,
)
from sync.mappings.services.lookup_versions import (
    lookup_entries,
    lookup_version_create_draft,
    published_lookup_version,
    require,
)

IMPORT_EVENT = "netsuite_import"
PENDING = (VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.APPROVED)
NO_CHANGE, ALREADY_PROPOSED, DRAFTED = "no_change", "already_proposed", "drafted"
NAMES_KEPT = 2000  # ids whose NetSuite name the audit entry keeps (those in the diff)


class LookupImportRefused(ValidationError):
    """The table cannot be imported from this connection (not importable, wrong connection, or the
    account lacks the record type); the message says what to do."""


@dataclass
class LookupDiff:
    added: list[tuple[str, Any]] = field(default_factory=list)
    removed: list[tuple[str, Any]] = field(default_factory=list)
    changed: list[tuple[str, Any, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"


def lookup_diff(before: dict[str, Any], after: dict[str, Any]) -> LookupDiff:
    """Keys added, removed and changed from ``before`` (the published entries) to ``after``."""
    diff = LookupDiff()
    for key in sorted(set(before) | set(after)):
        if key not in before:
            diff.added.append((key, after[key]))
        elif key not in after:
            diff.removed.append((key, before[key]))
        elif before[key] != after[key]:
            diff.changed.append((key, before[key], after[key]))
    return diff


@dataclass
class LookupImport:
    """What one import found and did."""

    table: str
    connection: str
    status: str
    version: LookupVersion | None
    diff: LookupDiff
    names: dict[str, str]
    notes: list[str]
    queries: list[str]
    at: datetime

    @property
    def message(self) -> str:
        if self.status == NO_CHANGE:
            head = f"{self.table}: no change: NetSuite ({self.connection}) gives the published entries."
        elif self.status == ALREADY_PROPOSED and self.version is not None:
            head = (
                f"{self.table}: no new draft: {self.version} ({self.version.get_status_display().lower()}) "
                f"already holds what NetSuite gives ({self.diff.summary()} against the published version)."
            )
        else:
            head = (
                f"{self.table}: draft {self.version} made from NetSuite ({self.connection}): "
                f"{self.diff.summary()}. It maps nothing until someone else approves it and it is published."
            )
        return head

    def as_dict(self) -> dict[str, Any]:
        def named(value: Any) -> str:
            return self.names.get(str(value), "")

        return {
            "table": self.table,
            "connection": self.connection,
            "status": self.status,
            "version": self.version.pk if self.version is not None else None,
            "number": self.version.number if self.version is not None else None,
            "message": self.message,
            "added": [
                {"key": k, "value": v, "netsuite_name": named(v) or named(k)} for k, v in self.diff.added
            ],
            "removed": [
                {"key": k, "value": v, "netsuite_name": named(v) or named(k)} for k, v in self.diff.removed
            ],
            "changed": [
                {"key": k, "before": b, "after": a, "netsuite_name": named(a) or named(k)}
                for k, b, a in self.diff.changed
            ],
            "notes": self.notes,
        }


def importable_tables() -> list[str]:
    return sorted(SOURCES)


def import_connection(name: str | None = None, integration: Integration | None = None) -> Connection:
    """The NetSuite connection named ``name``, or ``integration``'s (the primary's when None) sandbox one,
    else its production one (drafts are checked against the sandbox, and production's ids come to it by
    the same review). Another integration's NetSuite account is refused: internal ids differ per
    account."""
    owner = integration if integration is not None else primary_integration()
    if not name:
        found = checking_connection(owner, ConnectionKind.NETSUITE)
        if found is None:
            raise LookupImportRefused(
                f"Integration {owner.name} has no NetSuite connection: an admin sets its sandbox or "
                "production NetSuite connection, or name one."
            )
        return found
    connection = Connection.objects.filter(name=name, kind=ConnectionKind.NETSUITE, is_active=True).first()
    if connection is None:
        raise LookupImportRefused(f"No active NetSuite connection named {name!r}.")
    if another_integrations_connection(owner, connection):
        raise LookupImportRefused(
            f"{connection.name} is another integration's NetSuite account, not {owner.name}'s."
        )
    return connection


def _source(name: str) -> ImportSource:
    source = SOURCES.get(name)
    if source is None:
        raise LookupImportRefused(
            f"{name!r} is not imported from NetSuite (importable: {', '.join(importable_tables())})."
        )
    return source


def _diff_names(diff: LookupDiff, names: dict[str, str]) -> dict[str, str]:
    ids = {str(k) for k, _ in diff.added + diff.removed} | {str(v) for _, v in diff.added + diff.removed}
    ids |= {str(part) for row in diff.changed for part in row}
    return {i: names[i] for i in sorted(ids) if i in names}


def lookup_import(
    *,
    table_name: str,
    user: Any,
    connection: Connection | None = None,
    now: datetime | None = None,
    integration: Integration | None = None,
) -> LookupImport:
    """Import ``integration``'s table ``table_name`` (the primary integration's when None) from NetSuite
    (``connection``, or the sandbox connection) as a draft for review; see the module docstring for when
    no draft is made. Raises :class:`LookupImportRefused` (a ValidationError) when the table or the
    account cannot give it, and the connector's error when NetSuite cannot be read; nothing is made
    then."""
    require(user, can_edit_mappings, needs="edit_mappings")
    owner = integration if integration is not None else primary_integration()
    connection = connection or import_connection(integration=owner)
    if connection.kind != ConnectionKind.NETSUITE:
        raise LookupImportRefused(f"{connection.name} is not a NetSuite connection.")
    source = _source(table_name)
    if source.record_type == "subsidiary" and connection.single_entity:
        raise LookupImportRefused(
            f"{table_name} cannot be imported from {connection.name}: it is marked single entity (no "
            "OneWorld, so no subsidiaries)."
        )
    table = LookupTable.objects.filter(integration=owner, name=table_name).first()
    published = published_lookup_version(table) if table is not None else None
    current = lookup_entries(published) if published is not None else {}
    reader = SuiteQLReader(netsuite_connector(connection))
    proposal = Proposal()
    try:
        source.build(reader, current, proposal)
    except RecordTypeMissing as error:
        raise LookupImportRefused(
            f"{table_name} cannot be imported from {connection.name}: {error}"
        ) from error
    proposal.queries = reader.queries
    at = now or timezone.now()
    diff = lookup_diff(current, proposal.entries)
    result = LookupImport(
        table=table_name,
        connection=connection.name,
        status=NO_CHANGE,
        version=None,
        diff=diff,
        names=proposal.names,
        notes=proposal.notes,
        queries=proposal.queries,
        at=at,
    )
    if not diff:
        _audit_no_change(table or connection, connection, user, result)
        return result
    with transaction.atomic():
        table, _ = LookupTable.objects.get_or_create(
            integration=owner, name=table_name, defaults={"description": source.description}
        )
        LookupTable.objects.select_for_update().get(pk=table.pk)
        for pending in table.versions.filter(status__in=PENDING).order_by("-number"):
            if lookup_entries(pending) == proposal.entries:
                result.status, result.version = ALREADY_PROPOSED, pending
                _audit_no_change(table, connection, user, result)
                return result
        notes = (
            f"Imported from NetSuite ({connection.name}, account {connection.account_id or '?'}) at "
            f"{at:%Y-%m-%d %H:%M} UTC: {diff.summary()}."
        )
        draft = lookup_version_create_draft(table=table, user=user, notes=notes, entries=proposal.entries)
        result.status, result.version = DRAFTED, draft
        audit_record(
            obj=draft,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"entries": [len(current), len(proposal.entries)]},
            event=IMPORT_EVENT,
            table=table_name,
            connection=connection.name,
            connection_id=connection.pk,
            at=at.isoformat(),
            queries=proposal.queries,
            summary=diff.summary(),
            names=dict(list(_diff_names(diff, proposal.names).items())[:NAMES_KEPT]),
            notes=proposal.notes[:200],
        )
    return result


def _audit_no_change(
    obj: LookupTable | Connection, connection: Connection, user: Any, result: LookupImport
) -> None:
    audit_record(
        obj=obj,
        actor=user,
        action=AuditAction.ACCESS,
        table=result.table,
        event=IMPORT_EVENT,
        outcome=result.status,
        version=result.version.pk if result.version is not None else None,
        connection=connection.name,
        connection_id=connection.pk,
        at=result.at.isoformat(),
        queries=result.queries,
    )


def lookup_import_source(version: LookupVersion) -> dict[str, Any] | None:
    """The ``netsuite_import`` audit entry's details of ``version`` (where its entries came from, and the
    NetSuite names of the ids in its diff), or ``None`` for a version typed by hand."""
    entry_model = get_logentry_model()
    for entry in entry_model.objects.get_for_object(version).order_by("-timestamp"):
        data = entry.additional_data or {}
        if data.get("event") == IMPORT_EVENT:
            return dict(data)
    return None
