"""Save rules of the transactions: sales orders, invoices and customer payments.

- tranId, date, currency, subsidiary and terms default from the customer.
- A line's rate defaults to the item's base price, amount = quantity x rate (rounded to the currency's
  precision), total = sum of amounts; description, tax code and revenue treatment come from the item.
- An invoice's due date follows its terms; amountRemaining and its status (Open / Paid In Full)
  follow the payments applied to it; its sales order is Billed while the invoice exists.
- A customer payment may only apply to the customer's own invoices, at most what each still owes, and
  no more in total than the payment; applying updates the invoices at once.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from simulators.netsuite import orders
from simulators.netsuite.errors import user_error
from simulators.netsuite.store import NetSuiteStore, Row
from simulators.netsuite.writecontext import WriteContext, currency_precision, round_money

TRANID_PREFIX = {
    "salesOrder": "SO",
    "invoice": "INV",
    "customerPayment": "PYMT",
    "creditMemo": "CM",
    "customerRefund": "RFND",
}
BILLABLE_ORDER_STATUSES = ("B", "D", "E", "F")


def customer_currencies(customer: Row) -> set[Any]:
    """The customer's primary currency and those of its currency sublist."""
    found = {line.get("currency") for line in customer.body.get("currencyList") or []}
    return found | {customer.body.get("currency")}


def check_customer_currency(customer: Row | None, currency: Any, path: str) -> None:
    if customer is None or currency is None or customer.body.get("currency") is None:
        return
    if currency not in customer_currencies(customer):
        raise user_error("The currency must be one of the customer's currencies.", path)


def transaction_header(context: WriteContext, entity_field: str) -> Row | None:
    body = context.body
    customer = context.load("customer", body.get(entity_field))
    body.setdefault("tranDate", context.today)
    if not body.get("tranId"):
        body["tranId"] = f"{TRANID_PREFIX[context.record_type.name]}{context.record_id}"
    if customer is not None:
        for name in ("currency", "subsidiary"):
            if name not in body and customer.body.get(name) is not None:
                body[name] = customer.body[name]
        if (
            "terms" in {f.name for f in context.record_type.fields}
            and "terms" not in body
            and customer.body.get("terms") is not None
        ):
            body["terms"] = customer.body["terms"]
    body.setdefault("exchangeRate", 1.0)
    return customer


def item_lines(context: WriteContext) -> None:
    body = context.body
    precision = currency_precision(context, body.get("currency"))
    total = 0.0
    for line in body.get("item") or []:
        item = context.load("item", line.get("item"))
        item_body = item.body if item else {}
        quantity = float(line.setdefault("quantity", 1))
        if line.get("rate") is None:
            if line.get("amount") is not None and quantity:
                line["rate"] = float(line["amount"]) / quantity
            else:
                line["rate"] = float(item_body.get("basePrice") or 0)
        if line.get("amount") is None:
            line["amount"] = round_money(quantity * float(line["rate"]), precision)
        for name, source in (
            ("description", "salesDescription"),
            ("taxCode", "salesTaxCode"),
            ("custcol_revenue_treatment", "custitem_revenue_treatment"),
        ):
            if line.get(name) is None and item_body.get(source) is not None:
                line[name] = item_body[source]
        if line.get("description") is None and item_body.get("displayName"):
            line["description"] = item_body["displayName"]
        total += float(line["amount"])
    body["subtotal"] = body["total"] = round_money(total, precision)


def prepare_sales_order(context: WriteContext) -> None:
    customer = transaction_header(context, "entity")
    check_customer_currency(customer, context.body.get("currency"), "currency")
    context.body.setdefault("orderStatus", "B")
    item_lines(context)
    orders.check_order_update(context)


def prepare_invoice(context: WriteContext) -> None:
    body = context.body
    transaction_header(context, "entity")
    source = context.load("transaction", body.get("createdFrom"))
    if source is not None and source.body.get("entity") != body.get("entity"):
        raise user_error(
            "The sales order this invoice is created from belongs to another customer.", "createdFrom"
        )
    item_lines(context)
    if not body.get("dueDate"):
        term = context.load("term", body.get("terms"))
        days = int(term.body.get("daysUntilNetDue") or 0) if term else 0
        body["dueDate"] = (dt.date.fromisoformat(body["tranDate"]) + dt.timedelta(days=days)).isoformat()
    invoice_balance(context.connection, context.record_id, body)


def invoice_balance(connection: sqlite3.Connection, invoice_id: int, body: dict[str, Any]) -> None:
    paid = connection.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM ns_applied WHERE invoice = ?", (invoice_id,)
    ).fetchone()[0]
    total = float(body.get("total") or 0)
    body["amountPaid"] = round(float(paid), 6)
    body["amountRemaining"] = round(total - float(paid), 6)
    body["status"] = "B" if body["amountRemaining"] <= 0.000001 else "A"


def prepare_customer_payment(context: WriteContext) -> None:
    body = context.body
    transaction_header(context, "customer")
    precision = currency_precision(context, body.get("currency"))
    payment = float(body.get("payment") or 0)
    if payment < 0:
        raise user_error("The payment amount cannot be negative.", "payment")
    available = payment
    applied_total = 0.0
    for index, line in enumerate(body.get("apply") or []):
        path = f"apply.items[{index}]"
        invoice = context.load("transaction", line.get("doc"))
        if invoice is None or invoice.body.get("entity") != body.get("customer"):
            raise user_error("You can only apply a payment to the customer's own invoices.", path + ".doc")
        already = context.connection.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM ns_applied WHERE invoice = ? AND payment != ?",
            (invoice.id, context.record_id),
        ).fetchone()[0]
        due = round_money(float(invoice.body.get("total") or 0) - float(already), precision)
        line["total"] = invoice.body.get("total")
        line["due"] = due
        line.setdefault("apply", True)
        if not line["apply"]:
            line["amount"] = 0.0
            continue
        if line.get("amount") is None:
            line["amount"] = round_money(max(0.0, min(due, available)), precision)
        amount = float(line["amount"])
        if amount < 0 or amount > due + 0.000001:
            raise user_error(
                f"The amount applied ({amount}) exceeds the amount due ({due}) on invoice "
                f"{invoice.body.get('tranId')}.",
                path + ".amount",
            )
        available -= amount
        applied_total += amount
    if applied_total > payment + 0.000001:
        raise user_error(
            f"The total applied ({applied_total}) exceeds the payment amount ({payment}).", "payment"
        )
    body["applied"] = round_money(applied_total, precision)
    payment_balance(context.connection, context.record_id, body)
    body["status"] = "B"


def _sum(connection: sqlite3.Connection, column: str, record_id: int) -> float:
    return float(
        connection.execute(
            f"SELECT COALESCE(SUM(amount), 0) FROM ns_applied WHERE {column} = ?", (record_id,)
        ).fetchone()[0]
    )


def payment_balance(connection: sqlite3.Connection, payment_id: int, body: dict[str, Any]) -> None:
    """What a payment has left: the payment less what it applies and what was refunded from it."""
    left = (
        float(body.get("payment") or 0)
        - float(body.get("applied") or 0)
        - _sum(connection, "invoice", payment_id)
    )
    body["unapplied"] = round(left, 6)


def credit_balance(connection: sqlite3.Connection, memo_id: int, body: dict[str, Any]) -> None:
    """A credit memo's amount remaining: its total less what it applies to invoices and what was refunded."""
    applied = _sum(connection, "payment", memo_id)
    refunded = _sum(connection, "invoice", memo_id)
    body["applied"] = round(applied, 6)
    body["amountRefunded"] = round(refunded, 6)
    body["amountRemaining"] = round(float(body.get("total") or 0) - applied - refunded, 6)
    body["status"] = "B" if body["amountRemaining"] <= 0.000001 else "A"


def rewrite_applications(context: WriteContext) -> None:
    connection = context.connection
    touched = {
        row[0]
        for row in connection.execute(
            "SELECT invoice FROM ns_applied WHERE payment = ?", (context.record_id,)
        )
    }
    connection.execute("DELETE FROM ns_applied WHERE payment = ?", (context.record_id,))
    for line in context.body.get("apply") or []:
        if line.get("apply") and float(line.get("amount") or 0) > 0:
            connection.execute(
                "INSERT INTO ns_applied (payment, invoice, amount) VALUES (?, ?, ?)",
                (context.record_id, line["doc"], float(line["amount"])),
            )
            touched.add(line["doc"])
    for invoice_id in touched:
        refresh_invoice(connection, context.store, int(invoice_id), context.stamp)


def refresh_invoice(
    connection: sqlite3.Connection, store: NetSuiteStore, invoice_id: int, stamp: str
) -> None:
    """Recompute what an invoice (credit memo, payment) has left after applications changed."""
    row = store.load("transaction", invoice_id, connection)
    balances = {"invoice": invoice_balance, "creditMemo": credit_balance, "customerPayment": payment_balance}
    if row is None or row.recordtype not in balances:
        return
    body = dict(row.body)
    balances[row.recordtype](connection, invoice_id, body)
    if body != row.body:
        record_type = store.catalog.get(row.recordtype)
        assert record_type is not None
        store.save(
            connection,
            record_type,
            invoice_id,
            body,
            external_id=row.externalid,
            created=row.datecreated,
            modified=stamp,
            insert=False,
        )


def refresh_order_status(
    connection: sqlite3.Connection, store: NetSuiteStore, order_id: int, stamp: str
) -> None:
    """A sales order's status and line quantities after an invoice or fulfilment changed."""
    orders.refresh_order(connection, store, order_id, stamp)
