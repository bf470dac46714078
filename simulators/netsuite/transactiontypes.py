"""The transaction record types (SuiteQL ``transaction``): sales orders, invoices, customer payments, item
fulfilments, credit memos and customer refunds.

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
SHIP_STATUSES = (("A", "Picked"), ("B", "Packed"), ("C", "Shipped"))
CREDIT_STATUSES = (("A", "Open"), ("B", "Fully Applied"))
REFUND_STATUSES = (("A", "Issued"),)
TRANSACTION_TYPES = {
    "salesOrder": "SalesOrd",
    "invoice": "CustInvc",
    "customerPayment": "CustPymt",
    "itemFulfillment": "ItemShip",
    "creditMemo": "CustCred",
    "customerRefund": "CustRfnd",
}
# Sales order line fields the order keeps for itself (an invoice's lines do not have them).
ORDER_LINE_FIELDS = ("isClosed", "quantityFulfilled", "quantityBilled")
SYNC_TEXT = ("sync_status", "sync_message")


def _lines(*, order: bool = False) -> Sublist:
    extra = (
        (
            boolean("isClosed", label="Closed"),
            number("quantityFulfilled", label="Fulfilled", readonly=True),
            number("quantityBilled", label="Invoiced", readonly=True),
        )
        if order
        else ()
    )
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
            *extra,
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
        sublists=(_lines(order=True),),
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


def _apply(label: str, ref_types: tuple[str, ...]) -> Sublist:
    return Sublist(
        "apply",
        label="Apply",
        key="doc",
        fields=(
            ref("doc", "transaction", ref_types=ref_types, label=label, required=True),
            boolean("apply", label="Apply"),
            number("amount", label="Amount"),
            number("total", label="Original Amount", readonly=True),
            number("due", label="Amount Due", readonly=True),
        ),
    )


def _item_fulfillment() -> RecordType:
    return RecordType(
        "itemFulfillment",
        "transaction",
        label="Item Fulfillment",
        type_code="ItemShip",
        refname=_transaction_name("Item Fulfillment"),
        fields=(
            *_transaction_common(),
            ref("entity", "customer", label="Customer", readonly=True, stored=True),
            ref(
                "createdFrom",
                "transaction",
                ref_types=("salesOrder",),
                label="Created From",
                required=True,
                stored=True,
            ),
            select("shipStatus", SHIP_STATUSES, label="Status", column="status", stored=True),
        ),
        sublists=(
            Sublist(
                "item",
                label="Items",
                key="line",
                required=True,
                fields=(
                    integer("line", readonly=True),
                    integer("orderLine", label="Order Line"),
                    ref("item", "item", label="Item"),
                    number("quantity", label="Quantity", required=True),
                    text("description", label="Description"),
                ),
            ),
        ),
    )


def _credit_memo() -> RecordType:
    return RecordType(
        "creditMemo",
        "transaction",
        label="Credit Memo",
        type_code="CustCred",
        refname=_transaction_name("Credit Memo"),
        fields=(
            *_transaction_common(),
            ref("entity", "customer", label="Customer", required=True, stored=True),
            ref("createdFrom", "transaction", ref_types=("invoice",), label="Created From", stored=True),
            select("status", CREDIT_STATUSES, label="Status", readonly=True, stored=True),
            number("subtotal", label="Subtotal", readonly=True),
            number("total", label="Total", readonly=True, column="foreigntotal", stored=True),
            number("applied", label="Applied", readonly=True),
            number("amountRefunded", label="Refunded", readonly=True),
            number(
                "amountRemaining",
                label="Amount Remaining",
                readonly=True,
                column="foreignamountremaining",
                stored=True,
            ),
        ),
        sublists=(_lines(), _apply("Invoice", ("invoice",))),
    )


def _customer_refund() -> RecordType:
    return RecordType(
        "customerRefund",
        "transaction",
        label="Customer Refund",
        type_code="CustRfnd",
        refname=_transaction_name("Customer Refund"),
        fields=(
            *_transaction_common(),
            ref("customer", "customer", label="Customer", required=True, column="entity", stored=True),
            number("total", label="Amount", readonly=True, column="foreigntotal", stored=True),
            select("status", REFUND_STATUSES, label="Status", readonly=True, stored=True),
        ),
        sublists=(_apply("Credit", ("creditMemo", "customerPayment")),),
    )


def transaction_types() -> tuple[RecordType, ...]:
    return (
        _sales_order(),
        _invoice(),
        _customer_payment(),
        _item_fulfillment(),
        _credit_memo(),
        _customer_refund(),
    )
