"""What NetSuite does on save, per record type: defaults, derived values and cross-record checks.

Transactions are in :mod:`billing`. Here: a company needs a name and takes its subsidiary's currency
(without OneWorld, the base currency); contacts take their company's subsidiary; billing accounts default
from the customer; a subscription's billing account must be the customer's and its price book the
plan's, and its end date follows the initial term. Deleting a record that others depend on is refused,
as NetSuite does.
"""

from __future__ import annotations

import json
import sqlite3

from simulators.netsuite import billing, changeorders, credits, orders, suitebilling
from simulators.netsuite.errors import user_error
from simulators.netsuite.schema import RecordType
from simulators.netsuite.store import NetSuiteStore, Row, now_text, physical_table
from simulators.netsuite.writecontext import WriteContext

# -- prepare: before the required-field check and the save -------------------------------------------


def prepare(context: WriteContext) -> None:
    handler = _PREPARE.get(context.record_type.name)
    if handler is not None:
        handler(context)


def _customer(context: WriteContext) -> None:
    body = context.body
    body.setdefault("isPerson", False)
    if body["isPerson"]:
        if not (body.get("firstName") or body.get("lastName")):
            raise user_error("Please enter value(s) for: First Name, Last Name", "lastName")
    elif not body.get("companyName"):
        raise user_error("Please enter value(s) for: Company Name", "companyName")
    if not body.get("entityId"):
        body["entityId"] = context.record_type.refname(body) or f"CUST{context.record_id}"
    body.setdefault("isInactive", False)
    if "currency" not in body:
        subsidiary = context.load("subsidiary", body.get("subsidiary"))
        if subsidiary and subsidiary.body.get("currency"):
            body["currency"] = subsidiary.body["currency"]
        elif context.record_type.field("subsidiary") is None:  # no OneWorld: the account's base currency
            base = _base_currency(context)
            if base is not None:
                body["currency"] = base
    for line in body.get("addressBook") or []:
        line.setdefault("defaultBilling", False)
        line.setdefault("defaultShipping", False)


def _base_currency(context: WriteContext) -> int | None:
    """The id of the currency marked as the account's base currency, if any."""
    rows = context.connection.execute(f"SELECT id, body FROM {physical_table('currency')} ORDER BY id")
    for record_id, body in rows:
        if json.loads(body).get("isBaseCurrency"):
            return int(record_id)
    return None


def _contact(context: WriteContext) -> None:
    body = context.body
    if not (body.get("firstName") or body.get("lastName")):
        raise user_error("Please enter value(s) for: First Name, Last Name", "lastName")
    if "subsidiary" not in body:
        company = context.load("customer", body.get("company"))
        if company and company.body.get("subsidiary"):
            body["subsidiary"] = company.body["subsidiary"]
    if not body.get("entityId"):
        body["entityId"] = context.record_type.refname(body)
    body.setdefault("isInactive", False)


def _billing_account(context: WriteContext) -> None:
    body = context.body
    customer = context.load("customer", body.get("customer"))
    if customer is not None:
        for name in ("currency", "subsidiary"):
            if name not in body and customer.body.get(name) is not None:
                body[name] = customer.body[name]
        if not body.get("name"):
            body["name"] = (
                f"{customer.body.get('companyName') or customer.body.get('entityId')} Billing Account"
            )
    body.setdefault("startDate", context.today)
    body.setdefault("inactive", False)
    billing.check_customer_currency(customer, body.get("currency"), "currency")


def _subscription_plan(context: WriteContext) -> None:
    for line in context.body.get("member") or []:
        line.setdefault("subscriptionLineType", "1")
        line.setdefault("isRequired", False)


_PREPARE = {
    "customer": _customer,
    "contact": _contact,
    "salesOrder": billing.prepare_sales_order,
    "invoice": billing.prepare_invoice,
    "customerPayment": billing.prepare_customer_payment,
    "itemFulfillment": orders.prepare_item_fulfillment,
    "creditMemo": credits.prepare_credit_memo,
    "customerRefund": credits.prepare_customer_refund,
    "billingAccount": _billing_account,
    "subscriptionPlan": _subscription_plan,
    "subscription": suitebilling.prepare_subscription,
    "subscriptionLine": suitebilling.prepare_subscription_line,
    "subscriptionChangeOrder": changeorders.prepare_change_order,
}


# -- after the save: effects on other records --------------------------------------------------------


def after_save(context: WriteContext) -> None:
    name = context.record_type.name
    if name in ("customerPayment", "creditMemo", "customerRefund"):
        billing.rewrite_applications(context)
    elif name == "subscription":
        suitebilling.after_save_subscription(context)
    elif name == "subscriptionLine":
        suitebilling.after_save_subscription_line(context)
    elif name == "subscriptionChangeOrder":
        changeorders.after_save_change_order(context)
    elif name in ("invoice", "itemFulfillment"):
        before = (context.before or {}).get("createdFrom")
        for order_id in {before, context.body.get("createdFrom")}:
            if order_id is not None:
                billing.refresh_order_status(context.connection, context.store, int(order_id), context.stamp)


# -- deletes ---------------------------------------------------------------------------------------

_DEPENDENTS = {
    "customer": (
        ("ns_transaction", "entity"),
        ("ns_billingaccount", "customer"),
        ("ns_subscription", "customer"),
        ("ns_contact", "company"),
    ),
    "salesOrder": (("ns_transaction", "createdfrom"),),
    "invoice": (("ns_applied", "invoice"),),
    "creditMemo": (("ns_applied", "invoice"),),
    "billingAccount": (("ns_subscription", "billingaccount"),),
    "subscription": (
        ("ns_subscriptionchangeorder", "subscription"),
        ("ns_subscription", "parentsubscription"),
    ),
    "subscriptionPlan": (("ns_subscription", "subscriptionplan"),),
}


def before_delete(
    connection: sqlite3.Connection, store: NetSuiteStore, record_type: RecordType, row: Row
) -> None:
    if record_type.name == "subscriptionLine":
        raise user_error("You cannot delete a subscription line; terminate it with a change order.")
    if record_type.name == "subscriptionChangeOrder":
        raise user_error("A change order that has taken effect cannot be deleted.")
    for table, column in _DEPENDENTS.get(record_type.name, ()):
        if connection.execute(f'SELECT 1 FROM {table} WHERE "{column}" = ? LIMIT 1', (row.id,)).fetchone():
            raise user_error("This record cannot be deleted because it has dependent records.")


def after_delete(
    connection: sqlite3.Connection, store: NetSuiteStore, record_type: RecordType, row: Row
) -> None:
    if record_type.name == "subscription":
        connection.execute("DELETE FROM ns_subscriptionline WHERE subscription = ?", (row.id,))
    if record_type.name in ("customerPayment", "creditMemo", "customerRefund"):
        invoices = [
            r[0] for r in connection.execute("SELECT invoice FROM ns_applied WHERE payment = ?", (row.id,))
        ]
        connection.execute("DELETE FROM ns_applied WHERE payment = ?", (row.id,))
        for invoice_id in invoices:
            billing.refresh_invoice(connection, store, int(invoice_id), now_text())
    elif record_type.name in ("invoice", "itemFulfillment") and row.body.get("createdFrom"):
        billing.refresh_order_status(connection, store, int(row.body["createdFrom"]), now_text())
