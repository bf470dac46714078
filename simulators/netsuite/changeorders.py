"""Subscription change orders: the only way to change an active subscription (Oracle, "SuiteBilling Change
Orders").

A change order names a subscription, an action and an effective date, and the lines it applies to in its
``subline`` sublist (``sequence`` = the subscription line number, ``apply``). Without lines it applies to
every line the action fits. Rules enforced at save:

- one change order of one action per line per effective date;
- the effective date lies within the subscription's start and end dates;
- ACTIVATE needs a draft or pending line; MODIFY_PRICING an active one (never a suspended one) and a
  new quantity above zero (a line is ended by TERMINATE), price plan or rate; SUSPEND an active line;
  REACTIVATE a suspended one (never an active one); TERMINATE a line that is not terminated and has no
  suspend or modify change order with a later effective date;
- RENEW is refused: a subscription is renewed by a new subscription naming it in ``parentSubscription``;
- a saved change order cannot be changed (an upsert with the same content is a no-op).

The simulator keeps no clock: the effect is applied when the change order is saved (lines and the
subscription's status; a termination of every line also ends the subscription on the effective date).
"""

from __future__ import annotations

import json
from typing import Any

from simulators.netsuite.errors import user_error
from simulators.netsuite.suitebilling import SUBLIST, derive_status, save_subscription
from simulators.netsuite.writecontext import WriteContext

_DEFAULT_LINES = {
    "ACTIVATE": ("DRAFT", "PENDING_ACTIVATION"),
    "SUSPEND": ("ACTIVE",),
    "REACTIVATE": ("SUSPENDED",),
    "TERMINATE": ("ACTIVE", "SUSPENDED", "DRAFT", "PENDING_ACTIVATION"),
}
_NEW_STATUS = {
    "ACTIVATE": "ACTIVE",
    "SUSPEND": "SUSPENDED",
    "REACTIVATE": "ACTIVE",
    "TERMINATE": "TERMINATED",
}


def _check_line(action: str, line: dict[str, Any], wanted: dict[str, Any], path: str) -> None:
    status = line.get("subscriptionLineStatus")
    number = line.get("lineNumber")
    if status == "NOT_INCLUDED":
        raise user_error(f"Line {number} is not included in the subscription; include it first.", path)
    if action == "ACTIVATE" and status not in ("DRAFT", "PENDING_ACTIVATION"):
        raise user_error(f"Line {number} is {status}: only draft or pending lines can be activated.", path)
    if action == "MODIFY_PRICING":
        if status == "SUSPENDED":
            raise user_error(
                "You cannot create a Modify Pricing change order on a subscription line that is Suspended.",
                path,
            )
        if status != "ACTIVE":
            raise user_error(f"Line {number} is {status}: Modify Pricing applies to active lines.", path)
        if all(wanted.get(name) is None for name in ("quantityNew", "pricePlanNew", "rateNew")):
            raise user_error("Enter a new quantity, price plan or rate for the line.", path)
        if wanted.get("quantityNew") is not None and float(wanted["quantityNew"]) <= 0:
            raise user_error(
                "The new quantity must be greater than zero; end a line with a terminate change order.",
                path.rsplit(".", 1)[0] + ".quantityNew",
            )
    if action == "SUSPEND" and status != "ACTIVE":
        raise user_error(f"Line {number} is {status}: only an active line can be suspended.", path)
    if action == "REACTIVATE":
        if status == "ACTIVE":
            raise user_error(
                "You cannot create a Reactivation change order for a subscription line that is "
                "already active.",
                path,
            )
        if status != "SUSPENDED":
            raise user_error(f"Line {number} is {status}: only a suspended line can be reactivated.", path)
    if action == "TERMINATE" and status == "TERMINATED":
        raise user_error(f"Line {number} is already terminated.", path)


def _others(context: WriteContext, subscription_id: int) -> list[tuple[str, str, set[int]]]:
    """(action, effective date, applied sequences) of the subscription's other change orders."""
    found = []
    for (body,) in context.connection.execute(
        "SELECT body FROM ns_subscriptionchangeorder WHERE subscription = ? AND id != ?",
        (subscription_id, context.record_id),
    ):
        other = json.loads(body)
        sequences = {int(x["sequence"]) for x in other.get("subline") or [] if x.get("apply")}
        found.append((str(other.get("action")), str(other.get("effectiveDate")), sequences))
    return found


def prepare_change_order(context: WriteContext) -> None:
    body = context.body
    if context.before is not None:
        if body != context.before:
            raise user_error("A saved change order cannot be changed. Create a new change order instead.")
        return
    subscription = context.load("subscription", body.get("subscription"))
    action, effective = body.get("action"), body.get("effectiveDate")
    if subscription is None or not action or not effective:
        return  # the required-field check names what is missing
    if action == "RENEW":
        raise user_error(
            "Renew a subscription by creating a new subscription whose parentSubscription names it.", "action"
        )
    sub = subscription.body
    for name in ("customer", "billingAccount"):
        body.setdefault(name, sub.get(name))
    if body.get("customer") != sub.get("customer"):
        raise user_error("The customer differs from the subscription's customer.", "customer")
    start, end = sub.get("startDate") or "", sub.get("endDate") or ""
    if effective < start or (end and effective > end):
        raise user_error(
            f"The effective date must be within the subscription's term ({start} to {end}).", "effectiveDate"
        )
    lines = {int(line["lineNumber"]): line for line in sub.get(SUBLIST) or []}
    requested = body.get("subline") or []
    if not requested:
        if action not in _DEFAULT_LINES:
            raise user_error("Name the subscription lines this change order applies to.", "subline")
        requested = [
            {"sequence": number, "apply": True}
            for number, line in sorted(lines.items())
            if line.get("isIncluded") and line.get("subscriptionLineStatus") in _DEFAULT_LINES[action]
        ]
        if not requested:
            raise user_error(f"No subscription line can take a {action} change order.", "action")
    others = _others(context, subscription.id)
    applied = 0
    for index, wanted in enumerate(requested):
        path = f"subline.items[{index}].sequence"
        number = wanted.get("sequence")
        line = lines.get(int(number)) if number is not None else None
        if line is None:
            raise user_error("The subscription has no line with this sequence.", path)
        wanted.setdefault("apply", True)
        wanted["item"] = line.get("item")
        wanted["quantity"] = line.get("quantity")
        wanted["status"] = line.get("subscriptionLineStatus")
        if not wanted["apply"]:
            continue
        applied += 1
        _check_line(str(action), line, wanted, path)
        for other_action, other_date, sequences in others:
            if other_action == action and other_date == effective and int(number) in sequences:
                raise user_error(
                    "A change order of this type already exists for this line on this date.", path
                )
            if (
                action == "TERMINATE"
                and other_action in ("SUSPEND", "MODIFY_PRICING")
                and other_date > effective
                and int(number) in sequences
            ):
                raise user_error(
                    "You cannot terminate a line that has a Suspend or Modify Pricing change order with a "
                    "later effective date.",
                    path,
                )
    if not applied:
        raise user_error("The change order applies to no subscription line.", "subline")
    body["subline"] = requested


def after_save_change_order(context: WriteContext) -> None:
    if context.before is not None:
        return
    body = context.body
    subscription = context.load("subscription", body.get("subscription"))
    assert subscription is not None
    action, effective = str(body["action"]), str(body["effectiveDate"])
    wanted = {int(x["sequence"]): x for x in body.get("subline") or [] if x.get("apply")}
    lines = []
    for line in subscription.body.get(SUBLIST) or []:
        change = wanted.get(int(line["lineNumber"]))
        line = dict(line)
        if change is not None:
            if action in _NEW_STATUS:
                line["subscriptionLineStatus"] = _NEW_STATUS[action]
            if action == "ACTIVATE":
                line["startDate"] = effective
            elif action == "TERMINATE":
                line["endDate"] = effective
            elif action == "MODIFY_PRICING" and change.get("quantityNew") is not None:
                line["quantity"] = float(change["quantityNew"])
        lines.append(line)
    updated = {**subscription.body, SUBLIST: lines}
    updated["subscriptionStatus"] = derive_status(lines, str(updated.get("subscriptionStatus") or "DRAFT"))
    if action == "TERMINATE" and updated["subscriptionStatus"] == "TERMINATED":
        updated["endDate"] = effective
    save_subscription(context.connection, context.store, subscription, updated, context.stamp)
