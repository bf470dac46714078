"""Orders NetSuite has moved on: a sales order that is billed, fulfilled, closed, cancelled or past the
approval status the company chooses is never edited in place (issue 22, point 3).

Before the Closed Won flow updates a sales order it already wrote, it reads the order (status and lines)
and asks :func:`order_lock_of`. A locked order is not written: the change goes to a person (an exception
for finance, category ``order_locked``), the lock is recorded (:class:`~sync.lifecycle.models.OrderLock`)
and the record pages show it ("Locked in NetSuite: Billed"). A subscription's changes are change orders
(sync.lifecycle's amendments); a plain order has none.

NetSuite's sales order statuses (``orderStatus``): A Pending Approval, B Pending Fulfillment, C Cancelled,
D Partially Fulfilled, E Pending Billing/Partially Fulfilled, F Pending Billing, G Billed, H Closed. The
company chooses (:class:`~sync.lifecycle.models.OrderLockSetting`, console, API, ``order_lock_setting``):

- ``fulfilled`` (the default): locked from the first fulfilment or bill on (C to H, or any line with a
  fulfilled or billed quantity, or closed);
- ``approved``: locked as soon as the order is approved (anything past A, Pending Approval).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, audit_record
from core.roles import APPROVE_EXCEPTIONS, EDIT_MAPPINGS
from sync.lifecycle.models import LockFrom, OrderLock, OrderLockSetting

ORDER_STATUSES: dict[str, str] = {
    "A": "Pending Approval",
    "B": "Pending Fulfillment",
    "C": "Cancelled",
    "D": "Partially Fulfilled",
    "E": "Pending Billing/Partially Fulfilled",
    "F": "Pending Billing",
    "G": "Billed",
    "H": "Closed",
}
# Locked whatever the company chooses: fulfilled, billed, closed or cancelled.
ALWAYS_LOCKED = frozenset("CDEFGH")
SALES_ORDER = "salesOrder"


@dataclass(frozen=True)
class OrderLockFound:
    """Why a sales order may not be edited in place."""

    sales_order_id: str
    status_code: str
    status_label: str
    reason: str

    @property
    def badge(self) -> str:
        return f"Locked in NetSuite: {self.status_label}"

    def message(self, opportunity_id: str = "") -> str:
        change = f"the change to opportunity {opportunity_id}" if opportunity_id else "the change"
        return (
            f"Sales order {self.sales_order_id} is {self.status_label} in NetSuite ({self.reason}): "
            f"{change} was not written. Make it in NetSuite (or by a change order), then resolve this."
        )


def status_code_of(order: Mapping[str, Any]) -> str:
    """The order's status code: NetSuite answers ``{"id": "G", "refName": "Billed"}`` (or a bare code)."""
    value = order.get("orderStatus") or order.get("status")
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value or "").strip()


def _lines(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    item = order.get("item")
    items = item.get("items") if isinstance(item, Mapping) else item
    return [line for line in items or [] if isinstance(line, Mapping)]


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def order_lock_of(order: Mapping[str, Any], *, lock_from: str = LockFrom.FULFILLED) -> OrderLockFound | None:
    """``None`` when the order may be edited in place, else why not (pure: judged on the order read)."""
    order_id = str(order.get("id") or "")
    code = status_code_of(order)
    label = ORDER_STATUSES.get(code, code or "unknown status")
    lines = _lines(order)
    if code in ALWAYS_LOCKED:
        return OrderLockFound(order_id, code, label, f"status {code}, {label}")
    if lines and all(line.get("isClosed") is True for line in lines):
        return OrderLockFound(order_id, "H", ORDER_STATUSES["H"], "every line is closed")
    fulfilled = [line for line in lines if _number(line.get("quantityFulfilled")) > 0]
    if fulfilled:
        return OrderLockFound(order_id, code or "D", ORDER_STATUSES["D"], "a line has a fulfilled quantity")
    billed = [line for line in lines if _number(line.get("quantityBilled")) > 0]
    if billed:
        return OrderLockFound(order_id, code or "G", ORDER_STATUSES["G"], "a line has a billed quantity")
    if lock_from == LockFrom.APPROVED and code and code != "A":
        return OrderLockFound(order_id, code, label, "approved; the company locks orders once approved")
    return None


OrderRead = Callable[[str, str], Mapping[str, Any]]


def order_lock_checker(read: OrderRead, *, lock_from: str) -> Callable[[str, str], OrderLockFound | None]:
    """``check(record type, internal id)`` for the writer: reads a sales order (``read(type, id)``, e.g.
    the connector's expanded GET) and judges it; other record types are never locked here."""

    def check(record_type: str, netsuite_id: str) -> OrderLockFound | None:
        if record_type != SALES_ORDER or not netsuite_id:
            return None
        order = read(record_type, netsuite_id)
        return order_lock_of({**order, "id": order.get("id") or netsuite_id}, lock_from=lock_from)

    return check


# -- the company's setting ----------------------------------------------------------------------------


def order_lock_setting() -> OrderLockSetting:
    """The one setting row (created with the default on first use)."""
    setting = OrderLockSetting.objects.order_by("pk").first()
    return setting if setting is not None else OrderLockSetting.objects.create()


def order_lock_setting_set(*, user: User | None, lock_from: str, reason: str = "") -> OrderLockSetting:
    """Change from which status sales orders are locked; audited with the reason. Needs edit_mappings or
    approve_exceptions (RevOps runs the flow, Finance owns the outcome)."""
    if user is not None and not can_change_lock_setting(user):
        raise PermissionDenied("Changing the order lock needs the edit_mappings or approve_exceptions role.")
    if lock_from not in LockFrom.values:
        raise ValidationError(f"Choose one of: {', '.join(LockFrom.values)}.")
    with transaction.atomic():
        setting = order_lock_setting()
        setting = OrderLockSetting.objects.select_for_update().get(pk=setting.pk)
        before = setting.lock_from
        if before == lock_from:
            return setting
        setting.lock_from = lock_from
        setting.updated_at = timezone.now()
        setting.updated_by = user
        setting.save(update_fields=["lock_from", "updated_at", "updated_by"])
        audit_record(
            obj=setting,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"lock_from": [before, lock_from]},
            event="order_lock_setting_changed",
            reason=reason,
        )
    return setting


def can_change_lock_setting(user: Any) -> bool:
    return bool(user.has_perm(EDIT_MAPPINGS) or user.has_perm(APPROVE_EXCEPTIONS))


# -- locks found --------------------------------------------------------------------------------------


def order_lock_record(
    *, netsuite_connection_id: int, integration_id: int | None, opportunity_id: str, lock: OrderLockFound
) -> OrderLock:
    """Remember (or refresh) that this order was found locked, for the integration whose deal it is; the
    record pages show it."""
    now = timezone.now()
    found, created = OrderLock.objects.get_or_create(
        netsuite_connection_id=netsuite_connection_id,
        sales_order_id=lock.sales_order_id,
        defaults={
            "integration_id": integration_id,
            "opportunity_id": opportunity_id[:18],
            "status_code": lock.status_code[:4],
            "status_label": lock.status_label[:80],
            "reason": lock.reason[:300],
            "first_seen": now,
            "last_seen": now,
        },
    )
    if not created:
        found.integration_id = integration_id or found.integration_id
        found.opportunity_id = opportunity_id[:18] or found.opportunity_id
        found.status_code, found.status_label = lock.status_code[:4], lock.status_label[:80]
        found.reason, found.last_seen = lock.reason[:300], now
        found.save(
            update_fields=[
                "integration",
                "opportunity_id",
                "status_code",
                "status_label",
                "reason",
                "last_seen",
            ]
        )
    return found
