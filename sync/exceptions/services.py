"""Opening and closing exceptions: the entry point every stage that finds a problem calls.

The sync pipeline, the rules engine and reconciliation call :func:`exception_raise` for a problem a person
must look at, and :func:`exception_auto_resolve` when a later run finds it gone. The same ``dedup_key``
(one problem on one record) always lands on the same exception: a second occurrence counts, a resolved
one reopens with a history entry, an ignored one stays ignored and only counts.

People's actions on an exception live in :mod:`sync.exceptions.actions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from auditlog.context import disable_auditlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.fields import field_fit
from sync.exceptions.causes import cause_key_for
from sync.exceptions.events import event_record
from sync.exceptions.models import (
    ACTIVE_STATUSES,
    ExceptionAction,
    ExceptionCategory,
    ExceptionItem,
    ExceptionStatus,
    Severity,
    Subsidiary,
)
from sync.exceptions.policy import category_for_key
from sync.exceptions.retry import retry_finished
from sync.exceptions.scope import ExceptionScope, subsidiary_resolve
from sync.exceptions.tickets import ticket_open
from sync.pipeline.problems import RecordRef


def exception_raise(
    *,
    category: str,
    dedup_key: str,
    title: str,
    severity: str | None = None,
    records: Sequence[RecordRef] = (),
    subsidiary: str | None = None,
    scope: ExceptionScope | None = None,
    vendor_code: str = "",
    vendor_message: str = "",
    error_path: str = "",
    mapping_row: str | None = None,
    rule: str | None = None,
    details: Mapping[str, Any] | None = None,
    retry_task: str | None = None,
    retry_kwargs: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    awaiting_approval: bool = False,
) -> ExceptionItem:
    """Open (or count again, or reopen) the exception for ``dedup_key``; returns it.

    ``retry_task`` is the dotted path of a function decorated with
    :func:`sync.exceptions.retry.retryable`; a retry calls it as
    ``func(**retry_kwargs, overrides={field: value})`` in a django-q2 task, so it must be idempotent.
    ``details`` is free JSON shown on the page; ``details["values"] = {field: {system: value}}`` lets a
    person accept one system's value. Safe to call concurrently for the same key.

    ``scope`` says where the records live; :mod:`sync.exceptions.scope` derives the subsidiary
    from it (every source passes one). ``subsidiary`` names a subsidiary by its key instead. The newest
    occurrence that names a subsidiary sets it. ``scope.integration_id`` sets the integration the
    exception belongs to (people limited to other integrations never see it).

    ``category`` is a key; an unknown one is created with the shipped defaults
    (:func:`sync.exceptions.policy.category_for_key`). Without ``severity`` the category's default
    severity applies.

    ``awaiting_approval``: a new or reopened exception waits in ``pending_approval`` until a finance
    approver approves it (:func:`sync.exceptions.actions.exception_approve`), which runs its retry.

    Each occurrence sets the exception's cause key (:mod:`sync.exceptions.causes`), which puts it in a
    group with the other exceptions of the same cause.
    """
    if severity is not None and severity not in Severity.values:
        raise ValueError(f"unknown severity {severity!r}")
    found_category = category_for_key(key=category)
    severity = severity or found_category.default_severity
    now = now or timezone.now()
    fields: dict[str, Any] = {
        "title": field_fit(ExceptionItem, "title", title),
        "severity": severity,
        "records": [asdict(record) for record in records],
        "vendor_code": field_fit(ExceptionItem, "vendor_code", vendor_code),
        "vendor_message": vendor_message,
        "error_path": field_fit(ExceptionItem, "error_path", error_path),
        "mapping_row": field_fit(ExceptionItem, "mapping_row", mapping_row or ""),
        "rule": field_fit(ExceptionItem, "rule", rule or ""),
        "details": dict(details or {}),
        "retry_task": retry_task or "",
        "retry_kwargs": dict(retry_kwargs or {}),
    }
    found = _subsidiary(subsidiary) if subsidiary else subsidiary_resolve(scope)
    if found is not None:
        fields["subsidiary"] = found
    if scope is not None and scope.integration_id is not None:
        fields["integration_id"] = scope.integration_id
    fields["cause_key"] = cause_key_for(
        category=found_category.key,
        integration_id=fields.get("integration_id"),
        # The stored (fitted) values: the backfill and a later reading compute the same key from them.
        vendor_code=fields["vendor_code"],
        vendor_message=vendor_message,
        error_path=fields["error_path"],
        mapping_row=fields["mapping_row"],
        rule=fields["rule"],
        details=fields["details"],
    )
    for _ in range(3):
        try:
            with transaction.atomic():
                return _raise_once(found_category, dedup_key, fields, now, awaiting_approval)
        except IntegrityError:
            # Another worker opened the same key between our read and our insert: read it again.
            continue
    raise RuntimeError(f"could not open exception {dedup_key!r}")


def _raise_once(
    category: ExceptionCategory,
    dedup_key: str,
    fields: dict[str, Any],
    now: datetime,
    awaiting_approval: bool = False,
) -> ExceptionItem:
    same_key = ExceptionItem.objects.select_for_update().filter(dedup_key=dedup_key)
    item = same_key.filter(status__in=ACTIVE_STATUSES).first()
    if item is not None:
        retried = item.status == ExceptionStatus.IN_PROGRESS
        before = {"status": item.status, "error": _error_text(item.vendor_code, item.vendor_message)}
        _apply(item, fields, now)
        if retried:
            # A retry (or a value change's retry) failed again: back to open with the new error, and
            # the failure in the history.
            item.status = ExceptionStatus.OPEN
        with disable_auditlog():  # a recurrence is counted, not audited; a failed retry is, below
            item.save()
        if retried:
            error = _error_text(item.vendor_code, item.vendor_message) or item.title
            retry_finished(item=item, failed=True, error=error)
            event_record(
                item,
                action=ExceptionAction.RETRY_FAILED,
                reason=error,
                before=before,
                after={"status": item.status, "error": error},
                now=now,
            )
        return item
    item = same_key.order_by("-last_seen", "-id").first()
    if item is not None and item.status == ExceptionStatus.IGNORED:
        _apply(item, fields, now)
        with disable_auditlog():
            item.save()
        return item
    if item is not None:
        before = {"status": item.status}
        _apply(item, fields, now)
        item.status = ExceptionStatus.PENDING_APPROVAL if awaiting_approval else ExceptionStatus.OPEN
        item.closed_at = None
        _assign_default_owner(item, category, now)
        with disable_auditlog():
            item.save()
        event_record(
            item,
            action=ExceptionAction.REOPENED,
            reason="It happened again.",
            before=before,
            after={"status": item.status},
            now=now,
        )
    else:
        item = ExceptionItem(
            category=category,
            dedup_key=field_fit(ExceptionItem, "dedup_key", dedup_key),
            first_seen=now,
            last_seen=now,
            **fields,
        )
        if awaiting_approval:
            item.status = ExceptionStatus.PENDING_APPROVAL
        _assign_default_owner(item, category, now)
        item.full_clean(exclude=["category", "subsidiary", "dedup_key"], validate_constraints=False)
        # The savepoint keeps a duplicate insert (a concurrent raise) from breaking the outer transaction.
        with transaction.atomic(), disable_auditlog():
            item.save()
        event_record(item, action=ExceptionAction.RAISED, after={"status": item.status}, now=now, create=True)
    if category.auto_ticket:
        ticket_open(item=item, now=now)
    return item


def _apply(item: ExceptionItem, fields: dict[str, Any], now: datetime) -> None:
    """The newest occurrence's facts win; records seen before stay listed."""
    records = list(item.records)
    for record in fields["records"]:
        if record not in records:
            records.append(record)
    for name, value in fields.items():
        setattr(item, name, value)
    item.records = records
    item.occurrence_count += 1
    item.last_seen = now


def _assign_default_owner(item: ExceptionItem, category: ExceptionCategory, now: datetime) -> None:
    item.owner_user = category.default_owner_user
    item.owner_group = category.default_owner_group
    item.escalation_level = 0
    item.due_at = now + category.sla


def _subsidiary(key: str | None) -> Subsidiary | None:
    if not key:
        return None
    subsidiary, _ = Subsidiary.objects.get_or_create(key=field_fit(Subsidiary, "key", key))
    return subsidiary


def exception_auto_resolve(
    *, dedup_key: str, note: str = "", now: datetime | None = None
) -> ExceptionItem | None:
    """Close the active exception for ``dedup_key`` because the problem is gone; None when none is open."""
    now = now or timezone.now()
    with transaction.atomic():
        item = (
            ExceptionItem.objects.select_for_update()
            .filter(dedup_key=dedup_key, status__in=ACTIVE_STATUSES)
            .first()
        )
        if item is None:
            return None
        before = {"status": item.status}
        item.status = ExceptionStatus.RESOLVED
        item.closed_at = now
        with disable_auditlog():
            item.save(update_fields=["status", "closed_at"])
        retry_finished(item=item, failed=False)
        event_record(
            item,
            action=ExceptionAction.AUTO_RESOLVED,
            reason=note or "The problem is gone.",
            before=before,
            after={"status": item.status},
            now=now,
        )
    return item


def _error_text(code: str, message: str) -> str:
    return f"{code}: {message}" if code and message else code or message
