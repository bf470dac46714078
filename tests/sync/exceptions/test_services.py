"""exception_raise / exception_auto_resolve: one problem on one record is one exception."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.models import AuditEntry
from sync.exceptions.actions import exception_retry
from sync.exceptions.models import ExceptionAction, ExceptionCategory, ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.exceptions.services import exception_auto_resolve
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def test_it_counts_a_second_occurrence_on_the_same_open_exception() -> None:
    start = timezone.now()
    first = raise_sample(now=start)
    second = raise_sample(now=start + timedelta(minutes=5), vendor_message="Invalid amount again")
    assert second.pk == first.pk
    assert ExceptionItem.objects.filter(dedup_key=first.dedup_key).count() == 1
    second.refresh_from_db()
    assert second.occurrence_count == 2
    assert (second.first_seen, second.last_seen) == (start, start + timedelta(minutes=5))
    assert second.vendor_message == "Invalid amount again"
    assert len(second.records) == 2  # the same records are not listed twice


def test_it_reopens_a_resolved_exception_with_a_history_entry() -> None:
    item = raise_sample()
    exception_auto_resolve(dedup_key=item.dedup_key, note="Synced on the next run")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED and item.closed_at is not None

    again = raise_sample()
    assert again.pk == item.pk
    assert again.status == ExceptionStatus.OPEN and again.closed_at is None
    assert again.occurrence_count == 2
    actions = list(again.events.values_list("action", flat=True))
    assert actions == [ExceptionAction.RAISED, ExceptionAction.AUTO_RESOLVED, ExceptionAction.REOPENED]
    reopened = again.events.get(action=ExceptionAction.REOPENED)
    assert (reopened.before, reopened.after) == ({"status": "resolved"}, {"status": "open"})


def test_it_keeps_an_ignored_exception_ignored_and_counts() -> None:
    item = raise_sample()
    ExceptionItem.objects.filter(pk=item.pk).update(status=ExceptionStatus.IGNORED)
    again = raise_sample()
    assert again.pk == item.pk and again.status == ExceptionStatus.IGNORED and again.occurrence_count == 2


def test_it_keeps_different_records_apart() -> None:
    one = raise_sample(key="sync_failure:Opportunity:006A")
    other = raise_sample(key="sync_failure:Opportunity:006B")
    assert one.pk != other.pk


def test_it_refuses_a_second_active_row_for_a_key_in_the_database() -> None:
    item = raise_sample()
    duplicate = ExceptionItem(
        category=item.category,
        dedup_key=item.dedup_key,
        title="dup",
        first_seen=item.first_seen,
        last_seen=item.last_seen,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    duplicate.status = ExceptionStatus.RESOLVED  # closed rows with the same key are history, allowed
    duplicate.save()


def test_it_sets_owner_and_due_time_from_the_category(revops: object) -> None:
    from django.contrib.auth.models import Group

    category = ExceptionCategory.objects.create(
        key="sync_failure",
        name="Sync failure",
        sla=timedelta(hours=4),
        default_owner_group=Group.objects.get(name="RevOps"),
    )
    now = timezone.now()
    item = raise_sample(now=now)
    assert item.category == category
    assert item.owner_group == category.default_owner_group and item.due_at == now + timedelta(hours=4)
    assert item.subsidiary is not None and item.subsidiary.key == "SUB-A"


def test_it_creates_an_unknown_category_on_first_use() -> None:
    item = raise_sample(category="blocked_rule")
    assert item.category.name == "Blocked by a rule"


def test_it_audits_opening_and_automatic_resolution() -> None:
    item = raise_sample()
    exception_auto_resolve(dedup_key=item.dedup_key, note="gone")
    entries = AuditEntry.objects.filter(object_pk=str(item.pk), content_type__model="exceptionitem")
    events = sorted(str((entry.additional_data or {}).get("event")) for entry in entries)
    assert events == ["exception_auto_resolved", "exception_raised"]
    resolved = entries.get(additional_data__event="exception_auto_resolved")
    assert resolved.changes == {"status": ["open", "resolved"]}
    assert resolved.additional_data["reason"] == "gone"


def test_it_does_nothing_when_auto_resolving_a_key_with_no_open_exception() -> None:
    assert exception_auto_resolve(dedup_key="never-raised") is None


def test_it_rejects_an_unknown_severity() -> None:
    with pytest.raises(ValueError):
        raise_sample(severity="apocalyptic")


def test_it_reopens_an_exception_whose_retry_fails_again_with_the_new_error(
    revops: User, retry_calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample()
    raise_sample(vendor_message="Invalid amount, again")  # a plain recurrence only counts
    assert not item.events.filter(action=ExceptionAction.RETRY_FAILED).exists()
    subsidiary_scope_grant(holder=revops, subsidiary=None)
    with django_capture_on_commit_callbacks(execute=True):
        exception_retry(item=item, user=revops)
    assert retry_calls and ExceptionItem.objects.get(pk=item.pk).status == ExceptionStatus.IN_PROGRESS

    raise_sample(vendor_code="INVALID_KEY_OR_REF", vendor_message="Invalid currency reference key 99.")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.OPEN and item.vendor_code == "INVALID_KEY_OR_REF"
    failed = item.events.get(action=ExceptionAction.RETRY_FAILED)
    assert failed.reason == "INVALID_KEY_OR_REF: Invalid currency reference key 99."
    assert failed.before == {"status": "in_progress", "error": "INVALID_FLD_VALUE: Invalid amount, again"}
    entry = AuditEntry.objects.filter(additional_data__event="exception_retry_failed").get()
    assert entry.object_pk == str(item.pk)
