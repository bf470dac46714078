"""SuiteBilling's record types: subscriptions, their lines and change orders.

A subscription's lines are a sublist (``subscriptionLine``, one line per plan member, keyed by
``lineNumber``) and each line is also a record of its own (``subscriptionLine``, SuiteQL
``subscriptionline``) that can be read and partly updated but not created or deleted through REST.
Change orders (``subscriptionChangeOrder``) carry an action, an effective date and a ``subline`` sublist
naming the subscription lines by ``sequence`` (= the line number). Their save rules are in
:mod:`simulators.netsuite.suitebilling`.
"""

from __future__ import annotations

from typing import Any

from simulators.netsuite.schema import (
    RecordType,
    Sublist,
    boolean,
    common_fields,
    date,
    integer,
    number,
    ref,
    select,
    text,
)

SUBSCRIPTION_STATUSES = (
    ("DRAFT", "Draft"),
    ("PENDING_ACTIVATION", "Pending Activation"),
    ("ACTIVE", "Active"),
    ("SUSPENDED", "Suspended"),
    ("CLOSED", "Closed"),
    ("TERMINATED", "Terminated"),
)
LINE_STATUSES = (
    ("NOT_INCLUDED", "Not Included"),
    ("DRAFT", "Draft"),
    ("PENDING_ACTIVATION", "Pending Activation"),
    ("ACTIVE", "Active"),
    ("SUSPENDED", "Suspended"),
    ("TERMINATED", "Terminated"),
)
CHANGE_ORDER_ACTIONS = (
    ("ACTIVATE", "Activation"),
    ("MODIFY_PRICING", "Modify Pricing"),
    ("SUSPEND", "Suspend"),
    ("REACTIVATE", "Reactivation"),
    ("TERMINATE", "Termination"),
    ("RENEW", "Renewal"),
)


def _name(body: dict[str, Any]) -> str:
    return str(body.get("name") or "")


def _line_name(body: dict[str, Any]) -> str:
    return f"Line {body.get('lineNumber') or ''}"


def _change_order_name(body: dict[str, Any]) -> str:
    return f"{body.get('action') or ''} {body.get('effectiveDate') or ''}".strip()


def subscription() -> RecordType:
    return RecordType(
        "subscription",
        "subscription",
        label="Subscription",
        refname=_name,
        fields=(
            *common_fields(),
            text("name", label="Name"),
            ref("customer", "customer", label="Customer", required=True, stored=True),
            ref("billingAccount", "billingaccount", label="Billing Account", required=True, stored=True),
            ref(
                "subscriptionPlan", "subscriptionplan", label="Subscription Plan", required=True, stored=True
            ),
            ref("priceBook", "pricebook", label="Price Book", required=True),
            ref("initialTerm", "subscriptionterm", label="Initial Term"),
            ref("currency", "currency", label="Currency"),
            ref("subsidiary", "subsidiary", label="Subsidiary"),
            date("startDate", label="Start Date", required=True),
            date("endDate", label="End Date"),
            select("subscriptionStatus", SUBSCRIPTION_STATUSES, label="Status", column="status"),
            ref("parentSubscription", "subscription", label="Parent Subscription", stored=True),
            ref("renewalSubscription", "subscription", label="Renewal Subscription", readonly=True),
            boolean("autoRenewal", label="Auto Renewal"),
            text("memo", label="Memo"),
            text("custrecord_sf_quote_id", label="Salesforce Quote ID"),
        ),
        sublists=(
            Sublist(
                "subscriptionLine",
                label="Subscription Lines",
                key="lineNumber",
                keep_key=True,
                fields=(
                    integer("lineNumber", readonly=True),
                    ref("item", "item", label="Item"),
                    number("quantity", label="Quantity"),
                    boolean("isIncluded", label="Include"),
                    select("subscriptionLineStatus", LINE_STATUSES, label="Status", readonly=True),
                    date("startDate", label="Start Date", readonly=True),
                    date("endDate", label="End Date", readonly=True),
                ),
            ),
        ),
    )


def subscription_line() -> RecordType:
    return RecordType(
        "subscriptionLine",
        "subscriptionline",
        label="Subscription Line",
        refname=_line_name,
        fields=(
            *common_fields(),
            ref("subscription", "subscription", label="Subscription", readonly=True, stored=True),
            integer("lineNumber", label="Line Number", readonly=True, stored=True),
            ref("item", "item", label="Item", readonly=True),
            number("quantity", label="Quantity"),
            boolean("isIncluded", label="Include"),
            select("subscriptionLineStatus", LINE_STATUSES, label="Status", column="status"),
            date("startDate", label="Start Date", readonly=True),
            date("endDate", label="End Date", readonly=True),
        ),
    )


def subscription_change_order() -> RecordType:
    return RecordType(
        "subscriptionChangeOrder",
        "subscriptionchangeorder",
        label="Subscription Change Order",
        refname=_change_order_name,
        fields=(
            *common_fields(),
            select("action", CHANGE_ORDER_ACTIONS, label="Action", required=True),
            ref("subscription", "subscription", label="Subscription", required=True, stored=True),
            date("effectiveDate", label="Effective Date", required=True, stored=True),
            ref("customer", "customer", label="Customer"),
            ref("billingAccount", "billingaccount", label="Billing Account"),
            text("memo", label="Memo"),
        ),
        sublists=(
            Sublist(
                "subline",
                label="Subscription Lines",
                key="sequence",
                keep_key=True,
                fields=(
                    integer("sequence", readonly=True),
                    boolean("apply", label="Apply"),
                    ref("item", "item", label="Item", readonly=True),
                    number("quantity", label="Quantity", readonly=True),
                    number("quantityNew", label="New Quantity"),
                    integer("pricePlanNew", label="New Price Plan"),
                    number("rateNew", label="New Rate"),
                    select("status", LINE_STATUSES, label="Line Status", readonly=True),
                ),
            ),
        ),
    )


def suitebilling_types() -> tuple[RecordType, ...]:
    return (subscription(), subscription_line(), subscription_change_order())
