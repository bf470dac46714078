"""The org's sObjects: standard CRM objects, Salesforce CPQ's quote objects and Concord's custom fields.

Key prefixes are the real ones for standard objects; custom objects get ``a0?`` prefixes as a real org
would. By default the org is multi-currency (``CurrencyIsoCode`` on the usual objects) with CPQ
installed; :func:`build_schema` also builds the single-currency and CPQ-less shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from simulators.dataset import SUBSIDIARIES
from simulators.salesforce.contract_objects import contract, credit_memo, opportunity_lifecycle_fields, refund
from simulators.salesforce.cpq import cpq_objects
from simulators.salesforce.fields import (
    CORPORATE_CURRENCY,
    CURRENCY_CODES,
    checkbox,
    currency_field,
    long_text,
    lookup,
    owner_field,
    picklist,
    read_only,
    sobject,
    sync_fields,
    text,
    typed,
)
from simulators.salesforce.fieldsets import DEFAULT_FIELD_SET, apply_field_set, extra_fields
from simulators.salesforce.schema import Field, Schema, SObject

OPPORTUNITY_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
# Default probability per stage, as a fresh org's sales process sets it.
STAGE_PROBABILITY = {
    "Prospecting": 10,
    "Qualification": 10,
    "Needs Analysis": 20,
    "Value Proposition": 50,
    "Id. Decision Makers": 60,
    "Perception Analysis": 70,
    "Proposal/Price Quote": 75,
    "Negotiation/Review": 90,
    "Closed Won": 100,
    "Closed Lost": 0,
}


CURRENCY_SHAPES = ("single", "multi")


def build_schema(
    *,
    currencies: str = "multi",
    cpq: bool = True,
    corporate_currency: str = CORPORATE_CURRENCY,
    field_set: str = DEFAULT_FIELD_SET,
) -> Schema:
    """A fresh :class:`Schema` of the org in the given shape.

    ``currencies="single"``: the org has not enabled multiple currencies, so no object has
    ``CurrencyIsoCode`` (every record is in the corporate currency, ``Organization.DefaultCurrencyIsoCode``).
    ``cpq=False``: the Salesforce CPQ package is not installed: no ``SBQQ__`` objects or fields.
    ``corporate_currency``: the org's corporate currency (new records' currency when none is given).
    ``field_set``: which custom fields the org's admins created (:mod:`simulators.salesforce.fieldsets`).
    """
    if currencies not in CURRENCY_SHAPES:
        raise ValueError(f"currencies must be one of {', '.join(CURRENCY_SHAPES)}")
    if corporate_currency not in CURRENCY_CODES:
        raise ValueError(f"corporate currency must be one of {', '.join(CURRENCY_CODES)}")
    sobjects = _all_objects()
    apply_field_set(sobjects, field_set)
    if corporate_currency != CORPORATE_CURRENCY:
        for sobject in sobjects:
            _corporate_default(sobject, corporate_currency)
    storage_defaults: dict[str, dict[str, object]] = {}
    if not cpq:
        sobjects = [s for s in sobjects if not s.name.startswith("SBQQ__")]
        for sobject in sobjects:
            _drop_fields(sobject, lambda f: f.name.startswith("SBQQ__"))
    if currencies == "single":
        sobjects = [s for s in sobjects if s.name != "CurrencyType"]
        for sobject in sobjects:
            if sobject.field("CurrencyIsoCode") is not None:
                storage_defaults[sobject.name] = {"CurrencyIsoCode": corporate_currency}
                _drop_fields(sobject, lambda f: f.name == "CurrencyIsoCode")
    return Schema(sobjects, storage_defaults=storage_defaults)


def storage_schema() -> Schema:
    """Every column and table of every shape: what the org's file holds, whatever shape serves it."""
    schema = build_schema()
    for name, extras in extra_fields().items():
        sobject = schema.sobjects[name]
        sobject.fields = [*sobject.fields, *extras]
        sobject.__post_init__()
    return schema


def _corporate_default(sobject: SObject, currency: str) -> None:
    """``CurrencyIsoCode`` defaults to the org's corporate currency on create."""
    sobject.fields = [
        replace(f, default=currency) if f.name == "CurrencyIsoCode" and f.default is not None else f
        for f in sobject.fields
    ]
    sobject.__post_init__()


def _drop_fields(sobject: SObject, dropped: Callable[[Field], bool]) -> None:
    sobject.fields = [f for f in sobject.fields if not dropped(f)]
    sobject.__post_init__()


def _all_objects() -> list[SObject]:
    """Every object of a multi-currency org with CPQ installed (the default shape)."""
    address = ("Street", "City", "State", "PostalCode", "Country")
    user = sobject(
        "User",
        "User",
        "005",
        [
            text("Username", required=True, unique=True, length=80),
            text("FirstName", length=40),
            text("LastName", required=True, length=80),
            read_only(text("Name", "Full Name", length=121, name_field=True)),
            typed("Email", "email", required=True),
            checkbox("IsActive", "Active", default=True),
            currency_field(),
        ],
        createable=False,
    )
    # The org itself (one row, read-only through the API): ``IsSandbox`` is how a client tells a sandbox
    # from production (``SELECT IsSandbox FROM Organization``); the simulator's --environment flag and
    # PATCH /_control/salesforce/organization set it.
    organization = sobject(
        "Organization",
        "Organization",
        "00D",
        [
            read_only(text("Name", "Name", length=80, name_field=True)),
            read_only(checkbox("IsSandbox", "Is Sandbox")),
            read_only(text("OrganizationType", "Edition", length=40)),
            read_only(text("InstanceName", "Instance Name", length=5)),
            # The corporate currency, in both shapes (a single-currency org's only currency). Salesforce's
            # SOAP getUserInfo() documents orgDefaultCurrencyIsoCode "only if orgMultiCurrency is false";
            # clients read this field with ``SELECT DefaultCurrencyIsoCode FROM Organization`` (widely used
            # in open-source connectors, read in 2026-12). Whether a multi-currency org fills it is
            # unsure, so Concord asks CurrencyType there first (below).
            read_only(
                Field("DefaultCurrencyIsoCode", "picklist", "Locale Currency", 255, picklist=CURRENCY_CODES)
            ),
        ],
        createable=False,
    )
    # The org's currencies, one row per active currency, the corporate one marked. Salesforce's object
    # reference (CurrencyType): "Represents the currencies used by an organization for which the
    # multicurrency feature is enabled ... This object is not available in single-currency
    # organizations" (build_schema drops it there, so describeGlobal does not list it and a query
    # fails). Read-only here: the simulator's currencies are fixed (CURRENCY_CODES).
    currency_type = sobject(
        "CurrencyType",
        "Currency Type",
        "02y",  # not checked against a real org; ids of this object are never used by Concord
        [
            read_only(picklist("IsoCode", CURRENCY_CODES, "Currency ISO Code", name_field=True)),
            read_only(checkbox("IsCorporate", "Corporate Currency")),
            read_only(checkbox("IsActive", "Active")),
            read_only(Field("ConversionRate", "double", "Conversion Rate")),
            read_only(Field("DecimalPlaces", "int", "Decimal Places")),
        ],
        createable=False,
    )
    account = sobject(
        "Account",
        "Account",
        "001",
        [
            lookup("ParentId", "Account", "Parent", "ChildAccounts", label="Parent Account ID"),
            text("Name", "Account Name", required=True, name_field=True),
            text("AccountNumber", "Account Number", length=40),
            picklist(
                "Type",
                ("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"),
                "Account Type",
            ),
            picklist(
                "Industry",
                (
                    "Technology",
                    "Manufacturing",
                    "Healthcare",
                    "Financial Services",
                    "Retail",
                    "Education",
                    "Other",
                ),
            ),
            *[text(f"Billing{part}", f"Billing {part}", 255 if part == "Street" else 80) for part in address],
            *[
                text(f"Shipping{part}", f"Shipping {part}", 255 if part == "Street" else 80)
                for part in address
            ],
            typed("Phone", "phone", "Account Phone"),
            typed("Website", "url"),
            long_text("Description", "Account Description"),
            currency_field(),
            owner_field(),
        ],
        [
            text("NetSuite_Id__c", "NetSuite Id", 40, external_id=True, unique=True),
            picklist("Subsidiary__c", tuple(s.key for s in SUBSIDIARIES), "Subsidiary"),
            # Custom fields an admin adds for the customer return flow (NetSuite owns their values).
            text("Payment_Terms__c", "Payment Terms", 80),
            Field("Credit_Limit__c", "currency", "Credit Limit", custom=True),
            *sync_fields(),
        ],
        label_plural="Accounts",
    )
    contact = sobject(
        "Contact",
        "Contact",
        "003",
        [
            lookup("AccountId", "Account", "Account", "Contacts", label="Account ID", cascade_delete=True),
            text("FirstName", "First Name", 40),
            text("LastName", "Last Name", 80, required=True),
            read_only(text("Name", "Full Name", 121, name_field=True)),
            text("Title", length=128),
            typed("Email", "email"),
            typed("Phone", "phone", "Business Phone"),
            *[text(f"Mailing{part}", f"Mailing {part}", 255 if part == "Street" else 80) for part in address],
            currency_field(),
            owner_field(),
        ],
        [
            text("NetSuite_Id__c", "NetSuite Id", 40, external_id=True, unique=True),
            # A non-unique external id, as orgs migrated from another CRM have (an upsert may match several).
            text("Legacy_Id__c", "Legacy Id", 40, external_id=True),
            *sync_fields(),
        ],
    )
    product = sobject(
        "Product2",
        "Product",
        "01t",
        [
            text("Name", "Product Name", required=True, name_field=True),
            text("ProductCode", "Product Code"),
            long_text("Description", "Product Description", 4000),
            picklist("Family", ("Platform", "Support", "Services", "Hardware", "Packages"), "Product Family"),
            checkbox("IsActive", "Active"),
            currency_field(),
        ],
        [
            checkbox("Taxable__c", "Taxable"),
            text("Tax_Code__c", "Tax Code", 40),
            picklist(
                "Revenue_Treatment__c", ("ratable", "point_in_time"), "Revenue Treatment", restricted=True
            ),
            picklist(
                "Product_Type__c", ("subscription", "service", "hardware"), "Product Type", restricted=True
            ),
            text("NetSuite_Item_Id__c", "NetSuite Item Id", 40, external_id=True, unique=True),
        ],
    )
    pricebook = sobject(
        "Pricebook2",
        "Price Book",
        "01s",
        [
            text("Name", "Price Book Name", required=True, name_field=True),
            checkbox("IsActive", "Active"),
            read_only(checkbox("IsStandard", "Is Standard Price Book")),
            long_text("Description", length=255),
        ],
    )
    entry = sobject(
        "PricebookEntry",
        "Price Book Entry",
        "01u",
        [
            read_only(text("Name", "Product Name", name_field=True)),
            lookup(
                "Pricebook2Id",
                "Pricebook2",
                "Pricebook2",
                "PricebookEntries",
                label="Price Book ID",
                required=True,
                updateable=False,
                cascade_delete=True,
            ),
            lookup(
                "Product2Id",
                "Product2",
                "Product2",
                "PricebookEntries",
                label="Product ID",
                required=True,
                updateable=False,
                cascade_delete=True,
            ),
            Field("UnitPrice", "currency", "List Price", required=True),
            checkbox("IsActive", "Active"),
            checkbox("UseStandardPrice", "Use Standard Price"),
            read_only(text("ProductCode", "Product Code")),
            Field(
                "CurrencyIsoCode",
                "picklist",
                "Currency ISO Code",
                255,
                picklist=CURRENCY_CODES,
                restricted=True,
                default=CORPORATE_CURRENCY,
                updateable=False,
            ),
        ],
    )
    quote_ref = lookup(
        "SBQQ__PrimaryQuote__c", "SBQQ__Quote__c", "SBQQ__PrimaryQuote__r", label="Primary Quote"
    )
    opportunity = sobject(
        "Opportunity",
        "Opportunity",
        "006",
        [
            lookup(
                "AccountId", "Account", "Account", "Opportunities", label="Account ID", cascade_delete=True
            ),
            text("Name", "Name", 120, required=True, name_field=True),
            long_text("Description", length=32000),
            picklist("StageName", OPPORTUNITY_STAGES, "Stage", required=True, restricted=True),
            Field("Amount", "currency", "Amount"),
            Field("Probability", "percent", "Probability (%)", scale=0, precision=3),
            typed("CloseDate", "date", "Close Date", required=True),
            picklist(
                "Type", ("New Business", "Existing Business", "Renewal", "Amendment"), "Opportunity Type"
            ),
            text("NextStep", "Next Step"),
            picklist("LeadSource", ("Web", "Partner", "Event", "Other"), "Lead Source"),
            read_only(checkbox("IsClosed", "Closed")),
            read_only(checkbox("IsWon", "Won")),
            lookup("Pricebook2Id", "Pricebook2", "Pricebook2", "Opportunities", label="Price Book ID"),
            currency_field(),
            owner_field(),
        ],
        [
            quote_ref,
            text("NetSuite_Sales_Order_Id__c", "NetSuite Sales Order Id", 40, external_id=True, unique=True),
            text("NetSuite_Order_Status__c", "NetSuite Order Status", 80),
            # The "send to NetSuite" checkbox an admin adds for a checkbox trigger (as with Oracle's
            # NetSuite connector); an outbound message rule on it being true sends the record.
            checkbox("Send_to_NetSuite__c", "Send to NetSuite"),
            *sync_fields(),
            *opportunity_lifecycle_fields(),
        ],
        label_plural="Opportunities",
    )
    line_item = sobject(
        "OpportunityLineItem",
        "Opportunity Product",
        "00k",
        [
            lookup(
                "OpportunityId",
                "Opportunity",
                "Opportunity",
                "OpportunityLineItems",
                label="Opportunity ID",
                required=True,
                updateable=False,
                cascade_delete=True,
            ),
            lookup(
                "PricebookEntryId",
                "PricebookEntry",
                "PricebookEntry",
                label="Price Book Entry ID",
                required=True,
                updateable=False,
            ),
            # Either the price book entry or the product (then found in the opportunity's book and currency).
            lookup("Product2Id", "Product2", "Product2", label="Product ID", updateable=False),
            read_only(text("ProductCode", "Product Code")),
            read_only(text("Name", "Opportunity Product Name", 376, name_field=True)),
            Field("Quantity", "double", "Quantity", required=True),
            Field("UnitPrice", "currency", "Sales Price"),
            read_only(Field("ListPrice", "currency", "List Price")),
            Field("TotalPrice", "currency", "Total Price"),
            Field("Discount", "percent", "Discount"),
            typed("ServiceDate", "date", "Date"),
            text("Description", "Line Description"),
            read_only(
                Field("CurrencyIsoCode", "picklist", "Currency ISO Code", 255, picklist=CURRENCY_CODES)
            ),
        ],
    )
    contact_role = sobject(
        "OpportunityContactRole",
        "Opportunity Contact Role",
        "00K",
        [
            lookup(
                "OpportunityId",
                "Opportunity",
                "Opportunity",
                "OpportunityContactRoles",
                label="Opportunity ID",
                required=True,
                updateable=False,
                cascade_delete=True,
            ),
            lookup(
                "ContactId",
                "Contact",
                "Contact",
                "OpportunityContactRoles",
                label="Contact ID",
                required=True,
                cascade_delete=True,
            ),
            picklist(
                "Role",
                (
                    "Decision Maker",
                    "Economic Buyer",
                    "Technical Buyer",
                    "Business User",
                    "Evaluator",
                    "Influencer",
                    "Other",
                ),
            ),
            checkbox("IsPrimary", "Primary"),
            currency_field(),
        ],
    )
    invoice = sobject(
        "Invoice__c",
        "Invoice",
        "a0I",
        [
            text("Name", "Invoice Number", 80, required=True, name_field=True),
            currency_field(),
            owner_field(),
        ],
        [
            lookup("Account__c", "Account", "Account__r", "Invoices__r", label="Account"),
            lookup("Opportunity__c", "Opportunity", "Opportunity__r", "Invoices__r", label="Opportunity"),
            text("NetSuite_Invoice_Id__c", "NetSuite Invoice Id", 40, external_id=True, unique=True),
            typed("Invoice_Date__c", "date", "Invoice Date"),
            typed("Due_Date__c", "date", "Due Date"),
            Field("Amount__c", "currency", "Amount", custom=True),
            Field("Amount_Paid__c", "currency", "Amount Paid", custom=True),
            Field("Amount_Remaining__c", "currency", "Amount Remaining", custom=True),
            picklist("Status__c", ("Open", "Partially Paid", "Paid", "Voided"), "Status"),
        ],
        label_plural="Invoices",
    )
    return [
        user,
        organization,
        currency_type,
        account,
        contact,
        product,
        pricebook,
        entry,
        opportunity,
        line_item,
        contact_role,
        contract(),
        *cpq_objects(),
        invoice,
        credit_memo(),
        refund(),
    ]
