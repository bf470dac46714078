"""What a deal after its first Closed Won changes in NetSuite: pure planning, no I/O.

The applying module (:mod:`sync.lifecycle.applying`) reads what NetSuite holds (the subscription, its
lines, the change orders already saved) and hands it here with the deal's quote; the plan says what to
write. Planning compares the quote with what NetSuite holds *now*, never with what the quote says was
there before, so a re-run plans nothing and a run after a partial application (an answer lost after
NetSuite saved a change order, a line included but not yet activated) plans only what is still missing.

Rules (contract C of issue 22; SuiteBilling's change orders, see simulators/netsuite/README.md):

- a **new subscription** is activated by one ACTIVATE change order for the whole subscription, effective
  on its start date, unless it is already active (or beyond);
- on an **amendment**, each quote line of a package that upgrades an existing subscription is compared
  with the subscription's line for the same item:
  - new quantity 0 -> TERMINATE that line (unless already terminated);
  - a different quantity, or a different net price than the subscription's -> one MODIFY_PRICING line
    (``quantityNew``, ``rateNew``: one change order of one action per line per date, so both go together);
  - a product of the plan the subscription does not include yet -> include the line (quantity set, an
    allowed change on an active subscription), then ACTIVATE that line co-termed (effective = the line's
    effective start date, else the quote's start date);
  - an included line still PENDING_ACTIVATION (included on an earlier run, activation lost) -> ACTIVATE;
  - a product that is not a member of the plan -> a problem for a person (NetSuite cannot add it);
- a change order whose external id NetSuite already holds is not planned again;
- change orders carry ``CO-<opportunity id>-<subscription id>-<action>-<line number>`` (0: the whole
  subscription) as their external id, in the integration's namespace (``ACQ-CO-...``), and are written by
  ``eid:`` upsert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from sync.integrations.namespacing import eid_namespaced

ACTIVATE = "ACTIVATE"
MODIFY_PRICING = "MODIFY_PRICING"
TERMINATE = "TERMINATE"

# Subscription (and line) statuses after which an ACTIVATE change order has nothing left to do.
ACTIVE_OR_BEYOND = frozenset({"ACTIVE", "SUSPENDED", "CLOSED", "TERMINATED"})
PENDING = frozenset({"DRAFT", "PENDING_ACTIVATION"})


def number(value: Any) -> Decimal | None:
    """A quantity or price as a Decimal (None when empty or not a number)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def day(value: Any) -> str:
    """``YYYY-MM-DD`` of a Salesforce or NetSuite date (or datetime) value; "" when empty."""
    return str(value or "")[:10]


def day_after(value: str) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat() if value else ""


def months_between(start: str, end: str) -> int:
    """Whole months from ``start`` to ``end`` inclusive (2026-01-01 .. 2026-12-31: 12); 0 when unknown."""
    if not start or not end:
        return 0
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end) + dt.timedelta(days=1)
    return max(0, (last.year - first.year) * 12 + last.month - first.month)


def change_order_eid(
    opportunity_id: str, subscription_id: str, action: str, line: int, *, namespace: str = ""
) -> str:
    """The change order's external id, in the integration's ``namespace`` (sync.integrations.namespacing)."""
    return eid_namespaced(namespace, f"CO-{opportunity_id}-{subscription_id}-{action}-{line}")


@dataclass(frozen=True)
class SubscriptionLine:
    """A NetSuite subscription line as planning needs it."""

    line_number: int
    item: str
    quantity: Decimal | None
    included: bool
    status: str


@dataclass(frozen=True)
class Subscription:
    """A NetSuite subscription with its lines."""

    id: str
    status: str
    start_date: str
    end_date: str
    lines: tuple[SubscriptionLine, ...] = ()

    def line_for(self, item: str) -> SubscriptionLine | None:
        return next((line for line in self.lines if line.item == item), None)


@dataclass(frozen=True)
class AmendedLine:
    """One quote line of an amendment, on a package that upgrades an existing subscription."""

    line_id: str
    item: str  # the NetSuite item id ("" when the SKU has no item)
    sku: str
    quantity: Decimal
    prior_quantity: Decimal | None
    net_price: Decimal | None
    prior_price: Decimal | None  # the upgraded Salesforce subscription's net price, when read
    effective_date: str


@dataclass(frozen=True)
class ChangeLine:
    sequence: int
    quantity_new: Decimal | None = None
    rate_new: Decimal | None = None

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"apply": True, "sequence": self.sequence}
        if self.quantity_new is not None:
            item["quantityNew"] = _plain(self.quantity_new)
        if self.rate_new is not None:
            item["rateNew"] = _plain(self.rate_new)
        return item


@dataclass(frozen=True)
class ChangeOrder:
    action: str
    subscription_id: str
    effective_date: str
    external_id: str
    lines: tuple[ChangeLine, ...] = ()
    memo: str = ""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "action": self.action,
            "subscription": {"id": self.subscription_id},
            "effectiveDate": self.effective_date,
            "externalId": self.external_id,
        }
        if self.memo:
            body["memo"] = self.memo[:999]
        if self.lines:
            body["subline"] = {"items": [line.body() for line in self.lines]}
        return body


@dataclass(frozen=True)
class LineInclusion:
    """Set ``isIncluded`` (with a quantity) on a plan member line the subscription does not include yet."""

    subscription_id: str
    line_number: int
    quantity: Decimal

    def body(self) -> dict[str, Any]:
        return {
            "subscriptionLine": {
                "items": [
                    {"lineNumber": self.line_number, "isIncluded": True, "quantity": _plain(self.quantity)}
                ]
            }
        }


@dataclass
class Plan:
    inclusions: list[LineInclusion] = field(default_factory=list)
    change_orders: list[ChangeOrder] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unchanged: int = 0  # lines already as the quote says

    @property
    def empty(self) -> bool:
        return not self.inclusions and not self.change_orders


def plan_activation(
    opportunity_id: str, subscription: Subscription, existing: Iterable[str] = (), *, namespace: str = ""
) -> ChangeOrder | None:
    """The ACTIVATE change order of a subscription Concord created, or None when there is nothing to do."""
    if subscription.status in ACTIVE_OR_BEYOND or not subscription.start_date:
        return None
    eid = change_order_eid(opportunity_id, subscription.id, ACTIVATE, 0, namespace=namespace)
    if eid in set(existing):
        return None
    return ChangeOrder(ACTIVATE, subscription.id, subscription.start_date, eid, memo="Activated by Concord")


def plan_amendment(
    opportunity_id: str,
    subscription: Subscription,
    lines: Sequence[AmendedLine],
    existing: Iterable[str] = (),
    *,
    namespace: str = "",
) -> Plan:
    """The inclusions and change orders that bring ``subscription`` to the amendment's ``lines``."""
    plan = Plan()
    for line in lines:
        _plan_line(opportunity_id, subscription, line, plan, namespace)
    saved = set(existing)
    plan.change_orders = [order for order in plan.change_orders if order.external_id not in saved]
    return plan


def _plan_line(
    opportunity_id: str, subscription: Subscription, line: AmendedLine, plan: Plan, namespace: str
) -> None:
    if not line.item:
        plan.problems.append(f"{line.sku or line.line_id}: NetSuite has no item for this product code")
        return
    held = subscription.line_for(line.item)
    if held is None:
        if line.quantity > 0:
            plan.problems.append(
                f"{line.sku}: not a member of the subscription's plan; NetSuite cannot add it to "
                f"subscription {subscription.id} (add the item to the plan or sell it as a new package)"
            )
        return
    eid = partial(change_order_eid, opportunity_id, subscription.id, namespace=namespace)
    if line.quantity <= 0:
        if held.included and held.status not in ("TERMINATED", "NOT_INCLUDED"):
            plan.change_orders.append(
                ChangeOrder(
                    TERMINATE,
                    subscription.id,
                    line.effective_date,
                    eid(TERMINATE, held.line_number),
                    (ChangeLine(held.line_number),),
                    memo=f"{line.sku}: quantity 0 on the amendment",
                )
            )
        else:
            plan.unchanged += 1
        return
    if not held.included or held.status == "NOT_INCLUDED" or held.status in PENDING:
        # A plan member the subscription did not include: include it, then activate it co-termed. One
        # included on an earlier run whose activation did not happen (or whose answer was lost) is
        # only activated.
        if not held.included or held.status == "NOT_INCLUDED" or held.quantity != line.quantity:
            plan.inclusions.append(LineInclusion(subscription.id, held.line_number, line.quantity))
        plan.change_orders.append(
            ChangeOrder(
                ACTIVATE,
                subscription.id,
                line.effective_date,
                eid(ACTIVATE, held.line_number),
                (ChangeLine(held.line_number),),
                memo=f"{line.sku}: added by the amendment, co-termed",
            )
        )
        return
    if held.status == "TERMINATED":
        plan.problems.append(
            f"{line.sku}: line {held.line_number} of subscription {subscription.id} is terminated; "
            "NetSuite cannot change its quantity"
        )
        return
    quantity_new = line.quantity if held.quantity != line.quantity else None
    price_changed = line.net_price is not None and line.prior_price not in (None, line.net_price)
    rate_new = line.net_price if price_changed else None
    if quantity_new is None and rate_new is None:
        plan.unchanged += 1
        return
    plan.change_orders.append(
        ChangeOrder(
            MODIFY_PRICING,
            subscription.id,
            line.effective_date,
            eid(MODIFY_PRICING, held.line_number),
            (ChangeLine(held.line_number, quantity_new, rate_new),),
            memo=f"{line.sku}: {_change_text(held.quantity, quantity_new, line.prior_price, rate_new)}",
        )
    )


def _change_text(
    old_quantity: Decimal | None, quantity: Decimal | None, old_rate: Decimal | None, rate: Decimal | None
) -> str:
    parts = []
    if quantity is not None:
        parts.append(f"quantity {_plain(old_quantity)} -> {_plain(quantity)}")
    if rate is not None:
        parts.append(f"rate {_plain(old_rate)} -> {_plain(rate)}")
    return ", ".join(parts)


def _plain(value: Decimal | None) -> int | float | None:
    """A JSON number: whole numbers as int."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# -- the graph as the amendment's mapping sees it -------------------------------------------------------


def delta_quantity(line: Mapping[str, Any]) -> Decimal:
    """What an amendment line adds: its quantity less its prior quantity (CPQ's effective quantity)."""
    effective = number(line.get("SBQQ__EffectiveQuantity__c"))
    if effective is not None:
        return effective
    quantity = number(line.get("SBQQ__Quantity__c")) or Decimal(0)
    return quantity - (number(line.get("SBQQ__PriorQuantity__c")) or Decimal(0))


def amendment_sales_lines(lines: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The quote lines an amendment's sales order bills: each line that adds (delta > 0), with its
    quantity set to the delta, and the package headers those lines belong to (the mapping leaves zero
    headers out). Decreases and removals are not on the order: SuiteBilling credits them through the
    change order's billing."""
    adding = {
        str(line.get("Id")): {**line, "SBQQ__Quantity__c": _plain(delta_quantity(line))}
        for line in lines
        if delta_quantity(line) > 0
    }
    parents = {
        str(line.get("SBQQ__RequiredBy__c")) for line in adding.values() if line.get("SBQQ__RequiredBy__c")
    }
    kept: list[dict[str, Any]] = []
    for line in lines:
        key = str(line.get("Id"))
        if key in adding:
            kept.append(adding[key])
        elif key in parents:
            kept.append(dict(line))
    return kept
