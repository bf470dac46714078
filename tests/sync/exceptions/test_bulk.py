"""Bulk actions (sync/exceptions/bulk.py): one reason on every exception, each through its own service
(history, audit, four eyes on money), the refused ones reported rather than undoing the others."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync.exceptions import actions
from sync.exceptions.bulk import exceptions_bulk
from sync.exceptions.models import ExceptionAction, ExceptionStatus, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def test_it_retries_a_selection_under_one_reason_but_not_one_waiting_for_a_second_approver(
    revops: User,
    finance_everywhere: User,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second, money = (raise_sample(key=f"sync:3:006B{n}") for n in range(3))
    actions.exception_override_propose(item=money, user=revops, field="Amount", new_value=1000)
    with django_capture_on_commit_callbacks(execute=True):
        result = exceptions_bulk(
            user=revops, item_ids=[first.pk, second.pk, money.pk], action="retry", reason="NetSuite is back"
        )
    assert result.done == [first.pk, second.pk]
    assert [(r.item_id, r.error) for r in result.refused] == [
        (money.pk, "A value change is waiting for approval.")
    ]
    assert len(retry_calls) == 2  # the financial change was not sent around its approver
    money.refresh_from_db()
    assert money.status == ExceptionStatus.PENDING_APPROVAL
    for item in (first, second):
        event = item.events.get(action=ExceptionAction.RETRY)
        assert (event.actor, event.reason) == (revops, "NetSuite is back")
        audit = AuditEntry.objects.filter(object_pk=str(item.pk), content_type__model="exceptionitem").latest(
            "pk"
        )
        assert audit.actor == revops and audit.additional_data["reason"] == "NetSuite is back"
    # The second day: the approver lets the money through, the same bulk retry now takes it.
    override = money.overrides.get()
    actions.exception_override_approve(override=override, user=finance_everywhere, reason="PO")
    money.refresh_from_db()
    assert money.status == ExceptionStatus.IN_PROGRESS


def test_it_resolves_ignores_and_assigns_in_bulk(revops: User) -> None:
    items = [raise_sample(key=f"sync:3:006R{n}") for n in range(3)]
    ids = [item.pk for item in items]
    team = Group.objects.create(name="finance-emea")
    assigned = exceptions_bulk(user=revops, item_ids=ids, action="assign", reason="EMEA", owner_group=team)
    assert assigned.done == ids
    assert {item.owner_group_id for item in type(items[0]).objects.filter(pk__in=ids)} == {team.pk}
    resolved = exceptions_bulk(user=revops, item_ids=ids[:2], action="resolve", reason="Fixed in NetSuite")
    assert resolved.done == ids[:2]
    # Already resolved ones are reported, the open one is ignored: nothing is rolled back.
    ignored = exceptions_bulk(user=revops, item_ids=ids, action="ignore", reason="Test data")
    assert ignored.done == [ids[2]]
    assert [r.item_id for r in ignored.refused] == ids[:2]
    assert "closed" in ignored.refused[0].error
    assert ignored.summary.startswith("Ignore: 1 done, 2 not (")


def test_it_reports_exceptions_outside_the_scope_as_not_found(finance: User) -> None:
    mine = raise_sample(key="sync:3:006S1", subsidiary="SUB-A")
    theirs = raise_sample(key="sync:3:006S2", subsidiary="SUB-B")
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    result = exceptions_bulk(
        user=finance, item_ids=[mine.pk, theirs.pk, 999999], action="resolve", reason="x"
    )
    assert result.done == [mine.pk]
    assert [(r.item_id, r.error) for r in result.refused] == [
        (theirs.pk, "No such exception."),
        (999999, "No such exception."),
    ]
    theirs.refresh_from_db()
    assert theirs.status == ExceptionStatus.OPEN


def test_it_refuses_a_bad_request_whole(revops: User, auditor: User) -> None:
    item = raise_sample(key="sync:3:006Z")
    with pytest.raises(ValidationError, match="Say why"):
        exceptions_bulk(user=revops, item_ids=[item.pk], action="resolve", reason="  ")
    with pytest.raises(ValidationError, match="one person or one group"):
        exceptions_bulk(user=revops, item_ids=[item.pk], action="assign", reason="x")
    with pytest.raises(ValidationError, match="Unknown bulk action"):
        exceptions_bulk(user=revops, item_ids=[item.pk], action="delete", reason="x")
    with pytest.raises(ValidationError, match="at most"):
        exceptions_bulk(user=revops, item_ids=range(1, 502), action="resolve", reason="x")
    with pytest.raises(PermissionDenied):
        exceptions_bulk(user=auditor, item_ids=[item.pk], action="resolve", reason="x")
    item.refresh_from_db()
    assert (
        item.status == ExceptionStatus.OPEN
        and not item.events.exclude(action=ExceptionAction.RAISED).exists()
    )
