"""Metadata as the editor's pickers read it, built by hand (the cache is another helper's): a small
Salesforce org with CPQ and a custom ``Account.Region__c``, and a NetSuite account with a custom
``custentity_region`` on customers and a sales order's ``item`` sublist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from sync.connections.metadata.types import (
    BOOLEAN,
    DATE,
    ID,
    NUMBER,
    PICKLIST,
    REFERENCE,
    SUBLIST,
    TEXT,
    FieldInfo,
    ObjectInfo,
    SystemMetadata,
)

PATCH_TARGET = "sync.integrations.sandboxes.editing_metadata"


def _field(name: str, label: str, kind: str = TEXT, **extra: object) -> FieldInfo:
    return FieldInfo(name=name, label=label, type=kind, native_type=kind, **extra)  # type: ignore[arg-type]


def _object(system: str, name: str, label: str, *fields: FieldInfo, **extra: object) -> ObjectInfo:
    return ObjectInfo(
        system=system,
        name=name,
        label=label,
        fields={f.name: f for f in fields},
        **extra,  # type: ignore[arg-type]
    )


def _reference(name: str, label: str, to: str, relationship: str) -> FieldInfo:
    return _field(name, label, REFERENCE, reference_to=(to,), relationship_name=relationship)


def salesforce_metadata() -> SystemMetadata:
    sf = "salesforce"
    objects = [
        _object(
            sf,
            "Opportunity",
            "Opportunity",
            _field("Id", "Opportunity ID", ID, createable=False, updateable=False),
            _field("Name", "Name"),
            _field("CloseDate", "Close Date", DATE),
            _field("Amount", "Amount", NUMBER),
            _field("StageName", "Stage", PICKLIST, picklist=("Prospecting", "Closed Won")),
            _field("CurrencyIsoCode", "Opportunity Currency", PICKLIST),
            _reference("AccountId", "Account ID", "Account", "Account"),
            child_relationships={
                "OpportunityContactRoles": "OpportunityContactRole",
                "SBQQ__Quotes2__r": "SBQQ__Quote__c",
            },
        ),
        _object(
            sf,
            "Account",
            "Account",
            _field("Id", "Account ID", ID),
            _field("Name", "Account Name"),
            _field("BillingCountry", "Billing Country"),
            _field("Region__c", "Sales Region", PICKLIST, custom=True, picklist=("EMEA", "AMER", "APAC")),
        ),
        _object(
            sf,
            "OpportunityContactRole",
            "Opportunity Contact Role",
            _reference("ContactId", "Contact ID", "Contact", "Contact"),
            _field("Role", "Role", PICKLIST),
        ),
        _object(sf, "Contact", "Contact", _field("Email", "Email"), _field("FirstName", "First Name")),
        _object(
            sf,
            "SBQQ__Quote__c",
            "Quote",
            _field("Name", "Quote Number"),
            _field("SBQQ__StartDate__c", "Start Date", DATE, custom=True),
            child_relationships={"SBQQ__LineItems__r": "SBQQ__QuoteLine__c"},
        ),
        _object(
            sf,
            "SBQQ__QuoteLine__c",
            "Quote Line",
            _field("SBQQ__ProductCode__c", "Product Code", custom=True),
            _field("SBQQ__Quantity__c", "Quantity", NUMBER, custom=True),
            _reference("SBQQ__Product__c", "Product", "Product2", "SBQQ__Product__r"),
        ),
        _object(sf, "Product2", "Product", _field("Name", "Product Name"), _field("Tax_Code__c", "Tax Code")),
    ]
    return SystemMetadata(system=sf, objects={o.name: o for o in objects}, fetched_at="2026-12-06T10:00:00Z")


def netsuite_metadata() -> SystemMetadata:
    ns = "netsuite"
    item_line = {
        f.name: f
        for f in (
            _reference("item", "Item", "inventoryItem", ""),
            _field("quantity", "Quantity", NUMBER),
            _field("rate", "Rate", NUMBER),
            _field("custcol_revenue_treatment", "Revenue Treatment", custom=True),
        )
    }
    objects = [
        _object(
            ns,
            "customer",
            "Customer",
            _field("id", "Internal ID", ID, createable=False, updateable=False),
            _field("companyName", "Company Name", required=True),
            _field("email", "Email"),
            _reference("subsidiary", "Primary Subsidiary", "subsidiary", ""),
            _field("custentity_region", "Region", custom=True),
            _field("isInactive", "Inactive", BOOLEAN),
        ),
        _object(
            ns,
            "salesOrder",
            "Sales Order",
            _reference("entity", "Customer", "customer", ""),
            _field("memo", "Memo"),
            _field("tranDate", "Date", DATE),
            _field("item", "Items", SUBLIST, sublist_fields=item_line),
        ),
    ]
    return SystemMetadata(system=ns, objects={o.name: o for o in objects}, fetched_at="2026-12-06T10:00:00Z")


@contextmanager
def editing_metadata_patched(
    salesforce: SystemMetadata | None = None, netsuite: SystemMetadata | None = None, *, none: bool = False
) -> Iterator[mock.MagicMock]:
    """``editing_metadata`` answering the metadata above (or nothing at all, ``none=True``)."""
    answer = (None, None) if none else (salesforce or salesforce_metadata(), netsuite or netsuite_metadata())
    with mock.patch(PATCH_TARGET, return_value=answer) as patched:
        yield patched
