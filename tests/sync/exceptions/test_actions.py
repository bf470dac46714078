"""People's actions on an exception: each one audited, financial changes approved by someone else."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError

from governance.models import AuditEntry
from governance.services import user_create, user_roles_set
from sync.exceptions import actions as actions
from sync.exceptions.actions import is_financial_field
from sync.exceptions.models import ExceptionAction, ExceptionStatus, OverrideKind, OverrideStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def _last_audit(item_pk: int) -> AuditEntry:
    return AuditEntry.objects.filter(object_pk=str(item_pk), content_type__model="exceptionitem").order_by(
        "-pk"
    )[0]


def test_it_retries_through_the_registered_function_after_commit(
    revops: User, retry_calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.exception_retry(item=item, user=revops, reason="NetSuite was down")
    assert retry_calls == []  # nothing runs before the transaction commits
    for callback in callbacks:
        callback()
    assert retry_calls == [{"opportunity_id": "006A", "overrides": {}}]
    item.refresh_from_db()
    assert item.status == ExceptionStatus.IN_PROGRESS
    event = item.events.get(action=ExceptionAction.RETRY)
    assert (event.actor, event.reason) == (revops, "NetSuite was down")
    audit = _last_audit(item.pk)
    assert audit.actor == revops and audit.additional_data == {
        "event": "exception_retry",
        "reason": "NetSuite was down",
    }
    assert audit.changes == {"status": ["open", "in_progress"]}


def test_it_refuses_to_retry_through_a_function_not_marked_retryable(revops: User) -> None:
    item = raise_sample(retry_task="tests.sync.exceptions.support.not_marked")
    with pytest.raises(ImproperlyConfigured):
        actions.exception_retry(item=item, user=revops)


def test_it_applies_a_plain_field_edit_at_once_and_retries_with_it(
    revops: User, retry_calls: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample()
    with django_capture_on_commit_callbacks(execute=True):
        override = actions.exception_override_propose(
            item=item, user=revops, field="Memo", new_value="PO 42", reason="typo", old_value="PO 4"
        )
    assert override.status == OverrideStatus.APPROVED and not override.is_financial
    assert retry_calls == [{"opportunity_id": "006A", "overrides": {"Memo": "PO 42"}}]
    event = item.events.get(action=ExceptionAction.OVERRIDE_PROPOSED)
    assert event.before["Memo"] == "PO 4" and event.after["Memo"] == "PO 42"


def test_it_holds_a_financial_edit_for_another_approver(
    revops: User,
    finance_everywhere: User,
    retry_calls: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = raise_sample()
    with django_capture_on_commit_callbacks(execute=True):
        override = actions.exception_override_propose(item=item, user=revops, field="Amount", new_value=1000)
    item.refresh_from_db()
    assert override.is_financial and override.status == OverrideStatus.PENDING
    assert item.status == ExceptionStatus.PENDING_APPROVAL and retry_calls == []
    with pytest.raises(PermissionDenied):  # revops cannot approve money
        actions.exception_override_approve(override=override, user=revops)
    with pytest.raises(ValidationError):  # nor retry around the approval
        actions.exception_retry(item=item, user=revops)

    with django_capture_on_commit_callbacks(execute=True):
        actions.exception_override_approve(override=override, user=finance_everywhere, reason="Matches PO")
    override.refresh_from_db()
    item.refresh_from_db()
    assert (override.status, override.approved_by) == (OverrideStatus.APPROVED, finance_everywhere)
    assert item.status == ExceptionStatus.IN_PROGRESS
    assert retry_calls == [{"opportunity_id": "006A", "overrides": {"Amount": 1000}}]
    assert _last_audit(item.pk).actor == finance_everywhere


def test_it_refuses_self_approval_of_a_financial_change(finance_everywhere: User) -> None:
    item = raise_sample()
    override = actions.exception_override_propose(
        item=item, user=finance_everywhere, field="SBQQ__NetAmount__c", new_value=5
    )
    with pytest.raises(PermissionDenied, match="you proposed"):
        actions.exception_override_approve(override=override, user=finance_everywhere)
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING

    second = user_create(username="frank", email="frank@concord.example")
    user_roles_set(user=second, roles=["Finance"])
    subsidiary_scope_grant(holder=second, subsidiary=None)
    second = User.objects.get(pk=second.pk)
    actions.exception_override_approve(override=override, user=second)
    override.refresh_from_db()
    assert override.approved_by == second


def test_it_accepts_the_other_systems_value_as_a_financial_change(revops: User) -> None:
    item = raise_sample()
    override = actions.exception_accept_other_value(item=item, user=revops, field="Amount", system="netsuite")
    assert override.kind == OverrideKind.ACCEPT_OTHER
    assert (override.new_value, override.old_value) == (1000, {"salesforce": 1200})
    assert override.is_financial and override.status == OverrideStatus.PENDING
    with pytest.raises(ValidationError):
        actions.exception_accept_other_value(item=item, user=revops, field="Amount", system="sap")


def test_it_rejects_a_pending_change_with_a_reason(revops: User, finance_everywhere: User) -> None:
    item = raise_sample()
    override = actions.exception_override_propose(item=item, user=revops, field="currency", new_value="EUR")
    with pytest.raises(ValidationError):
        actions.exception_override_reject(override=override, user=finance_everywhere, reason=" ")
    actions.exception_override_reject(override=override, user=finance_everywhere, reason="Wrong entity")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.OPEN
    assert item.overrides.get().status == OverrideStatus.REJECTED


def test_it_requires_a_reason_to_ignore(revops: User) -> None:
    item = raise_sample()
    with pytest.raises(ValidationError):
        actions.exception_ignore(item=item, user=revops, reason="  ")
    actions.exception_ignore(item=item, user=revops, reason="Test opportunity")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.IGNORED
    assert _last_audit(item.pk).additional_data["reason"] == "Test opportunity"


def test_it_resolves_assigns_and_comments_with_history(revops: User, finance: User) -> None:
    item = raise_sample()
    actions.exception_assign(item=item, user=revops, owner_user=finance, reason="Her entity")
    actions.exception_assign(item=item, user=revops, owner_group=Group.objects.get(name="RevOps"))
    actions.exception_comment(item=item, user=revops, text="Called NetSuite support")
    actions.exception_resolve(item=item, user=revops, reason="Fixed the item in NetSuite")
    item.refresh_from_db()
    assert item.status == ExceptionStatus.RESOLVED and item.owner_group is not None
    history = list(item.events.values_list("action", "actor__username", "reason"))
    assert history[1:] == [
        (ExceptionAction.ASSIGNED, "revops", "Her entity"),
        (ExceptionAction.ASSIGNED, "revops", ""),
        (ExceptionAction.COMMENTED, "revops", "Called NetSuite support"),
        (ExceptionAction.RESOLVED, "revops", "Fixed the item in NetSuite"),
    ]
    with pytest.raises(ValidationError):
        actions.exception_resolve(item=item, user=revops)  # closed already


def test_it_refuses_every_action_to_a_read_only_role(auditor: User) -> None:
    item = raise_sample()
    for call in (
        lambda: actions.exception_retry(item=item, user=auditor),
        lambda: actions.exception_resolve(item=item, user=auditor),
        lambda: actions.exception_comment(item=item, user=auditor, text="hi"),
        lambda: actions.exception_ignore(item=item, user=auditor, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()


@pytest.mark.parametrize(
    ("field", "financial"),
    [
        ("Amount", True),
        ("SBQQ__NetAmount__c", True),
        ("taxAmount", True),
        ("CurrencyIsoCode", True),
        ("revRecRule", True),
        ("Revenue_Treatment__c", True),
        ("UnitPrice", True),
        ("Memo", False),
        ("ShippingCity", False),
    ],
)
def test_it_knows_which_fields_are_financial(field: str, financial: bool) -> None:
    assert is_financial_field(field) is financial
