"""What NetSuite does on save, per record type: defaults, derived values and cross-record checks.

Transactions are in :mod:`billing`. Here: a company needs a name and takes its subsidiary's currency
(without OneWorld, the base currency); contacts take their company's subsidiary; billing accounts default
from the customer; a subscription's billing account must be the customer's and its price book the
plan's, and its end date follows the initial term. Deleting a record that others depend on is refused,
as NetSuite does.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from simulators.netsuite import billing
from simulators.netsuite.errors import user_error
from simulators.netsuite.schema import RecordType
from simulators.netsuite.store import NetSuiteStore, Row, now_text, physical_table
from simulators.netsuite.writecontext import WriteContext, add_months

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


def _subscription_plan(context: WriteContext) -> None:
    for line in context.body.get("member") or []:
        line.setdefault("subscriptionLineType", "1")
        line.setdefault("isRequired", False)


def _subscription(context: WriteContext) -> None:
    body = context.body
    customer = context.load("customer", body.get("customer"))
    account = context.load("billingaccount", body.get("billingAccount"))
    plan = context.load("subscriptionplan", body.get("subscriptionPlan"))
    book = context.load("pricebook", body.get("priceBook"))
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
    if not body.get("name") and customer is not None and plan is not None:
        body["name"] = (
            f"{customer.body.get('companyName') or customer.body.get('entityId')} - {plan.body.get('itemId')}"
        )
    body.setdefault("subscriptionStatus", "DRAFT")
    term = context.load("subscriptionterm", body.get("initialTerm"))
    if body.get("startDate") and not body.get("endDate") and term is not None:
        duration = int(term.body.get("duration") or 0)
        months = duration * 12 if str(term.body.get("unit", "")).upper().startswith("YEAR") else duration
        start = dt.date.fromisoformat(body["startDate"])
        body["endDate"] = (add_months(start, months) - dt.timedelta(days=1)).isoformat()


_PREPARE = {
    "customer": _customer,
    "contact": _contact,
    "salesOrder": billing.prepare_sales_order,
    "invoice": billing.prepare_invoice,
    "customerPayment": billing.prepare_customer_payment,
    "billingAccount": _billing_account,
    "subscriptionPlan": _subscription_plan,
    "subscription": _subscription,
}


# -- after the save: effects on other records --------------------------------------------------------


def after_save(context: WriteContext) -> None:
    name = context.record_type.name
    if name == "customerPayment":
        billing.rewrite_applications(context)
    elif name == "invoice":
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
    "billingAccount": (("ns_subscription", "billingaccount"),),
    "subscriptionPlan": (("ns_subscription", "subscriptionplan"),),
}


def before_delete(
    connection: sqlite3.Connection, store: NetSuiteStore, record_type: RecordType, row: Row
) -> None:
    for table, column in _DEPENDENTS.get(record_type.name, ()):
        if connection.execute(f'SELECT 1 FROM {table} WHERE "{column}" = ? LIMIT 1', (row.id,)).fetchone():
            raise user_error("This record cannot be deleted because it has dependent records.")


def after_delete(
    connection: sqlite3.Connection, store: NetSuiteStore, record_type: RecordType, row: Row
) -> None:
    if record_type.name == "customerPayment":
        invoices = [
            r[0] for r in connection.execute("SELECT invoice FROM ns_applied WHERE payment = ?", (row.id,))
        ]
        connection.execute("DELETE FROM ns_applied WHERE payment = ?", (row.id,))
        for invoice_id in invoices:
            billing.refresh_invoice(connection, store, int(invoice_id), now_text())
    elif record_type.name == "invoice" and row.body.get("createdFrom"):
        billing.refresh_order_status(connection, store, int(row.body["createdFrom"]), now_text())
