"""Connectors that answer metadata from memory, patched into the refresh service (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from sync.connections.connectors.errors import ConnectorError
from sync.connections.metadata import services as metadata_services
from sync.connections.models import Connection
from tests.sync.connections.metadata.samples import (
    CUSTOMER_SCHEMA,
    OPPORTUNITY_DESCRIBE,
    ns_catalog,
    ns_schema,
    sf_describe,
    sf_describe_global,
    sf_field,
)


@dataclass
class FakeSalesforce:
    describes: dict[str, dict[str, Any]]
    # Objects describeGlobal lists without a describe here (describing one fails like a missing object).
    listed_only: tuple[str, ...] = ()
    failing: dict[str, ConnectorError] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    corporate: str = "USD"  # what Organization.DefaultCurrencyIsoCode / CurrencyType say

    def describe_global(self) -> dict[str, Any]:
        self.calls.append("describe_global")
        return sf_describe_global(*self.describes, *self.listed_only)

    def describe(self, name: str) -> dict[str, Any]:
        self.calls.append(name)
        if name in self.failing:
            raise self.failing[name]
        return self.describes[name]

    def corporate_currency(self, *, multi_currency: bool) -> str:
        return self.corporate


@dataclass
class FakeNetSuite:
    schemas: dict[str, dict[str, Any]]
    failing: dict[str, ConnectorError] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def metadata_catalog(self) -> list[str]:
        self.calls.append("catalog")
        return [item["name"] for item in ns_catalog(*self.schemas)["items"]]

    def record_schema(self, name: str) -> dict[str, Any]:
        self.calls.append(name)
        if name in self.failing:
            raise self.failing[name]
        return self.schemas[name]


def salesforce_org(*, cpq: bool = True, custom: bool = False) -> FakeSalesforce:
    """An org with Concord's objects (CPQ's only with ``cpq``); ``custom`` adds a field on Opportunity."""
    opportunity = dict(OPPORTUNITY_DESCRIBE)
    if custom:
        opportunity["fields"] = [*opportunity["fields"], sf_field("Region__c", "string", label="Region")]
    describes = {
        "Opportunity": opportunity,
        "Account": sf_describe("Account", sf_field("Name", "string", nillable=False)),
        "Contact": sf_describe("Contact", sf_field("LastName", "string", nillable=False)),
        "OpportunityContactRole": sf_describe("OpportunityContactRole", sf_field("Role", "picklist")),
        "Product2": sf_describe("Product2", sf_field("ProductCode", "string")),
        "Organization": sf_describe("Organization", sf_field("IsSandbox", "boolean")),
        "Invoice__c": sf_describe("Invoice__c", sf_field("Total__c", "currency")),
    }
    if cpq:
        describes["SBQQ__Quote__c"] = sf_describe("SBQQ__Quote__c", sf_field("SBQQ__Primary__c", "boolean"))
        describes["SBQQ__QuoteLine__c"] = sf_describe(
            "SBQQ__QuoteLine__c", sf_field("SBQQ__Quantity__c", "double")
        )
        describes["SBQQ__Subscription__c"] = sf_describe(
            "SBQQ__Subscription__c", sf_field("SBQQ__Quantity__c", "double")
        )
    return FakeSalesforce(describes, listed_only=("Case", "Lead"))


def netsuite_account() -> FakeNetSuite:
    return FakeNetSuite(
        {
            "customer": CUSTOMER_SCHEMA,
            "salesOrder": ns_schema(
                "Sales Order",
                tranDate={"title": "Date", "type": "string", "format": "date"},
                item={
                    "title": "Items",
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"quantity": {"type": "number"}}},
                        }
                    },
                },
            ),
            "invoice": ns_schema("Invoice"),
            "inventoryItem": ns_schema("Inventory Item"),
            "customrecord_region": ns_schema("Region"),
            "vendorBill": ns_schema("Vendor Bill"),
        }
    )


@pytest.fixture
def fake_systems(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The fakes the refresh service gets instead of real connectors; replace an entry to change one."""
    systems: dict[str, Any] = {"salesforce": salesforce_org(), "netsuite": netsuite_account()}

    def salesforce(connection: Connection, **kwargs: Any) -> FakeSalesforce:
        fake: FakeSalesforce = systems["salesforce"]
        return fake

    def netsuite(connection: Connection, **kwargs: Any) -> FakeNetSuite:
        fake: FakeNetSuite = systems["netsuite"]
        return fake

    monkeypatch.setattr(metadata_services, "salesforce_connector", salesforce)
    monkeypatch.setattr(metadata_services, "netsuite_connector", netsuite)
    yield systems
