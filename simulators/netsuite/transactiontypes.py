"""The transaction record types: sales orders, invoices and customer payments (SuiteQL ``transaction``).

Their item lines are also rows of SuiteQL's ``transactionline``; statuses are NetSuite's letters
(``status`` in SuiteQL, ``BUILTIN.DF(status)`` for the text).
"""

from __future__ import annotations

from typing import Any

from simulators.netsuite.schema import (
    Field,
    RecordType,
    Sublist,
    boolean,
    common_fields,
    date,
    datetime_field,
    integer,
    number,
    ref,
    select,
    text,
)

ORDER_STATUSES = (
    ("A", "Pending Approval"),
    ("B", "Pending Fulfillment"),
    ("C", "Cancelled"),
    ("D", "Partially Fulfilled"),
    ("E", "Pending Billing/Partially Fulfilled"),
    ("F", "Pending Billing"),
    ("G", "Billed"),
    ("H", "Closed"),
)
INVOICE_STATUSES = (("A", "Open"), ("B", "Paid In Full"))
PAYMENT_STATUSES = (("B", "Not Deposited"), ("C", "Deposited"))
TRANSACTION_TYPES = {"salesOrder": "SalesOrd", "invoice": "CustInvc", "customerPayment": "CustPymt"}
SYNC_TEXT = ("sync_status", "sync_message")


def _lines() -> Sublist:
    return Sublist(
        "item",
        label="Items",
        key="line",
        required=True,
        fields=(
            integer("line", readonly=True),
            ref("item", "item", label="Item", required=True),
            number("quantity", label="Quantity"),
            number("rate", label="Rate"),
            number("amount", label="Amount"),
            text("description", label="Description"),
            ref("taxCode", "salestaxitem", label="Tax Code"),
            text("custcol_revenue_treatment", label="Revenue Treatment"),
            text("custcol_sf_quote_line_id", label="Salesforce Quote Line ID"),
        ),
    )


def _transaction_common() -> tuple[Field, ...]:
    return (
        *common_fields(),
        text("tranId", label="Document Number", stored=True),
        date("tranDate", label="Date", stored=True),
        ref("currency", "currency", label="Currency", stored=True),
        ref("subsidiary", "subsidiary", label="Subsidiary"),
        number("exchangeRate", label="Exchange Rate"),
        text("memo", label="Memo"),
        text("custbody_sf_opportunity_id", label="Salesforce Opportunity ID"),
        text("custbody_sf_quote_id", label="Salesforce Quote ID"),
        *(text(f"custbody_concord_{name}") for name in SYNC_TEXT),
        datetime_field("custbody_concord_sync_time"),
    )


def _transaction_name(label: str) -> Any:
    return lambda body: f"{label} #{body.get('tranId') or ''}"


def _sales_order() -> RecordType:
    return RecordType(
        "salesOrder",
        "transaction",
        label="Sales Order",
        type_code="SalesOrd",
        refname=_transaction_name("Sales Order"),
        fields=(
            *_transaction_common(),
            ref("entity", "customer", label="Customer", required=True, stored=True),
            ref("terms", "term", label="Terms"),
            text("otherRefNum", label="PO/Check Number"),
            select("orderStatus", ORDER_STATUSES, label="Order Status", column="status", stored=True),
            date("startDate", label="Start Date"),
            date("endDate", label="End Date"),
            number("subtotal", label="Subtotal", readonly=True),
            number("total", label="Total", readonly=True, column="foreigntotal", stored=True),
        ),
        sublists=(_lines(),),
    )


def _invoice() -> RecordType:
    return RecordType(
        "invoice",
        "transaction",
        label="Invoice",
        type_code="CustInvc",
        refname=_transaction_name("Invoice"),
        fields=(
            *_transaction_common(),
            ref("entity", "customer", label="Customer", required=True, stored=True),
            ref("createdFrom", "transaction", ref_types=("salesOrder",), label="Created From", stored=True),
            ref("terms", "term", label="Terms"),
            date("dueDate", label="Due Date"),
            text("otherRefNum", label="PO/Check Number"),
            select("status", INVOICE_STATUSES, label="Status", readonly=True, stored=True),
            number("subtotal", label="Subtotal", readonly=True),
            number("total", label="Total", readonly=True, column="foreigntotal", stored=True),
            number("amountPaid", label="Amount Paid", readonly=True),
            number(
                "amountRemaining",
                label="Amount Remaining",
                readonly=True,
                column="foreignamountremaining",
                stored=True,
            ),
        ),
        sublists=(_lines(),),
    )


def _customer_payment() -> RecordType:
    return RecordType(
        "customerPayment",
        "transaction",
        label="Customer Payment",
        type_code="CustPymt",
        refname=_transaction_name("Payment"),
        fields=(
            *_transaction_common(),
            ref("customer", "customer", label="Customer", required=True, column="entity", stored=True),
            number("payment", label="Payment Amount", required=True, column="foreigntotal", stored=True),
            number("applied", label="Applied", readonly=True),
            number("unapplied", label="Unapplied", readonly=True),
            select("status", PAYMENT_STATUSES, label="Status", readonly=True, stored=True),
        ),
        sublists=(
            Sublist(
                "apply",
                label="Apply",
                key="doc",
                fields=(
                    ref("doc", "transaction", ref_types=("invoice",), label="Invoice", required=True),
                    boolean("apply", label="Apply"),
                    number("amount", label="Payment"),
                    number("total", label="Original Amount", readonly=True),
                    number("due", label="Amount Due", readonly=True),
                ),
            ),
        ),
    )


def transaction_types() -> tuple[RecordType, ...]:
    return (_sales_order(), _invoice(), _customer_payment())
