"""A sales order's life after it is saved: fulfilment, billing, closing, and what that locks.

- Each order line carries ``quantityFulfilled`` (from the item fulfilments created from the order),
  ``quantityBilled`` (the whole line once an invoice exists: billing is by whole order here) and
  ``isClosed``.
- The status follows: nothing fulfilled -> B Pending Fulfillment (or A Pending Approval as set); part
  fulfilled -> E Pending Billing/Partially Fulfilled; all fulfilled -> F Pending Billing; billed -> G
  Billed; every line closed -> H Closed. C Cancelled stays.
- An update may not remove a fulfilled line or reduce it below its fulfilled quantity, and may not
  change the lines of a Billed, Closed or Cancelled order (sending the same lines again is no change).
- An item fulfilment is created from an open, approved order; each line names the order line
  (``orderLine``, or the first open line with its item) and fulfils at most what is left; without lines
  it fulfils everything left. Its customer is the order's.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from simulators.netsuite.errors import user_error
from simulators.netsuite.store import NetSuiteStore
from simulators.netsuite.writecontext import WriteContext

LOCKED_ORDER_STATUSES = {"C": "Cancelled", "G": "Billed", "H": "Closed"}
_EPSILON = 0.000001


def fulfilled_by_line(connection: sqlite3.Connection, order_id: int, *, skip: int = 0) -> dict[int, float]:
    """Quantity fulfilled per order line, over the order's item fulfilments (but ``skip``)."""
    totals: dict[int, float] = {}
    for (body,) in connection.execute(
        "SELECT body FROM ns_transaction "
        "WHERE createdfrom = ? AND recordtype = 'itemFulfillment' AND id != ?",
        (order_id, skip),
    ):
        for line in json.loads(body).get("item") or []:
            number = int(line.get("orderLine") or 0)
            totals[number] = totals.get(number, 0.0) + float(line.get("quantity") or 0)
    return totals


def _billed(connection: sqlite3.Connection, order_id: int) -> bool:
    found = connection.execute(
        "SELECT 1 FROM ns_transaction WHERE createdfrom = ? AND recordtype = 'invoice' LIMIT 1", (order_id,)
    ).fetchone()
    return found is not None


def order_state(body: dict[str, Any], fulfilled: dict[int, float], billed: bool) -> None:
    """Set the lines' fulfilled / billed quantities and the order's status from what happened to it."""
    lines = body.get("item") or []
    for line in lines:
        line.setdefault("isClosed", False)
        line["quantityFulfilled"] = fulfilled.get(int(line.get("line") or 0), 0.0)
        line["quantityBilled"] = float(line.get("quantity") or 0) if billed else 0.0
    current = body.get("orderStatus") or "B"
    if current == "C":
        return
    if billed:
        body["orderStatus"] = "G"
        return
    if lines and all(line.get("isClosed") for line in lines):
        body["orderStatus"] = "H"
        return
    wanted = sum(float(x.get("quantity") or 0) for x in lines if not x.get("isClosed"))
    done = sum(float(x["quantityFulfilled"]) for x in lines if not x.get("isClosed"))
    if done <= _EPSILON:
        body["orderStatus"] = current if current in ("A", "B") else "B"
    elif done + _EPSILON < wanted:
        body["orderStatus"] = "E"
    else:
        body["orderStatus"] = "F"


def _content(line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        line.get("item"),
        float(line.get("quantity") or 0),
        float(line.get("rate") or 0),
        float(line.get("amount") or 0),
        bool(line.get("isClosed")),
    )


def check_order_update(context: WriteContext) -> None:
    """Refuse line changes an order's fulfilments and billing no longer allow; then set its state."""
    body, before = context.body, context.before
    lines = body.get("item") or []
    fulfilled = fulfilled_by_line(context.connection, context.record_id) if before is not None else {}
    if before is not None:
        status = before.get("orderStatus")
        if status in LOCKED_ORDER_STATUSES and [_content(x) for x in lines] != [
            _content(x) for x in before.get("item") or []
        ]:
            raise user_error(
                f"The sales order is {LOCKED_ORDER_STATUSES[status]}: its lines cannot be changed.", "item"
            )
        for number, quantity in fulfilled.items():
            if quantity <= _EPSILON:
                continue
            index = next((i for i, x in enumerate(lines) if int(x.get("line") or 0) == number), None)
            if index is None:
                raise user_error(f"Line {number} has been fulfilled and cannot be removed.", "item")
            if float(lines[index].get("quantity") or 0) + _EPSILON < quantity:
                raise user_error(
                    f"The quantity of line {number} cannot be less than the quantity fulfilled "
                    f"({quantity:g}).",
                    f"item.items[{index}].quantity",
                )
    order_state(body, fulfilled, _billed(context.connection, context.record_id) if before else False)


def refresh_order(connection: sqlite3.Connection, store: NetSuiteStore, order_id: int, stamp: str) -> None:
    """Recompute an order's line quantities and status after a fulfilment or invoice changed."""
    row = store.load("transaction", order_id, connection)
    if row is None or row.recordtype != "salesOrder":
        return
    body = json.loads(json.dumps(row.body))
    order_state(body, fulfilled_by_line(connection, order_id), _billed(connection, order_id))
    if body == row.body:
        return
    record_type = store.catalog.get("salesOrder")
    assert record_type is not None
    store.save(
        connection,
        record_type,
        order_id,
        body,
        external_id=row.externalid,
        created=row.datecreated,
        modified=stamp,
        insert=False,
    )


def prepare_item_fulfillment(context: WriteContext) -> None:
    body = context.body
    order = context.load("transaction", body.get("createdFrom"))
    if order is None:
        return
    if context.before is not None and context.before.get("createdFrom") != body.get("createdFrom"):
        raise user_error("A fulfilment's sales order cannot change.", "createdFrom")
    status = order.body.get("orderStatus")
    if status in ("A", "C", "H"):
        raise user_error(
            f"Sales order {order.body.get('tranId')} cannot be fulfilled: it is "
            f"{ {'A': 'pending approval', 'C': 'cancelled', 'H': 'closed'}[status] }.",
            "createdFrom",
        )
    body["entity"] = order.body.get("entity")
    for name in ("currency", "subsidiary"):
        if order.body.get(name) is not None:
            body.setdefault(name, order.body[name])
    body.setdefault("tranDate", context.today)
    body.setdefault("shipStatus", "C")
    if not body.get("tranId"):
        body["tranId"] = f"IF{context.record_id}"
    done = fulfilled_by_line(context.connection, order.id, skip=context.record_id)
    open_lines = [x for x in order.body.get("item") or [] if not x.get("isClosed")]
    left = {int(x["line"]): float(x.get("quantity") or 0) - done.get(int(x["line"]), 0.0) for x in open_lines}
    if not body.get("item"):
        body["item"] = [
            {"line": n, "orderLine": int(x["line"]), "item": x.get("item"), "quantity": left[int(x["line"])]}
            for n, x in enumerate((x for x in open_lines if left[int(x["line"])] > _EPSILON), start=1)
        ]
    for index, line in enumerate(body["item"]):
        path = f"item.items[{index}]"
        if line.get("orderLine") is None:
            match = next((x for x in open_lines if x.get("item") == line.get("item")), None)
            if match is None:
                raise user_error("The item is not on an open line of the sales order.", f"{path}.item")
            line["orderLine"] = int(match["line"])
        number = int(line["orderLine"])
        order_line = next((x for x in open_lines if int(x["line"]) == number), None)
        if order_line is None:
            raise user_error(f"The sales order has no open line {number}.", f"{path}.orderLine")
        line["item"] = order_line.get("item")
        quantity = float(line.get("quantity") or 0)
        if quantity <= 0 or quantity > left[number] + _EPSILON:
            raise user_error(
                f"You can fulfil between 0 and {left[number]:g} of line {number} (quantity {quantity:g}).",
                f"{path}.quantity",
            )
        left[number] -= quantity
    if not body["item"]:
        raise user_error("Nothing is left to fulfil on this sales order.", "createdFrom")
