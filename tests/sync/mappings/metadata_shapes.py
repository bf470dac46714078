"""Cached metadata of the shapes customers have, built directly (no connection, no cache): a Salesforce org
with or without multi-currency and CPQ, a NetSuite account with or without OneWorld. Field lists follow
the simulators' schemas closely enough for the shipped default mapping to check clean on the full shape."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sync.connections.metadata.types import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    INTEGER,
    NUMBER,
    OBJECT,
    PICKLIST,
    REFERENCE,
    SUBLIST,
    TEXT,
    FieldInfo,
    ObjectInfo,
    SystemMetadata,
)


def field(name: str, kind: str = TEXT, **options: Any) -> FieldInfo:
    label = name.replace("__c", "").replace("_", " ")
    return FieldInfo(name=name, label=label, type=kind, native_type=kind, **options)


def ref(name: str, to: str, relationship: str) -> FieldInfo:
    return field(name, REFERENCE, reference_to=(to,), relationship_name=relationship)


def sobject(name: str, fields: Iterable[FieldInfo], children: dict[str, str] | None = None) -> ObjectInfo:
    return ObjectInfo(
        system="salesforce",
        name=name,
        label=name,
        fields={f.name: f for f in fields},
        child_relationships=children or {},
    )


def salesforce_metadata(
    *,
    multi_currency: bool = True,
    cpq: bool = True,
    extra: Mapping[str, Iterable[FieldInfo]] | None = None,
    currency: str = "",
) -> SystemMetadata:
    """A Salesforce org's metadata; ``extra`` adds fields per object: ``{"Account": [field("X__c")]}``.
    ``currency``: the corporate currency as the refresh read it (a single-currency org without it: its
    currencies not known, as a cache read before Concord learnt them)."""
    currency_field = (
        [field("CurrencyIsoCode", PICKLIST, picklist=("USD", "EUR", "GBP"))] if multi_currency else []
    )
    status = [
        field("Concord_Sync_Status__c"),
        field("Concord_Sync_Message__c"),
        field("Concord_Last_Sync__c", DATETIME),
    ]
    objects = [
        sobject(
            "Opportunity",
            [
                field("Id", ID, createable=False, updateable=False),
                ref("AccountId", "Account", "Account"),
                field("Name"),
                field("StageName", PICKLIST, picklist=("Prospecting", "Closed Won", "Closed Lost")),
                field("Amount", NUMBER),
                field("CloseDate", DATE),
                field("Description"),
                field("IsWon", BOOLEAN, createable=False, updateable=False),
                field("IsClosed", BOOLEAN, createable=False, updateable=False),
                field("SystemModstamp", DATETIME, createable=False, updateable=False),
                field("NetSuite_Sales_Order_Id__c"),
                field("Send_to_NetSuite__c", BOOLEAN),
                *currency_field,
                *status,
            ],
            {
                "OpportunityContactRoles": "OpportunityContactRole",
                **({"SBQQ__Quotes2__r": "SBQQ__Quote__c"} if cpq else {}),
            },
        ),
        sobject(
            "Account",
            [
                field("Id", ID),
                field("Name"),
                field("Industry", PICKLIST, picklist=("Technology", "Retail", "Other")),
                *[field(f"Billing{part}") for part in ("Street", "City", "State", "PostalCode", "Country")],
                field("Phone"),
                field("Website"),
                field("NetSuite_Id__c"),
                *currency_field,
                *status,
            ],
        ),
        sobject(
            "OpportunityContactRole",
            [
                field("Id", ID),
                ref("OpportunityId", "Opportunity", "Opportunity"),
                ref("ContactId", "Contact", "Contact"),
                field("Role", PICKLIST, picklist=("Decision Maker", "Economic Buyer", "Other")),
                field("IsPrimary", BOOLEAN),
            ],
        ),
        sobject(
            "Contact",
            [
                field("Id", ID),
                *[field(name) for name in ("FirstName", "LastName", "Email", "Phone", "Title")],
                field("NetSuite_Id__c"),
                *status,
            ],
        ),
    ]
    if cpq:
        objects += [
            sobject(
                "SBQQ__Quote__c",
                [
                    field("Id", ID),
                    field("Name"),
                    field("SBQQ__Primary__c", BOOLEAN),
                    field("SBQQ__StartDate__c", DATE),
                    field("SBQQ__EndDate__c", DATE),
                    field("SBQQ__SubscriptionTerm__c", NUMBER),
                    field("SBQQ__BillingFrequency__c", PICKLIST, picklist=("Monthly", "Quarterly", "Annual")),
                    field("SBQQ__NetAmount__c", NUMBER),
                    field("Discount_Approved__c", BOOLEAN),
                ],
                {"SBQQ__LineItems__r": "SBQQ__QuoteLine__c"},
            ),
            sobject(
                "SBQQ__QuoteLine__c",
                [
                    field("Id", ID),
                    ref("SBQQ__Quote__c", "SBQQ__Quote__c", "SBQQ__Quote__r"),
                    field("SBQQ__Number__c", NUMBER),
                    ref("SBQQ__Product__c", "Product2", "SBQQ__Product__r"),
                    field("SBQQ__ProductCode__c"),
                    *[
                        field(name, NUMBER)
                        for name in (
                            "SBQQ__Quantity__c",
                            "SBQQ__ListPrice__c",
                            "SBQQ__NetPrice__c",
                            "SBQQ__NetTotal__c",
                            "SBQQ__AdditionalDiscount__c",
                        )
                    ],
                    ref("SBQQ__RequiredBy__c", "SBQQ__QuoteLine__c", "SBQQ__RequiredBy__r"),
                    field("SBQQ__BillingFrequency__c", PICKLIST, picklist=("Monthly", "Quarterly", "Annual")),
                ],
            ),
            sobject(
                "Product2",
                [
                    field("Id", ID),
                    field("Name"),
                    field("ProductCode"),
                    field("Taxable__c", BOOLEAN),
                    field("Tax_Code__c"),
                    field("Revenue_Treatment__c", PICKLIST, picklist=("ratable", "point_in_time")),
                    field("Product_Type__c", PICKLIST, picklist=("subscription", "one_time")),
                ],
            ),
        ]
    extra = extra or {}
    objects = [
        ObjectInfo(
            system=obj.system,
            name=obj.name,
            label=obj.label,
            fields={**obj.fields, **{f.name: f for f in extra.get(obj.name, ())}},
            child_relationships=obj.child_relationships,
        )
        for obj in objects
    ]
    return SystemMetadata(
        system="salesforce",
        objects={obj.name: obj for obj in objects},
        fetched_at="2026-12-06T19:00:00Z",
        multi_currency=True if multi_currency else (False if currency else None),
        corporate_currency=currency,
    )


def record(name: str, fields: Iterable[FieldInfo]) -> ObjectInfo:
    return ObjectInfo(system="netsuite", name=name, label=name, fields={f.name: f for f in fields})


def netsuite_metadata(
    *, one_world: bool = True, extra: Mapping[str, Iterable[FieldInfo]] | None = None
) -> SystemMetadata:
    """A NetSuite account's metadata; without OneWorld no record has ``subsidiary``."""
    subsidiary = [field("subsidiary", REFERENCE, required=True)] if one_world else []
    common = [field("externalId"), field("id", ID, createable=False, updateable=False)]
    address = field(
        "addressBook",
        SUBLIST,
        sublist_fields={
            "label": field("label"),
            "defaultBilling": field("defaultBilling", BOOLEAN),
            "addressBookAddress": field("addressBookAddress", OBJECT),
        },
    )
    lines = field(
        "item",
        SUBLIST,
        sublist_fields={
            name: field(name, kind)
            for name, kind in (
                ("item", REFERENCE),
                ("quantity", NUMBER),
                ("rate", NUMBER),
                ("amount", NUMBER),
                ("taxCode", REFERENCE),
                ("description", TEXT),
                ("custcol_revenue_treatment", TEXT),
                ("custcol_sf_quote_line_id", TEXT),
            )
        },
    )
    records = [
        record(
            "customer",
            [
                *common,
                field("companyName", required=True),
                field("currency", REFERENCE),
                field("terms", REFERENCE),
                field("email"),
                field("phone"),
                field("url"),
                field("custentity_sf_account_id"),
                address,
                *subsidiary,
            ],
        ),
        record(
            "contact",
            [
                *common,
                *[field(name) for name in ("firstName", "lastName", "email", "phone", "title")],
                field("company", REFERENCE),
                field("custentity_sf_contact_id"),
                *([field("subsidiary", REFERENCE)] if one_world else []),
            ],
        ),
        record(
            "billingAccount",
            [
                *common,
                field("name"),
                field("customer", REFERENCE, required=True),
                field("billingSchedule", REFERENCE),
                field("currency", REFERENCE),
                field("startDate", DATE),
                *subsidiary,
            ],
        ),
        record(
            "subscriptionPlan",
            [
                *common,
                field("itemId", required=True),
                field("displayName"),
                field("initialTerm", REFERENCE),
                field("member", SUBLIST, sublist_fields={"item": field("item", REFERENCE)}),
            ],
        ),
        record(
            "subscription",
            [
                *common,
                field("name"),
                *[
                    field(name, REFERENCE)
                    for name in (
                        "customer",
                        "billingAccount",
                        "subscriptionPlan",
                        "priceBook",
                        "initialTerm",
                        "currency",
                    )
                ],
                field("startDate", DATE),
                field("endDate", DATE),
                field("custrecord_sf_quote_id"),
                *([field("subsidiary", REFERENCE)] if one_world else []),
                field(
                    "subscriptionLine",
                    SUBLIST,
                    sublist_fields={
                        "item": field("item", REFERENCE),
                        "quantity": field("quantity", NUMBER),
                        "isIncluded": field("isIncluded", BOOLEAN),
                    },
                ),
            ],
        ),
        record(
            "salesOrder",
            [
                *common,
                field("entity", REFERENCE, required=True),
                field("tranDate", DATE),
                field("currency", REFERENCE),
                field("otherRefNum"),
                field("memo"),
                field("startDate", DATE),
                field("endDate", DATE),
                field("custbody_sf_opportunity_id"),
                field("custbody_sf_quote_id"),
                field("orderStatus", PICKLIST, picklist=("A", "B")),
                field("lastModifiedDate", DATETIME, createable=False, updateable=False),
                field("tranId", INTEGER, createable=False, updateable=False),
                lines,
                *subsidiary,
            ],
        ),
    ]
    extra = extra or {}
    records = [
        ObjectInfo(
            system="netsuite",
            name=r.name,
            label=r.label,
            fields={**r.fields, **{f.name: f for f in extra.get(r.name, ())}},
        )
        for r in records
    ]
    return SystemMetadata(
        system="netsuite", objects={r.name: r for r in records}, fetched_at="2026-12-06T19:00:00Z"
    )
