"""SuiteBilling's save rules for subscriptions and their lines (change orders: :mod:`changeorders`).

- A new subscription gets one line per member of its plan (``lineNumber`` = the member's line number,
  included when the member is required or when the body includes it or gives it a quantity); the body
  may set a line's quantity or inclusion, matched by item on create and by line number afterwards.
- A subscription is DRAFT (or PENDING_ACTIVATION) until an activation change order; once ACTIVE,
  SUSPENDED, CLOSED or TERMINATED its plan, price book, term, dates, customer, billing account,
  currency, subsidiary and its lines' items and quantities are locked ("Use a change order"). Sending
  the stored value again is not a change. Name, memo, auto renewal, custom fields stay editable, and a
  line that was not included may be added (it waits, PENDING_ACTIVATION, for an activation change order).
- A renewal is a new subscription whose ``parentSubscription`` names the one it renews; it starts the day
  after the parent ends, and the parent's ``renewalSubscription`` then names it.
- Each line is also a ``subscriptionLine`` record (kept in step here), which REST cannot create or
  delete; a PATCH of it follows the same rules as the subscription's sublist.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from simulators.netsuite.billing import check_customer_currency
from simulators.netsuite.errors import user_error
from simulators.netsuite.store import NetSuiteStore, Row
from simulators.netsuite.writecontext import WriteContext, add_months

LOCKED_STATUSES = ("ACTIVE", "SUSPENDED", "CLOSED", "TERMINATED")
LOCKED_FIELDS = (
    "subscriptionPlan",
    "priceBook",
    "initialTerm",
    "startDate",
    "endDate",
    "customer",
    "billingAccount",
    "currency",
    "subsidiary",
)
SUBLIST = "subscriptionLine"
_UNLOCKED = ("DRAFT", "PENDING_ACTIVATION")


def locked_error(label: str, path: str) -> Exception:
    return user_error(f"You cannot change {label} on an active subscription. Use a change order.", path)


def derive_status(lines: list[dict[str, Any]], current: str) -> str:
    """The subscription's status from its included lines' statuses."""
    statuses = [line.get("subscriptionLineStatus") for line in lines if line.get("isIncluded")]
    statuses = [status for status in statuses if status != "NOT_INCLUDED"]
    if not statuses:
        return current
    if "ACTIVE" in statuses:
        return "ACTIVE"
    if "SUSPENDED" in statuses:
        return "SUSPENDED"
    if all(status == "TERMINATED" for status in statuses):
        return "TERMINATED"
    if current in LOCKED_STATUSES:
        return current
    return "PENDING_ACTIVATION" if all(s == "PENDING_ACTIVATION" for s in statuses) else "DRAFT"


def _plan_lines(context: WriteContext, plan: Row | None, status: str) -> list[dict[str, Any]]:
    lines = []
    for member in (plan.body.get("member") or []) if plan else []:
        included = bool(member.get("isRequired"))
        lines.append(
            {
                "lineNumber": member.get("lineNumber"),
                "item": member.get("item"),
                "quantity": 1.0,
                "isIncluded": included,
                "subscriptionLineStatus": status if included else "NOT_INCLUDED",
            }
        )
    return lines


def _set_inclusion(line: dict[str, Any], included: bool, sub_status: str, path: str) -> None:
    """Include or leave out a line, as its status allows."""
    if bool(line.get("isIncluded")) == included:
        return
    status = line.get("subscriptionLineStatus")
    if included:
        line["isIncluded"] = True
        line["subscriptionLineStatus"] = "PENDING_ACTIVATION" if sub_status in LOCKED_STATUSES else sub_status
    elif status in (*_UNLOCKED, "NOT_INCLUDED"):
        line["isIncluded"] = False
        line["subscriptionLineStatus"] = "NOT_INCLUDED"
    else:
        raise user_error(
            f"Line {line.get('lineNumber')} is {status}: you cannot leave it out. "
            "Use a terminate change order.",
            path,
        )


def apply_line_change(
    line: dict[str, Any], wanted: dict[str, Any], sub_status: str, path: str
) -> dict[str, Any]:
    """``line`` with the quantity / inclusion of ``wanted`` applied, as the subscription's status allows."""
    result = dict(line)
    locked = sub_status in LOCKED_STATUSES
    if "quantity" in wanted and wanted["quantity"] is not None:
        quantity = float(wanted["quantity"])
        if quantity != float(line.get("quantity") or 0):
            if locked and line.get("subscriptionLineStatus") not in (*_UNLOCKED, "NOT_INCLUDED"):
                raise locked_error("Quantity", f"{path}.quantity")
            if quantity <= 0:
                raise user_error(
                    "A subscription line's quantity must be greater than zero.", f"{path}.quantity"
                )
            result["quantity"] = quantity
    if "isIncluded" in wanted and wanted["isIncluded"] is not None:
        _set_inclusion(result, bool(wanted["isIncluded"]), sub_status, f"{path}.isIncluded")
    return result


def _match(base: list[dict[str, Any]], line: dict[str, Any], *, by_item: bool) -> dict[str, Any] | None:
    number = line.get("lineNumber")
    item = line.get("item")
    if by_item and item is not None:
        found = [b for b in base if b.get("item") == item]
        if found:
            return next((b for b in found if b.get("lineNumber") == number), found[0])
        return None
    return next((b for b in base if b.get("lineNumber") == number), None)


def _lines(context: WriteContext, plan: Row | None, status: str) -> list[dict[str, Any]]:
    body, before = context.body, context.before
    plan_changed = before is None or before.get("subscriptionPlan") != body.get("subscriptionPlan")
    stored = (before or {}).get(SUBLIST) or []
    base = _plan_lines(context, plan, status) if plan_changed else [dict(x) for x in stored]
    max_before = max((int(x.get("lineNumber") or 0) for x in stored), default=0)
    by_number = {x.get("lineNumber"): x for x in stored}
    # Error paths count the lines the request sent or changed (the merge keeps the stored ones too).
    index = -1
    for line in body.get(SUBLIST) or []:
        fresh = before is None or int(line.get("lineNumber") or 0) > max_before
        if not fresh and by_number.get(line.get("lineNumber")) == line:
            continue
        index += 1
        path = f"{SUBLIST}.items[{index}]"
        target = _match(base, line, by_item=fresh)
        if target is None:
            if plan_changed and before is not None:
                continue  # a line of the previous plan
            raise user_error("The item is not a member of the subscription plan.", f"{path}.item")
        if not fresh and line.get("item") not in (None, target.get("item")):
            if status in LOCKED_STATUSES:
                raise locked_error("Item", f"{path}.item")
            raise user_error("A subscription line's item comes from its plan member.", f"{path}.item")
        if fresh and line.get("isIncluded") is None and line.get("quantity") is not None:
            line = {**line, "isIncluded": True}  # listing a member with a quantity includes it
        changed = apply_line_change(target, line, status, path)
        target.clear()
        target.update(changed)
    base.sort(key=lambda x: int(x.get("lineNumber") or 0))
    return base


def _check_locks(context: WriteContext) -> None:
    before = context.before
    assert before is not None
    for name in LOCKED_FIELDS:
        if context.body.get(name) != before.get(name):
            field = context.record_type.field(name)
            raise locked_error(field.title if field else name, name)


def _renewal(context: WriteContext) -> None:
    body = context.body
    before = context.before or {}
    parent_id = body.get("parentSubscription")
    if before and before.get("parentSubscription") != parent_id:
        raise user_error("The parent subscription of a renewal cannot change.", "parentSubscription")
    if parent_id is None or before:
        return
    parent = context.load("subscription", parent_id)
    if parent is None:
        return
    if parent.id == context.record_id or parent.body.get("customer") != body.get("customer"):
        raise user_error(
            "A renewal must renew another subscription of the same customer.", "parentSubscription"
        )
    if parent.body.get("subscriptionStatus") == "TERMINATED":
        raise user_error("A terminated subscription cannot be renewed.", "parentSubscription")
    renewal = parent.body.get("renewalSubscription")
    if renewal is not None and renewal != context.record_id:
        raise user_error(
            f"The subscription is already renewed by subscription {renewal}.", "parentSubscription"
        )
    if parent.body.get("endDate"):
        start = dt.date.fromisoformat(parent.body["endDate"]) + dt.timedelta(days=1)
        if body.get("startDate") != start.isoformat():
            raise user_error(
                f"A renewal subscription starts on the day after its parent subscription ends ({start}).",
                "startDate",
            )


def prepare_subscription(context: WriteContext) -> None:
    body = context.body
    before = context.before
    customer = context.load("customer", body.get("customer"))
    account = context.load("billingaccount", body.get("billingAccount"))
    plan = context.load("subscriptionplan", body.get("subscriptionPlan"))
    book = context.load("pricebook", body.get("priceBook"))
    status = (before or {}).get("subscriptionStatus") or "DRAFT"
    if before is not None and status in LOCKED_STATUSES:
        _check_locks(context)
        if body.get("subscriptionStatus") != status:
            raise locked_error("Status", "subscriptionStatus")
    else:
        wanted = body.get("subscriptionStatus") or "DRAFT"
        if wanted not in _UNLOCKED:
            raise user_error(
                "A subscription is activated, suspended or terminated by a change order.",
                "subscriptionStatus",
            )
        status = wanted
    if account is not None and account.body.get("customer") != body.get("customer"):
        raise user_error("The billing account belongs to another customer.", "billingAccount")
    if book is not None and book.body.get("subscriptionPlan") != body.get("subscriptionPlan"):
        raise user_error("The price book is not a price book of this subscription plan.", "priceBook")
    if plan is not None and "initialTerm" not in body and plan.body.get("initialTerm"):
        body["initialTerm"] = plan.body["initialTerm"]
    if book is not None and "currency" not in body:
        body["currency"] = book.body.get("currency")
    if customer is not None and "subsidiary" not in body and customer.body.get("subsidiary"):
        body["subsidiary"] = customer.body["subsidiary"]
    check_customer_currency(customer, body.get("currency"), "currency")
    if not body.get("name") and customer is not None and plan is not None:
        body["name"] = (
            f"{customer.body.get('companyName') or customer.body.get('entityId')} - {plan.body.get('itemId')}"
        )
    body.setdefault("autoRenewal", False)
    term = context.load("subscriptionterm", body.get("initialTerm"))
    if body.get("startDate") and not body.get("endDate") and term is not None:
        duration = int(term.body.get("duration") or 0)
        months = duration * 12 if str(term.body.get("unit", "")).upper().startswith("YEAR") else duration
        start = dt.date.fromisoformat(body["startDate"])
        body["endDate"] = (add_months(start, months) - dt.timedelta(days=1)).isoformat()
    _renewal(context)
    lines = _lines(context, plan, status)
    if status in _UNLOCKED:
        for line in lines:
            if line.get("isIncluded"):
                line["subscriptionLineStatus"] = status
            line["startDate"] = body.get("startDate")
            if body.get("endDate"):
                line["endDate"] = body["endDate"]
    body["subscriptionStatus"] = derive_status(lines, status)
    if lines:
        body[SUBLIST] = lines
    else:
        body.pop(SUBLIST, None)


# -- lines as records ----------------------------------------------------------------------------------

_LINE_FIELDS = ("item", "quantity", "isIncluded", "subscriptionLineStatus", "startDate", "endDate")


def save_subscription(
    connection: sqlite3.Connection, store: NetSuiteStore, row: Row, body: dict[str, Any], stamp: str
) -> None:
    """Store a subscription changed by another record's rules, and its line records."""
    record_type = store.catalog.get("subscription")
    assert record_type is not None
    if body != row.body:
        store.save(
            connection,
            record_type,
            row.id,
            body,
            external_id=row.externalid,
            created=row.datecreated,
            modified=stamp,
            insert=False,
        )
    sync_line_records(connection, store, row.id, body, stamp)


def sync_line_records(
    connection: sqlite3.Connection,
    store: NetSuiteStore,
    subscription_id: int,
    body: dict[str, Any],
    stamp: str,
) -> None:
    record_type = store.catalog.get("subscriptionLine")
    assert record_type is not None
    for line in body.get(SUBLIST) or []:
        found = connection.execute(
            "SELECT id FROM ns_subscriptionline WHERE subscription = ? AND linenumber = ?",
            (subscription_id, line.get("lineNumber")),
        ).fetchone()
        existing = store.load("subscriptionline", int(found[0]), connection) if found else None
        wanted = {
            **({k: v for k, v in existing.body.items() if k.startswith("cust")} if existing else {}),
            "subscription": subscription_id,
            "lineNumber": line.get("lineNumber"),
            **{name: line[name] for name in _LINE_FIELDS if line.get(name) is not None},
        }
        if existing is not None and existing.body == wanted:
            continue
        record_id = existing.id if existing else store.next_id(connection, "subscriptionline")
        store.save(
            connection,
            record_type,
            record_id,
            wanted,
            external_id=existing.externalid if existing else None,
            created=existing.datecreated if existing else stamp,
            modified=stamp,
            insert=existing is None,
        )


def after_save_subscription(context: WriteContext) -> None:
    sync_line_records(context.connection, context.store, context.record_id, context.body, context.stamp)
    parent_id = context.body.get("parentSubscription")
    parent = context.load("subscription", parent_id)
    if parent is not None and parent.body.get("renewalSubscription") != context.record_id:
        save_subscription(
            context.connection,
            context.store,
            parent,
            {**parent.body, "renewalSubscription": context.record_id},
            context.stamp,
        )


def prepare_subscription_line(context: WriteContext) -> None:
    before = context.before
    if before is None:
        raise user_error(
            "You cannot directly create a subscription line: lines come from the subscription plan's members."
        )
    body = context.body
    subscription = context.load("subscription", before.get("subscription"))
    if subscription is None:
        return
    status = subscription.body.get("subscriptionStatus") or "DRAFT"
    line_status = before.get("subscriptionLineStatus")
    wanted_status = body.get("subscriptionLineStatus")
    changed = apply_line_change(before, body, status, "")
    if wanted_status != line_status:
        if line_status in _UNLOCKED and wanted_status in _UNLOCKED:
            changed["subscriptionLineStatus"] = wanted_status
        else:
            raise user_error(
                "A subscription line is activated, suspended or terminated by a change order.",
                "subscriptionLineStatus",
            )
    for name in ("quantity", "isIncluded", "subscriptionLineStatus"):
        if changed.get(name) is not None:
            body[name] = changed[name]


def after_save_subscription_line(context: WriteContext) -> None:
    subscription = context.load("subscription", context.body.get("subscription"))
    if subscription is None:
        return
    body = dict(subscription.body)
    lines = []
    for line in body.get(SUBLIST) or []:
        if line.get("lineNumber") == context.body.get("lineNumber"):
            line = {**line, **{n: context.body[n] for n in _LINE_FIELDS if context.body.get(n) is not None}}
        lines.append(line)
    body[SUBLIST] = lines
    body["subscriptionStatus"] = derive_status(lines, body.get("subscriptionStatus") or "DRAFT")
    save_subscription(context.connection, context.store, subscription, body, context.stamp)
