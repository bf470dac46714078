"""The record types the simulator serves, with the fields Concord and a typical integration touch.

Names follow the REST record catalogue (``customer``, ``salesOrder``, ``nonInventorySaleItem`` ...).
Custom fields Concord uses are predefined here; more can be declared at run time through
``POST /_control/netsuite/custom-fields`` (as an administrator would in Customization > Lists, Records
& Fields), anything else is ``NONEXISTENT_FIELD`` as in a real account.
"""

from __future__ import annotations

from typing import Any

from simulators.netsuite.pricing import price_sublist
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
from simulators.netsuite.suitebillingtypes import suitebilling_types
from simulators.netsuite.transactiontypes import SYNC_TEXT, transaction_types

LINE_TYPES = (("1", "Recurring"), ("2", "One Time"), ("3", "Usage"))
ITEM_TYPES = {
    "inventoryItem": "InvtPart",
    "nonInventorySaleItem": "NonInvtPart",
    "serviceSaleItem": "Service",
}


def _name(body: dict[str, Any]) -> str:
    return str(body.get("name") or "")


def _rate_name(body: dict[str, Any]) -> str:
    return f"{body.get('exchangeRate') or ''} from {body.get('effectiveDate') or ''}".strip()


def _person(body: dict[str, Any]) -> str:
    return " ".join(str(body[key]) for key in ("firstName", "lastName") if body.get(key))


def _customer_name(body: dict[str, Any]) -> str:
    if body.get("isPerson"):
        return _person(body) or str(body.get("entityId") or "")
    return str(body.get("companyName") or body.get("entityId") or "")


def _item_name(body: dict[str, Any]) -> str:
    return str(body.get("itemId") or "")


def _address() -> Field:
    return Field(
        "addressBookAddress",
        "address",
        label="Address",
        column=None,
        subfields=(
            text("addressee"),
            text("attention"),
            text("addr1", label="Address 1"),
            text("addr2", label="Address 2"),
            text("addr3", label="Address 3"),
            text("city"),
            text("state"),
            text("zip"),
            Field("country", "country"),
            text("addrPhone", label="Phone"),
        ),
    )


def _customer() -> RecordType:
    return RecordType(
        "customer",
        "customer",
        label="Customer",
        refname=_customer_name,
        fields=(
            *common_fields(),
            text("entityId", label="Customer ID", stored=True),
            text("companyName", label="Company Name"),
            boolean("isPerson", label="Individual"),
            text("firstName", label="First Name"),
            text("lastName", label="Last Name"),
            text("email", label="Email"),
            text("phone", label="Phone"),
            text("url", label="Web Address"),
            ref("subsidiary", "subsidiary", label="Primary Subsidiary", required=True),
            ref("currency", "currency", label="Currency"),
            ref("terms", "term", label="Terms"),
            text("comments", label="Comments"),
            boolean("isInactive", label="Inactive"),
            number("creditLimit", label="Credit Limit"),
            text("custentity_sf_account_id", label="Salesforce Account ID"),
            *(text(f"custentity_concord_{name}") for name in SYNC_TEXT),
            datetime_field("custentity_concord_sync_time"),
        ),
        sublists=(
            Sublist(
                "addressBook",
                label="Address Book",
                key="id",
                fields=(
                    integer("id", readonly=True),
                    text("label", label="Label"),
                    boolean("defaultBilling", label="Default Billing"),
                    boolean("defaultShipping", label="Default Shipping"),
                    _address(),
                ),
            ),
            # The customer's currencies besides its primary one (Multiple Currencies): transactions and
            # billing accounts for the customer must use one of them.
            Sublist(
                "currencyList",
                label="Currencies",
                key="currency",
                fields=(ref("currency", "currency", label="Currency", required=True),),
            ),
        ),
    )


def _contact() -> RecordType:
    return RecordType(
        "contact",
        "contact",
        label="Contact",
        refname=_person,
        fields=(
            *common_fields(),
            text("entityId", label="Contact"),
            text("firstName", label="First Name"),
            text("lastName", label="Last Name"),
            text("email", label="Email"),
            text("phone", label="Phone"),
            text("title", label="Job Title"),
            ref("company", "customer", label="Company", stored=True),
            ref("subsidiary", "subsidiary", label="Subsidiary"),
            boolean("isInactive", label="Inactive"),
            text("custentity_sf_contact_id", label="Salesforce Contact ID"),
            # The entity fields Concord uses apply to contacts too (an entity field's "Applies To" list).
            *(text(f"custentity_concord_{name}") for name in SYNC_TEXT),
            datetime_field("custentity_concord_sync_time"),
        ),
    )


def _item(name: str, label: str) -> RecordType:
    return RecordType(
        name,
        "item",
        label=label,
        type_code=ITEM_TYPES[name],
        refname=_item_name,
        fields=(
            *common_fields(),
            text("itemId", label="Item Name/Number", required=True, stored=True),
            text("displayName", label="Display Name/Code"),
            text("salesDescription", label="Sales Description"),
            number("basePrice", label="Base Price"),
            ref("subsidiary", "subsidiary", label="Subsidiary"),
            boolean("includeChildren", label="Include Children"),
            ref("salesTaxCode", "salestaxitem", label="Tax Code"),
            boolean("isInactive", label="Inactive"),
            text("custitem_revenue_treatment", label="Revenue Treatment"),
            text("custitem_concord_family", label="Product Family"),
            boolean("custitem_concord_subscription", label="Subscription Item"),
        ),
        sublists=(price_sublist(),),
    )


def _billing_account() -> RecordType:
    return RecordType(
        "billingAccount",
        "billingaccount",
        label="Billing Account",
        refname=_name,
        fields=(
            *common_fields(),
            text("name", label="Name"),
            ref("customer", "customer", label="Customer", required=True, stored=True),
            ref("billingSchedule", "billingschedule", label="Bill Cycle", required=True),
            ref("currency", "currency", label="Currency"),
            ref("subsidiary", "subsidiary", label="Subsidiary"),
            date("startDate", label="Start Date"),
            text("memo", label="Memo"),
            boolean("inactive", label="Inactive"),
        ),
    )


def _simple(name: str, table: str, label: str, *fields: Field, refname: Any = _name) -> RecordType:
    return RecordType(name, table, label=label, refname=refname, fields=(*common_fields(), *fields))


def _subscription_plan() -> RecordType:
    return RecordType(
        "subscriptionPlan",
        "subscriptionplan",
        label="Subscription Plan",
        refname=_item_name,
        fields=(
            *common_fields(),
            text("itemId", label="Name", required=True, stored=True),
            text("displayName", label="Display Name"),
            text("description", label="Description"),
            ref("initialTerm", "subscriptionterm", label="Initial Term", required=True),
            ref("subsidiary", "subsidiary", label="Subsidiary"),
            boolean("isInactive", label="Inactive"),
        ),
        sublists=(
            Sublist(
                "member",
                label="Members",
                key="lineNumber",
                fields=(
                    integer("lineNumber", readonly=True),
                    ref("item", "item", label="Item", required=True),
                    select("subscriptionLineType", LINE_TYPES, label="Type"),
                    boolean("isRequired", label="Required"),
                    boolean("prorateStartDate", label="Prorate Start Date"),
                ),
            ),
        ),
    )


def all_record_types() -> tuple[RecordType, ...]:
    return (
        _customer(),
        _contact(),
        _item("inventoryItem", "Inventory Item"),
        _item("nonInventorySaleItem", "Non-inventory Item for Sale"),
        _item("serviceSaleItem", "Service Item for Sale"),
        _simple(
            "salesTaxItem",
            "salestaxitem",
            "Tax Code",
            text("itemId", label="Tax Name", required=True),
            text("description", label="Description"),
            number("rate", label="Rate"),
            ref("subsidiary", "subsidiary", label="Subsidiary"),
            boolean("isInactive", label="Inactive"),
            refname=_item_name,
        ),
        *transaction_types(),
        _billing_account(),
        _simple(
            "billingSchedule",
            "billingschedule",
            "Billing Schedule",
            text("name", label="Name", required=True),
            text("frequency", label="Frequency"),
            boolean("inArrears", label="In Arrears"),
            boolean("isInactive", label="Inactive"),
        ),
        _simple(
            "subscriptionTerm",
            "subscriptionterm",
            "Subscription Term",
            text("name", label="Name", required=True),
            integer("duration", label="Duration", required=True),
            text("unit", label="Unit"),
            boolean("isInactive", label="Inactive"),
        ),
        _subscription_plan(),
        _simple(
            "priceBook",
            "pricebook",
            "Price Book",
            text("name", label="Name", required=True),
            ref("subscriptionPlan", "subscriptionplan", label="Subscription Plan", required=True),
            ref("currency", "currency", label="Currency", required=True),
        ),
        *suitebilling_types(),
        _simple(
            "subsidiary",
            "subsidiary",
            "Subsidiary",
            text("name", label="Name", required=True),
            text("legalName", label="Legal Name"),
            Field("country", "country", label="Country"),
            ref("currency", "currency", label="Currency", required=True),
            ref("parent", "subsidiary", label="Subsidiary Of"),
            boolean("isElimination", label="Elimination"),
            boolean("isInactive", label="Inactive"),
        ),
        # The classification lists (Departments, Classes, Locations features): hierarchical, by name.
        *(
            _simple(
                name,
                name,
                label,
                text("name", label="Name", required=True),
                ref("parent", name, label=f"Sub-{label.lower()} Of"),
                ref("subsidiary", "subsidiary", label="Subsidiary"),
                boolean("isInactive", label="Inactive"),
            )
            for name, label in (
                ("department", "Department"),
                ("classification", "Class"),
                ("location", "Location"),
            )
        ),
        _simple(
            "currency",
            "currency",
            "Currency",
            text("name", label="Name", required=True),
            text("symbol", label="ISO Code", required=True),
            text("displaySymbol", label="Symbol"),
            integer("currencyPrecision", label="Currency Precision"),
            number("exchangeRate", label="Exchange Rate"),
            boolean("isBaseCurrency", label="Base Currency"),
            boolean("isInactive", label="Inactive"),
        ),
        # Currency Exchange Rates (Multiple Currencies): base-currency units per unit of the transaction
        # currency, from the effective date on. REST record id ``currencyrate``; fields per Oracle's records
        # browser (basecurrency, transactioncurrency, exchangerate, effectivedate).
        _simple(
            "currencyRate",
            "currencyrate",
            "Currency Exchange Rate",
            ref("baseCurrency", "currency", label="Base Currency", required=True),
            ref("transactionCurrency", "currency", label="Currency", required=True),
            number("exchangeRate", label="Exchange Rate", required=True),
            date("effectiveDate", label="Effective Date", required=True),
            refname=_rate_name,
        ),
        _simple(
            "term",
            "term",
            "Term",
            text("name", label="Terms", required=True),
            integer("daysUntilNetDue", label="Days Till Net Due"),
            boolean("isInactive", label="Inactive"),
        ),
    )
