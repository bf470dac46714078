"""Which sales orders NetSuite has moved on (pure decisions), and the company's lock setting (audited)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync.lifecycle.locks import (
    order_lock_checker,
    order_lock_of,
    order_lock_setting,
    order_lock_setting_set,
    status_code_of,
)
from sync.lifecycle.models import LockFrom


def order(status: Any, *lines: dict[str, Any]) -> dict[str, Any]:
    return {"id": "77", "orderStatus": status, "item": {"items": list(lines) or [{"quantity": 1}]}}


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("C", "Cancelled"),
        ("D", "Partially Fulfilled"),
        ("F", "Pending Billing"),
        ("G", "Billed"),
        ("H", "Closed"),
    ],
)
def test_billed_fulfilled_closed_and_cancelled_orders_are_always_locked(code: str, label: str) -> None:
    lock = order_lock_of(order({"id": code, "refName": label}))
    assert lock is not None
    assert (lock.sales_order_id, lock.status_code, lock.status_label) == ("77", code, label)
    assert lock.badge == f"Locked in NetSuite: {label}"


def test_an_open_order_is_editable_by_default_and_locked_from_approval_when_the_company_says_so() -> None:
    assert order_lock_of(order("B")) is None
    assert order_lock_of(order("A"), lock_from=LockFrom.APPROVED) is None
    lock = order_lock_of(order({"id": "B"}), lock_from=LockFrom.APPROVED)
    assert lock is not None and lock.status_label == "Pending Fulfillment"


def test_a_line_fulfilled_billed_or_every_line_closed_locks_an_order_whatever_its_status_says() -> None:
    fulfilled = order_lock_of(order("B", {"quantity": 2, "quantityFulfilled": 1}))
    assert fulfilled is not None and fulfilled.status_label == "Partially Fulfilled"
    billed = order_lock_of(order("B", {"quantity": 2, "quantityBilled": 2}))
    assert billed is not None and billed.status_label == "Billed"
    closed = order_lock_of(order("B", {"isClosed": True}, {"isClosed": True}))
    assert closed is not None and closed.status_code == "H"
    assert order_lock_of(order("B", {"isClosed": True}, {"isClosed": False})) is None


def test_the_message_names_the_order_its_status_and_the_opportunity() -> None:
    lock = order_lock_of(order("G"))
    assert lock is not None
    text = lock.message("006A")
    assert "Sales order 77 is Billed in NetSuite" in text and "006A" in text


def test_status_code_of_reads_a_reference_or_a_bare_code() -> None:
    assert status_code_of({"orderStatus": {"id": "G", "refName": "Billed"}}) == "G"
    assert status_code_of({"orderStatus": "B"}) == "B"
    assert status_code_of({}) == ""


def test_the_checker_reads_only_sales_orders() -> None:
    reads: list[tuple[str, str]] = []

    def read(kind: str, pk: str) -> dict[str, Any]:
        reads.append((kind, pk))
        return {"orderStatus": "G"}

    check = order_lock_checker(read, lock_from=LockFrom.FULFILLED)
    assert check("customer", "5") is None
    lock = check("salesOrder", "9")
    assert lock is not None and lock.sales_order_id == "9"
    assert reads == [("salesOrder", "9")]


@pytest.mark.django_db
def test_the_setting_defaults_to_fulfilled_and_a_change_is_audited(finance: User) -> None:
    assert order_lock_setting().lock_from == LockFrom.FULFILLED
    order_lock_setting_set(user=finance, lock_from=LockFrom.APPROVED, reason="final once approved")
    assert order_lock_setting().lock_from == LockFrom.APPROVED
    entry = AuditEntry.objects.filter(additional_data__event="order_lock_setting_changed").get()
    assert entry.actor == finance
    assert entry.changes == {"lock_from": ["fulfilled", "approved"]}
    with pytest.raises(ValidationError):
        order_lock_setting_set(user=finance, lock_from="never", reason="")


@pytest.mark.django_db
def test_a_role_without_edit_or_approve_cannot_change_the_setting(auditor: User) -> None:
    with pytest.raises(PermissionDenied):
        order_lock_setting_set(user=auditor, lock_from=LockFrom.APPROVED)
    assert order_lock_setting().lock_from == LockFrom.FULFILLED
