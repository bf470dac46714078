"""The subscriptions check against both simulators over HTTPS, through the real connectors.

A CPQ deal is contracted in the Salesforce simulator (Contract and SBQQ__Subscription__c records, as CPQ
makes them), amended through CPQ's ContractAmender and cancelled the same way; the NetSuite subscription is
written as Concord writes it (externalId ``SUB-<package quote line>``, activated, then changed only by
change orders). After each step the check finds exactly what does not agree yet, and nothing once NetSuite
has caught up.
"""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator, not SQL

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciliation.models import Mismatch, ReconciliationRun, RunStatus
from reconciliation.services import reconciliation_run
from simulators.core.runner import start_in_thread
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from tests.sync.conftest import SEEDED, salesforce_connection_for

AMENDER = "SBQQ/ServiceRouter?loader=SBQQ.ContractManipulationAPI.ContractAmender&uid="
RENEWER = "SBQQ/ServiceRouter?loader=SBQQ.ContractManipulationAPI.ContractRenewer"
START, END = "2026-01-01", "2027-12-31"  # PKG-GROWTH: 24 months
AMENDED, CANCELLED = "2026-04-01", "2026-07-01"


def found(run: ReconciliationRun) -> set[tuple[str, str, Any, Any]]:
    assert run.status == RunStatus.SUCCEEDED, run.error or run.note
    return {
        (m.finding, m.key, m.salesforce_value if m.field else None, m.netsuite_value if m.field else None)
        for m in Mismatch.objects.filter(run=run)
    }


class Deal:
    """One CPQ deal in Salesforce and its subscription in NetSuite, moved step by step."""

    def __init__(self, sf: SalesforceConnector, ns: NetSuiteConnector) -> None:
        self.sf, self.ns = sf, ns
        self.products = {r["ProductCode"]: r["Id"] for r in sf.query("SELECT Id, ProductCode FROM Product2")}
        self.account = sf.create("Account", {"Name": "Subscriber Ltd", "BillingCountry": "United Kingdom"})
        self.opportunity = sf.create(
            "Opportunity",
            {
                "Name": "Subscriber - New",
                "AccountId": self.account,
                "StageName": "Prospecting",
                "CloseDate": START,
                "CurrencyIsoCode": "GBP",
            },
        )
        quote = sf.create(
            "SBQQ__Quote__c",
            {
                "SBQQ__Opportunity2__c": self.opportunity,
                "SBQQ__Primary__c": True,
                "SBQQ__StartDate__c": START,
                "SBQQ__EndDate__c": END,
                "SBQQ__SubscriptionTerm__c": 24,
                "SBQQ__BillingFrequency__c": "Annual",
            },
        )
        self.lines: dict[str, str] = {}
        for code, quantity, price in (
            ("PKG-GROWTH", 1, 0.0),
            ("PLAT-CORE", 10, 50.0),
            ("SUP-PREM", 10, 10.0),
        ):
            self.lines[code] = sf.create(
                "SBQQ__QuoteLine__c",
                {
                    "SBQQ__Quote__c": quote,
                    "SBQQ__Product__c": self.products[code],
                    "SBQQ__Number__c": len(self.lines) + 1,
                    "SBQQ__Quantity__c": quantity,
                    "SBQQ__NetPrice__c": price,
                    "SBQQ__RequiredBy__c": self.lines["PKG-GROWTH"] if self.lines else None,
                    "SBQQ__SubscriptionTerm__c": 24,
                },
            )
        self.key = "SUB-" + self.lines["PKG-GROWTH"]
        self.win(self.opportunity)
        contracts = list(
            sf.query(f"SELECT Id FROM Contract WHERE SBQQ__Opportunity__c = '{self.opportunity}'")
        )
        assert len(contracts) == 1, contracts
        self.contract = contracts[0]["Id"]
        self.subscription = ""

    def win(self, opportunity: str) -> None:
        self.sf.update("Opportunity", opportunity, {"StageName": "Closed Won", "SBQQ__Contracted__c": True})

    def amend(self, effective: str, quantities: dict[str, float]) -> None:
        """CPQ's ContractAmender, the rep's edits with plain REST, then won and contracted."""
        self.sf.update("Contract", self.contract, {"SBQQ__AmendmentStartDate__c": effective})
        model = json.loads(self.sf.authenticate().apexecute(AMENDER + self.contract, method="PATCH"))
        quote = model["record"]["Id"]
        lines = {
            row["SBQQ__ProductCode__c"]: row["Id"]
            for row in self.sf.query(
                f"SELECT Id, SBQQ__ProductCode__c FROM SBQQ__QuoteLine__c WHERE SBQQ__Quote__c = '{quote}'"
            )
        }
        for code, quantity in quantities.items():
            if code in lines:
                self.sf.update("SBQQ__QuoteLine__c", lines[code], {"SBQQ__Quantity__c": quantity})
            else:
                self.sf.create(
                    "SBQQ__QuoteLine__c",
                    {
                        "SBQQ__Quote__c": quote,
                        "SBQQ__Product__c": self.products[code],
                        "SBQQ__Quantity__c": quantity,
                        "SBQQ__NetPrice__c": 20.0,
                        "SBQQ__RequiredBy__c": lines["PKG-GROWTH"],
                        "SBQQ__SubscriptionTerm__c": 21,
                    },
                )
        opportunity = self.sf.get_records("SBQQ__Quote__c", [quote], ["SBQQ__Opportunity2__c"])[quote]
        self.win(opportunity["SBQQ__Opportunity2__c"])

    # -- NetSuite, as Concord writes it --

    def write_subscription(self, *, start: str = START, parent: str = "") -> None:
        customer = self.ns.upsert(
            "customer",
            self.account,
            {"companyName": "Subscriber Ltd", "subsidiary": {"externalId": "UK"}},
        )
        billing = self.ns.upsert(
            "billingAccount",
            f"BA-{self.account}-GBP",
            {"customer": {"id": customer}, "billingSchedule": {"externalId": "MONTHLY"}, "startDate": START},
        )
        self.subscription = self.ns.upsert(
            "subscription",
            self.key,
            {
                "customer": {"id": customer},
                "billingAccount": {"id": billing},
                "subscriptionPlan": {"externalId": "PKG-GROWTH"},
                "priceBook": {"externalId": "PKG-GROWTH-GBP"},
                "startDate": start,
                **({"parentSubscription": {"id": parent}} if parent else {}),
                "custrecord_sf_quote_id": "a0x-quote",
                "subscriptionLine": {
                    "items": [
                        {"item": {"externalId": code}, "isIncluded": True, "quantity": quantity}
                        for code, quantity in (("PLAT-CORE", 10), ("SUP-PREM", 10))
                    ]
                },
            },
        )
        self.change_order("ACTIVATE", start)

    def renew(self) -> str:
        """CPQ's ContractRenewer, the renewal won and contracted: a new contract. Returns its package line."""
        context = json.dumps(
            {
                "masterContractId": None,
                "renewedContracts": [{"attributes": {"type": "Contract"}, "Id": self.contract}],
            }
        )
        (model,) = json.loads(
            self.sf.authenticate().apexecute(RENEWER, method="PATCH", data={"context": context})
        )
        quote = model["record"]["Id"]
        rows = self.sf.query(
            f"SELECT Id, SBQQ__ProductCode__c, SBQQ__Quote__r.SBQQ__Opportunity2__c FROM SBQQ__QuoteLine__c "
            f"WHERE SBQQ__Quote__c = '{quote}'"
        )
        lines = {row["SBQQ__ProductCode__c"]: row for row in rows}
        self.win(lines["PKG-GROWTH"]["SBQQ__Quote__r"]["SBQQ__Opportunity2__c"])
        return str(lines["PKG-GROWTH"]["Id"])

    def line_numbers(self) -> dict[str, int]:
        rows = self.ns.suiteql(
            "SELECT sl.linenumber, i.itemid FROM subscriptionline sl JOIN item i ON i.id = sl.item "
            f"WHERE sl.subscription = {self.subscription}"
        )
        return {row["itemid"]: int(row["linenumber"]) for row in rows}

    def change_order(self, action: str, effective: str, *lines: dict[str, Any]) -> None:
        body: dict[str, Any] = {
            "action": action,
            "subscription": {"id": self.subscription},
            "effectiveDate": effective,
        }
        if lines:
            body["subline"] = {"items": [{"apply": True, **line} for line in lines]}
        sequences = "-".join(str(line["sequence"]) for line in lines) or "all"
        self.ns.upsert(
            "subscriptionChangeOrder", f"CO-{self.subscription}-{action}-{effective}-{sequences}", body
        )


@pytest.fixture
def deal(seeded_connections: tuple[Connection, Connection]) -> Deal:
    salesforce, netsuite = seeded_connections
    return Deal(salesforce_connector(salesforce), netsuite_connector(netsuite))


def ours(run: ReconciliationRun, deal: Deal, *keys: str) -> set[tuple[str, str, Any, Any]]:
    """The findings about this deal's subscription(s): the seeded org's won deals, never synced here, are
    each missing in NetSuite (compared from their quotes, not contracted), as :func:`seeded` checks."""
    return {item for item in found(run) if item[1].startswith((deal.key, *keys))}


def seeded(run: ReconciliationRun, deal: Deal, *keys: str) -> set[tuple[str, str, Any, Any]]:
    rest = found(run) - ours(run, deal, *keys)
    assert rest and {item[0] for item in rest} == {"missing_in_netsuite"}
    return rest


@pytest.mark.django_db
def test_new_amended_and_cancelled_subscriptions_agree_once_netsuite_has_caught_up(deal: Deal) -> None:
    # Contracted in CPQ, not yet written to NetSuite: the subscription and each product are missing.
    run = reconciliation_run(check="subscriptions")
    assert ours(run, deal) == {
        ("missing_in_netsuite", deal.key, None, None),
        ("missing_in_netsuite", f"{deal.key}/PLAT-CORE", None, None),
        ("missing_in_netsuite", f"{deal.key}/SUP-PREM", None, None),
    }
    labels = {m.label for m in Mismatch.objects.filter(run=run, key__startswith=deal.key)}
    assert labels == {"Missing in NetSuite"}

    # Written and activated as Concord does: everything agrees (the plan's own item and the member nobody
    # bought, PLAT-ANL, are no products of this deal).
    deal.write_subscription()
    run = reconciliation_run(check="subscriptions")
    assert ours(run, deal) == set()
    baseline = seeded(run, deal)
    run = reconciliation_run(check="subscriptions")
    assert found(run) == baseline  # the second day: the same answer
    assert (
        ExceptionItem.objects.filter(
            category__key="reconciliation", dedup_key__contains=deal.key, status=ExceptionStatus.OPEN
        ).count()
        == 0
    )  # the three "missing" exceptions were resolved

    # Amended in CPQ (+5 platform seats, premium support cancelled, analytics added), not yet in NetSuite.
    deal.amend(AMENDED, {"PLAT-CORE": 15, "SUP-PREM": 0, "PLAT-ANL": 5})
    run = reconciliation_run(check="subscriptions")
    assert ours(run, deal) == {
        ("quantity_differs", f"{deal.key}/PLAT-CORE", 15.0, 10.0),
        ("quantity_differs", f"{deal.key}/SUP-PREM", 0.0, 10.0),
        ("status_differs", f"{deal.key}/SUP-PREM", "terminated", "active"),
        ("end_date_differs", f"{deal.key}/SUP-PREM", AMENDED, END),
        ("missing_in_netsuite", f"{deal.key}/PLAT-ANL", None, None),
    }
    open_now = ExceptionItem.objects.filter(
        category__key="reconciliation", dedup_key__contains=deal.key, status=ExceptionStatus.OPEN
    )
    assert open_now.count() == 5
    assert "Quantity differs" in open_now.get(dedup_key__endswith="/PLAT-CORE:quantity").title

    # NetSuite catches up through change orders (never by editing the active subscription's lines).
    numbers = deal.line_numbers()
    deal.change_order("MODIFY_PRICING", AMENDED, {"sequence": numbers["PLAT-CORE"], "quantityNew": 15})
    deal.change_order("TERMINATE", AMENDED, {"sequence": numbers["SUP-PREM"]})
    deal.ns.patch(
        "subscription",
        deal.subscription,
        {
            "subscriptionLine": {
                "items": [{"lineNumber": numbers["PLAT-ANL"], "isIncluded": True, "quantity": 5}]
            }
        },
    )
    deal.change_order("ACTIVATE", AMENDED, {"sequence": numbers["PLAT-ANL"]})
    run = reconciliation_run(check="subscriptions")
    assert ours(run, deal) == set()
    assert open_now.count() == 0

    # Cancelled in CPQ (every quantity to zero), then terminated in NetSuite on the same date.
    deal.amend(CANCELLED, {"PKG-GROWTH": 0, "PLAT-CORE": 0, "PLAT-ANL": 0})
    run = reconciliation_run(check="subscriptions")
    assert ("status_differs", deal.key, "terminated", "active") in ours(run, deal)
    assert ("quantity_differs", f"{deal.key}/PLAT-CORE", 0.0, 15.0) in ours(run, deal)
    deal.change_order("TERMINATE", CANCELLED)
    run = reconciliation_run(check="subscriptions")
    assert ours(run, deal) == set()
    assert found(run) == baseline


@pytest.mark.django_db
def test_an_extra_netsuite_subscription_is_found(deal: Deal) -> None:
    deal.write_subscription()
    deal.key = "SUB-a0y000000NOQUOTE"  # a subscription no CPQ contract made
    deal.write_subscription()
    run = reconciliation_run(check="subscriptions")
    assert ours(run, deal) == {
        ("extra_in_netsuite", deal.key, None, None),
        ("extra_in_netsuite", f"{deal.key}/PLAT-CORE", None, None),
        ("extra_in_netsuite", f"{deal.key}/SUP-PREM", None, None),
    }
    assert Mismatch.objects.get(run=run, key=deal.key).label == "Extra in NetSuite (no CPQ subscription)"


@pytest.mark.django_db
def test_a_renewal_pairs_with_the_new_subscription_naming_its_parent(deal: Deal) -> None:
    deal.write_subscription()
    original = deal.subscription
    renewal_line = deal.renew()
    renewal = "SUB-" + renewal_line
    # The renewal contract's subscriptions have no NetSuite subscription yet; the original still agrees.
    run = reconciliation_run(check="subscriptions")
    baseline = seeded(run, deal, renewal)
    assert ours(run, deal, renewal) == {
        ("missing_in_netsuite", renewal, None, None),
        ("missing_in_netsuite", f"{renewal}/PLAT-CORE", None, None),
        ("missing_in_netsuite", f"{renewal}/SUP-PREM", None, None),
    }
    # Renewed as NetSuite does it: a new subscription naming the original, from the day after it ends.
    deal.key = renewal
    deal.write_subscription(start="2028-01-01", parent=original)
    assert deal.ns.get("subscription", original)["renewalSubscription"]["id"] == deal.subscription
    run = reconciliation_run(check="subscriptions")
    assert found(run) == baseline and run.counts["matched"] == 6


@pytest.fixture
def org_without_cpq(
    tmp_path: Path, seeded_connections: tuple[Connection, Connection]
) -> Iterator[tuple[Connection, Connection]]:
    seed_salesforce(tmp_path / "no-cpq", SEEDED, cpq=False)
    running = start_in_thread(SALESFORCE_SPEC, tmp_path / "no-cpq", cpq=False)
    try:
        salesforce, netsuite = seeded_connections
        Connection.objects.filter(pk=salesforce.pk).update(is_active=False)
        yield salesforce_connection_for(running, name="sf-no-cpq"), netsuite
    finally:
        running.stop()


@pytest.mark.django_db
def test_an_org_without_cpq_skips_the_check_and_the_others_still_run(
    org_without_cpq: tuple[Connection, Connection],
) -> None:
    run = reconciliation_run(check="subscriptions")
    assert run.status == RunStatus.SKIPPED and run.error == ""
    assert "no SBQQ__Subscription__c object" in run.note
    assert not Mismatch.objects.filter(run=run).exists()
    accounts = reconciliation_run(check="accounts")
    assert accounts.status == RunStatus.SUCCEEDED, accounts.error
