"""Lookup table versions: draft -> submitted -> approved -> published (-> superseded), with four eyes.

The same life cycle, maker/checker rule and audit entries as mapping versions
(:mod:`sync.mappings.services.versions`): RevOps (``edit_mappings``) draft and submit a table's entries,
someone
else with ``approve_mappings`` approves and publishes them, and only then does the pipeline map with
them (it reads the published version alone: :func:`sync.mappings.services.lookups.static_tables`).
A release may carry an approved lookup version (:mod:`governance.releases`); its rollback publishes the
replaced version again.

The transitions are :mod:`sync.mappings.services.lifecycle`'s. Every transition is one explicit audit
entry (who, the event, the reason, the table); entry edits are audited row by row by auditlog and each
records its author as one of the version's makers. Publishing sets the table's ``revision``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import AuditAction, audit_record
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import LookupEntry, LookupTable, LookupVersion, VersionStatus
from sync.mappings.permissions import can_approve_mappings, can_edit_mappings
from sync.mappings.services import lifecycle as lifecycle
from sync.mappings.services.lifecycle import actor as _actor
from sync.mappings.services.lifecycle import makers as makers
from sync.mappings.services.lifecycle import require as require

KEY_MAX = 200
ENTRY_FIELDS = frozenset({"key", "value"})


def _revision_set(version: LookupVersion) -> None:
    LookupTable.objects.filter(pk=version.table_id).update(revision=version.number, updated_at=timezone.now())


LOOKUP_LIFECYCLE: lifecycle.VersionLifecycle[LookupVersion] = lifecycle.VersionLifecycle(
    model=LookupVersion,
    scope="table",
    require_maker=lambda user, version: require(user, can_edit_mappings, needs="edit_mappings"),
    may_approve=can_approve_mappings,
    audit_extra=lambda version: {"table": version.table.name},
    after_go_live=_revision_set,
    select_related=("table",),
)


def _next_number(table: LookupTable) -> int:
    return int(table.versions.aggregate(top=Max("number"))["top"] or 0) + 1


def published_lookup_version(table: LookupTable) -> LookupVersion | None:
    return table.versions.filter(status=VersionStatus.PUBLISHED).first()


def lookup_entries(version: LookupVersion) -> dict[str, Any]:
    """The version's entries as ``{key: value}``."""
    return dict(version.entries.order_by("key").values_list("key", "value"))


# -- input -------------------------------------------------------------------------------------------


def lookup_entries_parse(raw: Any) -> dict[str, Any]:
    """Entries from an import: ``{key: value}`` or ``[{"key": ..., "value": ...}, ...]``.

    Refuses, naming the row, a blank or overlong key, a key given twice, a row without a value and a
    row with fields other than ``key`` and ``value`` (a typo such as ``"vaule"`` must not map to null).
    """
    problems: list[str] = []
    entries: dict[str, Any] = {}
    for where, row in _entry_rows(raw):
        key, problem = _entry_key(row)
        if problem is None and key in entries:
            problem = f"duplicate key {key!r}"
        if problem is not None:
            problems.append(f"{where}: {problem}")
        else:
            entries[key] = row["value"]
    if problems:
        raise ValidationError(problems)
    return entries


def _entry_rows(raw: Any) -> list[tuple[str, Any]]:
    """The import's rows, each with how a problem names it (``key 'US'`` or ``row 3``)."""
    if isinstance(raw, Mapping):
        return [(f"key {key!r}", {"key": key, "value": value}) for key, value in raw.items()]
    if isinstance(raw, list):
        return [(f"row {number}", row) for number, row in enumerate(raw, start=1)]
    raise ValidationError('Give the entries as {"key": value, ...} or [{"key": ..., "value": ...}, ...].')


def _entry_key(row: Any) -> tuple[str, str | None]:
    """The row's key, stripped, or what is wrong with the row."""
    if not isinstance(row, Mapping):
        return "", "expected an object with key and value"
    unknown = sorted(set(row) - ENTRY_FIELDS)
    if unknown:
        return "", f"unknown field(s) {', '.join(unknown)} (only key and value)"
    if "value" not in row:
        return "", "no value"
    key = row.get("key")
    if not isinstance(key, str) or not key.strip():
        return "", "the key must be non-empty text"
    key = key.strip()
    if len(key) > KEY_MAX:
        return key, f"the key is longer than {KEY_MAX} characters"
    return key, None


def lookup_table_get(name: str, integration: Integration | None = None) -> LookupTable:
    """``integration``'s table named ``name`` (the primary integration's when None), or a clear error
    listing the tables it has."""
    owner = integration if integration is not None else primary_integration()
    tables = LookupTable.objects.filter(integration=owner)
    table = tables.filter(name=name).first()
    if table is None:
        known = ", ".join(tables.values_list("name", flat=True)) or "none"
        raise ValidationError(f"No lookup table {name!r} in integration {owner.name} (tables: {known}).")
    return table


# -- drafts ------------------------------------------------------------------------------------------


def lookup_version_create_draft(
    *,
    table: LookupTable,
    user: Any,
    based_on: LookupVersion | None = None,
    notes: str = "",
    entries: Any = None,
) -> LookupVersion:
    """A new draft of ``table``: a copy of ``based_on``, or of the published version, or empty; with
    ``entries`` (an import, see :func:`lookup_entries_parse`) in place of the copied ones. Bad entries
    are refused before anything is made."""
    require(user, can_edit_mappings, needs="edit_mappings")
    parsed = lookup_entries_parse(entries) if entries is not None else None
    with transaction.atomic():
        LookupTable.objects.select_for_update().get(pk=table.pk)  # serialises version numbers per table
        source = based_on or published_lookup_version(table)
        if source is not None and source.table_id != table.pk:
            raise ValidationError(f"{source} belongs to another table")
        version = LookupVersion.objects.create(
            table=table,
            number=_next_number(table),
            notes=notes,
            based_on=source,
            created_by=_actor(user),
        )
        if parsed is None:
            parsed = lookup_entries(source) if source is not None else {}
        else:
            _touched(version, user)
        for key, value in parsed.items():
            LookupEntry.objects.create(version=version, key=key, value=value)
    return version


def lookup_draft_for(*, table: LookupTable, user: Any) -> LookupVersion:
    """The table's open draft (the newest), or a new one copied from the published version."""
    draft = table.versions.filter(status=VersionStatus.DRAFT).order_by("-number").first()
    return draft or lookup_version_create_draft(table=table, user=user)


def _require_draft(version: LookupVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(f"{version} is {version.status}; only a draft's entries change")


def _touched(version: LookupVersion, user: Any) -> None:
    if _actor(user) is not None:
        version.editors.add(user)


def lookup_draft_entry_set(*, version: LookupVersion, key: str, value: Any, user: Any) -> LookupEntry:
    """Set one entry of a draft (the published entries do not change until it is published)."""
    require(user, can_edit_mappings, needs="edit_mappings")
    key = key.strip()
    if not key or len(key) > KEY_MAX:
        raise ValidationError(f"Give the key to map (1 to {KEY_MAX} characters).")
    with transaction.atomic():
        version = LookupVersion.objects.select_for_update().get(pk=version.pk)
        _require_draft(version)
        entry = version.entries.filter(key=key).first()
        if entry is None:
            entry = LookupEntry(version=version, key=key, value=value)
        entry.value = value
        entry.save()
        _touched(version, user)
    return entry


def lookup_draft_entry_delete(*, version: LookupVersion, key: str, user: Any) -> None:
    """Remove one entry from a draft."""
    require(user, can_edit_mappings, needs="edit_mappings")
    with transaction.atomic():
        version = LookupVersion.objects.select_for_update().get(pk=version.pk)
        _require_draft(version)
        entry = version.entries.filter(key=key).first()
        if entry is None:
            raise ValidationError(f"{version} has no key {key!r}")
        entry.delete()
        _touched(version, user)


def lookup_version_import(*, version: LookupVersion, entries: Any, user: Any) -> LookupVersion:
    """Replace the draft's entries with ``entries`` (see :func:`lookup_entries_parse`)."""
    require(user, can_edit_mappings, needs="edit_mappings")
    parsed = lookup_entries_parse(entries)
    with transaction.atomic():
        version = LookupVersion.objects.select_for_update().get(pk=version.pk)
        _require_draft(version)
        before = lookup_entries(version)
        for entry in version.entries.all():
            entry.delete()
        for key, value in parsed.items():
            LookupEntry.objects.create(version=version, key=key, value=value)
        _touched(version, user)
        audit_record(
            obj=version,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"entries": [len(before), len(parsed)]},
            event="import",
            table=version.table.name,
        )
    return version


# -- four eyes ---------------------------------------------------------------------------------------


def lookup_version_submit(*, version: LookupVersion, user: Any, reason: str = "") -> LookupVersion:
    """Send a draft for approval."""
    return lifecycle.submit(lifecycle=LOOKUP_LIFECYCLE, version=version, user=user, reason=reason)


def lookup_version_approve(*, version: LookupVersion, user: Any, reason: str = "") -> LookupVersion:
    """Approve a submitted version. Four eyes: none of its makers may approve it."""
    return lifecycle.approve(lifecycle=LOOKUP_LIFECYCLE, version=version, user=user, reason=reason)


def lookup_version_reject(*, version: LookupVersion, user: Any, reason: str) -> LookupVersion:
    """Send a submitted version back to draft, saying why."""
    return lifecycle.reject(lifecycle=LOOKUP_LIFECYCLE, version=version, user=user, reason=reason)


def lookup_version_publish(*, version: LookupVersion, user: Any, reason: str = "") -> LookupVersion:
    """Make an approved version the one the pipeline maps with; the previous one becomes superseded."""
    return lifecycle.publish(lifecycle=LOOKUP_LIFECYCLE, version=version, user=user, reason=reason)


# -- releases (governance.releases): the release's sign-offs stand in for approve_mappings --------------


def lookup_version_release_publish(*, version: LookupVersion, user: Any, reason: str) -> LookupVersion:
    """Publish ``version`` as one item of a release, exactly as it is (same id, same entries).

    An approved version is published; one published before (now superseded) is published again, which
    is how a release rollback restores the previous entries; a published version is left alone. The
    caller (``governance.releases.services``) checks ``approve_releases`` and holds the transaction.
    """
    return lifecycle.release_publish(lifecycle=LOOKUP_LIFECYCLE, version=version, user=user, reason=reason)


def lookup_table_release_unpublish(*, table: LookupTable, user: Any, reason: str) -> LookupVersion | None:
    """Supersede ``table``'s published version, leaving none (a rollback to before its first release).
    Returns the version taken down, if any."""
    return lifecycle.release_unpublish(lifecycle=LOOKUP_LIFECYCLE, scope=table, user=user, reason=reason)
