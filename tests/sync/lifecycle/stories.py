"""The story helpers of the life cycle's HTTPS tests: a CPQ deal made as CPQ makes it (quoted, won and
contracted; amended and renewed through the ContractManipulationAPI) and what NetSuite holds for it."""
# ruff: noqa: S608 - the f-strings build SuiteQL/SOQL for the simulators

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import JobStatus, RecordStatus, SyncRecord
from sync.pipeline.runner import run_batch
from tests.simulators.test_salesforce_cpq_lifecycle import client, quote_lines, records

Client = Any


@dataclass
class Story:
    sf: Client
    ns: NetSuiteConnector
    salesforce: Connection
    netsuite: Connection
    currency: str | None = "USD"  # None: a single-currency org (no CurrencyIsoCode on any record)

    def sync(self, opportunity: str) -> SyncRecord:
        job = run_batch(salesforce=self.salesforce, netsuite=self.netsuite, opportunity_ids=[opportunity])
        record = job.records.get()
        assert job.status == JobStatus.SUCCEEDED, (
            record.status,
            record.message,
            list(record.failures.values()),
        )
        assert record.status == RecordStatus.SYNCED
        return record

    def lines(self, subscription: str) -> dict[str, tuple[float, str]]:
        skus = {row["id"]: row["itemid"] for row in self.ns.suiteql("SELECT id, itemid FROM item")}
        return {
            skus[row["item"]]: (float(row["quantity"] or 0), str(row["status"]))
            for row in self.ns.subscription_lines(subscription)
            if str(row.get("isincluded")).upper() in ("T", "TRUE")
        }

    def change_orders(self, subscription: str) -> list[tuple[str, str, str]]:
        rows = self.ns.suiteql(
            "SELECT externalid, action, effectivedate FROM subscriptionchangeorder "
            f"WHERE subscription = {subscription} ORDER BY id"
        )
        return [(str(r["externalid"]), str(r["action"]), iso(str(r["effectivedate"]))) for r in rows]

    def count(self, table: str) -> int:
        return len(list(self.ns.suiteql(f"SELECT id FROM {table}")))


@pytest.fixture
def story(
    seeded_simulators: tuple[RunningSimulator, RunningSimulator],
    seeded_connections: tuple[Connection, Connection],
) -> Story:
    mapping_seed_defaults()
    salesforce, netsuite = seeded_connections
    return Story(
        client(seeded_simulators[0]), netsuite_connector(netsuite, limited=False), salesforce, netsuite
    )


def iso(value: str) -> str:
    """SuiteQL answers dates as M/D/YYYY."""
    return dt.datetime.strptime(value, "%m/%d/%Y").date().isoformat() if "/" in value else value[:10]


def status_of(subscription: dict[str, Any]) -> str:
    value = subscription.get("subscriptionStatus")
    return str(value.get("id") if isinstance(value, dict) else value)


def net_totals(sf: Client, quote: str) -> None:
    """CPQ's calculator fills each line's net total; the simulator's copies leave it to the test."""
    for line in quote_lines(sf, quote).values():
        price = float(line["SBQQ__NetPrice__c"] or 0)
        sf.SBQQ__QuoteLine__c.update(
            line["Id"], {"SBQQ__NetTotal__c": price * float(line["SBQQ__Quantity__c"])}
        )


def new_deal(sf: Client, currency: str | None = "USD") -> tuple[str, str, dict[str, str]]:
    """A quoted CPQ deal (a package of two products), not yet won. ``currency=None``: a single-currency
    org, whose records have no ``CurrencyIsoCode``."""
    products = {r["ProductCode"]: r["Id"] for r in records(sf, "SELECT Id, ProductCode FROM Product2")}
    priced = {"CurrencyIsoCode": currency} if currency else {}
    account = sf.Account.create({"Name": "Lifecycle Story Ltd", "BillingCountry": "US", **priced})
    opportunity = sf.Opportunity.create(
        {
            "Name": "Lifecycle Story - New",
            "AccountId": account["id"],
            "StageName": "Prospecting",
            "CloseDate": "2026-01-01",
            **priced,
        }
    )["id"]
    quote = sf.SBQQ__Quote__c.create(
        {
            "SBQQ__Opportunity2__c": opportunity,
            "SBQQ__Primary__c": True,
            "SBQQ__StartDate__c": "2026-01-01",
            "SBQQ__EndDate__c": "2027-12-31",
            "SBQQ__SubscriptionTerm__c": 24,
            "SBQQ__BillingFrequency__c": "Annual",
            **priced,
        }
    )["id"]
    lines: dict[str, str] = {}
    for code, quantity, price, parent in (
        ("PKG-GROWTH", 1, 0.0, None),
        ("PLAT-CORE", 10, 50.0, "PKG-GROWTH"),
        ("SUP-PREM", 5, 20.0, "PKG-GROWTH"),
    ):
        lines[code] = sf.SBQQ__QuoteLine__c.create(
            {
                "SBQQ__Quote__c": quote,
                "SBQQ__Product__c": products[code],
                "SBQQ__Number__c": len(lines) + 1,
                "SBQQ__Quantity__c": quantity,
                "SBQQ__NetPrice__c": price,
                "SBQQ__NetTotal__c": price * quantity,
                "SBQQ__RequiredBy__c": lines[parent] if parent else None,
                "SBQQ__SubscriptionTerm__c": 24,
            }
        )["id"]
    return opportunity, quote, lines


def win(sf: Client, opportunity: str) -> None:
    sf.Opportunity.update(opportunity, {"StageName": "Closed Won", "SBQQ__Contracted__c": True})
