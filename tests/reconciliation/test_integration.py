"""Every check against the seeded simulators, over HTTPS through the real connectors.

NetSuite records are created the way the pipeline will create them (externalId = the Salesforce id,
the cross-reference custom fields, amounts from the primary quote lines the mapping sends), with
deliberate differences; each run must find exactly those, classified.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from reconciliation.models import Mismatch, ReconciliationRun, RunStatus
from reconciliation.services import reconciliation_run, tolerance_set
from simulators.netsuite.seed import EXCHANGE_RATES
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.mappings.engine.defaults import load_default_lookups

LOOKUPS = load_default_lookups()
SUBSIDIARY = LOOKUPS["country_to_subsidiary"]
CURRENCY = LOOKUPS["currency_code_to_id"]
ACC = "0015S00000000{:02d}QAA".format  # the seeded account ids
OPP = "0065S00000000{:02d}QAA".format  # the seeded opportunity ids
EXTRA_ACCOUNT, EXTRA_OPPORTUNITY = ACC(99), OPP(99)


def month_end(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return (dt.date(year + number // 12, number % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()


def usd_rate(currency: str, on: str) -> float:
    """The seeded NetSuite rate of ``currency`` to USD in effect on ``on``."""
    if currency == "USD":
        return 1.0
    effective = [(day, rate) for code, rate, day in EXCHANGE_RATES if code == currency and day <= on]
    return max(effective)[1]


def found(run: ReconciliationRun) -> set[tuple[str, str, str]]:
    return {(m.kind, m.key, m.field) for m in Mismatch.objects.filter(run=run)}


class World:
    """The seeded Salesforce org, and a NetSuite account the test fills in through the connector."""

    def __init__(self, salesforce: SalesforceConnector, netsuite: NetSuiteConnector) -> None:
        self.sf, self.ns = salesforce, netsuite
        self.accounts = {
            r["Id"]: r for r in self.sf.query("SELECT Id, Name, CurrencyIsoCode, BillingCountry FROM Account")
        }
        self.opportunities = {
            r["Id"]: r
            for r in self.sf.query(
                "SELECT Id, AccountId, Amount, CurrencyIsoCode, CloseDate FROM Opportunity WHERE IsWon = true"
            )
        }
        self.lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for line in self.sf.query(
            "SELECT Id, SBQQ__Quote__r.SBQQ__Opportunity2__c, SBQQ__ProductCode__c, SBQQ__Quantity__c, "
            "SBQQ__NetTotal__c, SBQQ__RequiredBy__c FROM SBQQ__QuoteLine__c "
            "WHERE SBQQ__Quote__r.SBQQ__Primary__c = true ORDER BY Id"
        ):
            self.lines[line["SBQQ__Quote__r"]["SBQQ__Opportunity2__c"]].append(line)
        self.items = {row["itemid"]: row["id"] for row in self.ns.suiteql("SELECT id, itemid FROM item")}
        self.customers: dict[str, str] = {}

    def customer(self, account_id: str, *, external_id: str = "", **changes: Any) -> str:
        account = self.accounts.get(account_id, {"Name": "Nobody", "CurrencyIsoCode": "USD"})
        body = {
            "companyName": account["Name"],
            "subsidiary": {"id": SUBSIDIARY.get(account.get("BillingCountry") or "US", "1")},
            "currency": {"id": CURRENCY[account["CurrencyIsoCode"]]},
            "custentity_sf_account_id": account_id,
            **changes,
        }
        customer_id = self.ns.upsert("customer", external_id or account_id, body)
        self.customers.setdefault(account_id, customer_id)
        return customer_id

    def sales_order(
        self, opportunity_id: str, *, adjust: float = 0.0, account_id: str = "", external_id: str = ""
    ) -> str:
        opportunity = self.opportunities.get(opportunity_id) or self.opportunities[OPP(1)]
        lines = self.lines[opportunity["Id"]]
        parents = {line["SBQQ__RequiredBy__c"] for line in lines}
        sent = [line for line in lines if line["SBQQ__NetTotal__c"] or line["Id"] not in parents]
        items = [
            {
                "item": {"id": self.items[line["SBQQ__ProductCode__c"]]},
                "quantity": line["SBQQ__Quantity__c"],
                "amount": line["SBQQ__NetTotal__c"] + (adjust if index == 0 else 0.0),
            }
            for index, line in enumerate(sent)
        ]
        account = self.accounts[account_id or opportunity["AccountId"]]
        return self.ns.upsert(
            "salesOrder",
            external_id or opportunity_id,
            {
                "entity": {"id": self.customers[account["Id"]]},
                "tranDate": opportunity["CloseDate"],
                "currency": {"id": CURRENCY[opportunity["CurrencyIsoCode"]]},
                "subsidiary": {"id": SUBSIDIARY[account["BillingCountry"]]},
                "custbody_sf_opportunity_id": opportunity_id,
                "item": {"items": items},
            },
        )

    def invoice_record(self, invoice_id: str, **changes: Any) -> None:
        invoice = self.ns.get("invoice", invoice_id)
        paid = float(invoice.get("amountPaid") or 0)
        status = {"A": "Partially Paid" if paid else "Open", "B": "Paid"}[invoice["status"]["id"]]
        self.sf.create(
            "Invoice__c",
            {
                "Name": f"INV-{invoice_id}",
                "NetSuite_Invoice_Id__c": invoice_id,
                "Amount__c": invoice["total"],
                "Amount_Paid__c": paid,
                "Amount_Remaining__c": invoice["amountRemaining"],
                "Status__c": status,
                **changes,
            },
        )


@pytest.fixture
def world(seeded_connections: tuple[Connection, Connection]) -> World:
    salesforce, netsuite = seeded_connections
    return World(salesforce_connector(salesforce), netsuite_connector(netsuite))


@pytest.mark.django_db
def test_it_finds_exactly_the_planted_differences_and_resolves_what_gets_fixed(world: World) -> None:
    # accounts <-> customers: 001, 008 agree; 007 has a wrong name; 010 the wrong subsidiary (US, not
    # JP); 009 has a second customer claiming it (a duplicate); 011 is missing; one customer is extra.
    for number in (1, 8, 9):
        world.customer(ACC(number))
    world.customer(ACC(7), companyName="Wrong Name Ltd")
    world.customer(ACC(10), subsidiary={"id": "1"}, currency={"id": CURRENCY["USD"]})
    world.customer(ACC(9), external_id="MANUAL-CUSTOMER-9")
    world.customer(EXTRA_ACCOUNT)

    first = reconciliation_run(check="accounts")
    assert first.status == RunStatus.SUCCEEDED, first.error
    assert found(first) == {
        ("field_differs", ACC(7), "name"),
        ("field_differs", ACC(10), "currency"),
        ("field_differs", ACC(10), "subsidiary"),
        ("duplicate", ACC(9), ""),
        ("missing_in_netsuite", ACC(11), ""),
        ("missing_in_salesforce", EXTRA_ACCOUNT, ""),
    }
    differs = Mismatch.objects.get(run=first, key=ACC(10), field="subsidiary")
    assert (differs.salesforce_value, differs.netsuite_value) == (
        "Concord Software KK",
        "Concord Software Inc.",
    )
    assert first.counts["counts"] == {
        "missing_in_netsuite": 1,
        "missing_in_salesforce": 1,
        "field_differs": 3,
        "duplicate": 1,
    }
    assert (first.counts["salesforce_records"], first.counts["netsuite_records"]) == (6, 7)
    # Each mismatch is one open exception in finance's queue, with both values to choose from.
    queue = ExceptionItem.objects.filter(category__key="reconciliation")
    assert queue.count() == 6 and set(queue.values_list("status", flat=True)) == {ExceptionStatus.OPEN}
    named = queue.get(dedup_key=Mismatch.objects.get(run=first, key=ACC(7), field="name").dedup_key)
    assert named.details["values"]["name"]["netsuite"] == "Wrong Name Ltd"

    # Fixing the name resolves that exception, with a note; the others stay open.
    world.customer(ACC(7))
    second = reconciliation_run(check="accounts")
    assert ("field_differs", ACC(7), "name") not in found(second) and len(found(second)) == 5
    name_rows = Mismatch.objects.filter(key=ACC(7), field="name")
    assert name_rows.count() == 1 and name_rows.get().resolved_at is not None
    assert f"run #{second.pk}" in name_rows.get().resolution_note
    assert not Mismatch.objects.filter(run=first).exclude(key=ACC(7)).exclude(resolved_at=None).exists()
    named.refresh_from_db()
    assert named.status == ExceptionStatus.RESOLVED and queue.filter(status=ExceptionStatus.OPEN).count() == 5
    assert queue.count() == 6  # the second run counted the same five again rather than opening new ones


@pytest.mark.django_db
def test_it_reconciles_orders_invoices_and_period_totals(world: World) -> None:
    for number in (1, 7, 8, 9, 10):
        world.customer(ACC(number))
    orders = {}
    # 015 is off by 5.00 (more than the tolerance), 013 by 0.25 (less than the 0.50 RevOps set), 022 is
    # missing and one sales order has no opportunity.
    tolerance_set(check="opportunities", field="amount", tolerance=Decimal("0.5"), actor=None)
    tolerance_set(check="opportunities", field="line_total", tolerance=Decimal("0.5"), actor=None)
    for number, adjust in ((1, 0), (2, 0), (13, 0.25), (14, 0), (15, 5.0), (18, 0), (19, 0)):
        orders[number] = world.sales_order(OPP(number), adjust=adjust)
    extra_order = world.sales_order(EXTRA_OPPORTUNITY, account_id=ACC(1))

    run = reconciliation_run(check="opportunities")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert found(run) == {
        ("field_differs", OPP(15), "amount"),
        ("field_differs", OPP(15), "line_total"),
        ("missing_in_netsuite", OPP(22), ""),
        ("missing_in_salesforce", EXTRA_OPPORTUNITY, ""),
    }
    amount = Mismatch.objects.get(run=run, key=OPP(15), field="amount")
    assert (amount.netsuite_value or 0) - (amount.salesforce_value or 0) == pytest.approx(5.0)

    # Invoices: A partly paid and recorded right; B recorded as Paid while NetSuite has it open; C never
    # reached Salesforce; one Invoice__c points at an invoice NetSuite does not have.
    invoice_a = world.ns.transform("salesOrder", orders[1], "invoice")
    invoice_b = world.ns.transform("salesOrder", orders[18], "invoice")
    invoice_c = world.ns.transform("salesOrder", orders[13], "invoice")
    total_a = float(world.ns.get("invoice", invoice_a)["total"])
    world.ns.create(
        "customerPayment",
        {
            "customer": {"id": world.customers[ACC(1)]},
            "payment": total_a / 2,
            "apply": {"items": [{"doc": {"id": invoice_a}, "apply": True, "amount": total_a / 2}]},
        },
    )
    world.invoice_record(invoice_a)
    world.invoice_record(invoice_b, Status__c="Paid")
    world.sf.create("Invoice__c", {"Name": "INV-GHOST", "NetSuite_Invoice_Id__c": "999999", "Amount__c": 1})

    run = reconciliation_run(check="invoices")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert found(run) == {
        ("field_differs", invoice_b, "status"),
        ("missing_in_salesforce", invoice_c, ""),
        ("missing_in_netsuite", "999999", ""),
    }
    assert run.counts["matched"] == 1  # invoice A, its payment included

    # Totals per month and currency: what Salesforce booked against what NetSuite ordered and invoiced.
    booked: dict[str, float] = defaultdict(float)
    for opportunity in world.opportunities.values():
        booked[f"{opportunity['CloseDate'][:7]} {opportunity['CurrencyIsoCode']}"] += opportunity["Amount"]
    netsuite: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for record_type, ids, slot in (
        ("salesOrder", [*orders.values(), extra_order], 0),
        ("invoice", [invoice_a, invoice_b, invoice_c], 1),
    ):
        for record_id in ids:
            record = world.ns.get(record_type, record_id)
            currency = LOOKUPS["currency_id_to_code"][record["currency"]["id"]]
            netsuite[f"{record['tranDate'][:7]} {currency}"][slot] += float(record["total"])
    expected = set()
    for key in booked.keys() | netsuite.keys():
        if key not in netsuite:
            expected.add(("missing_in_netsuite", key, ""))
        elif key not in booked:
            expected.add(("missing_in_salesforce", key, ""))
        else:
            for name, value in zip(("ordered", "invoiced"), netsuite[key], strict=True):
                if abs(value - booked[key]) > 0.01:
                    expected.add(("field_differs", key, name))
    # A month spanning currencies is also compared as one total, each currency converted to the base
    # currency (USD) at NetSuite's rate in effect on the month's last day.
    months: dict[str, set[str]] = defaultdict(set)
    for key in booked.keys() | netsuite.keys():
        month, currency = key.split()
        months[month].add(currency)
    for month, currencies in months.items():
        if len(currencies) < 2:
            continue
        rates = {code: usd_rate(code, month_end(month)) for code in currencies}
        sf_total = sum(booked.get(f"{month} {c}", 0.0) * rates[c] for c in currencies)
        for slot, name in enumerate(("ordered", "invoiced")):
            ns_total = sum(netsuite.get(f"{month} {c}", [0.0, 0.0])[slot] * rates[c] for c in currencies)
            if abs(ns_total - sf_total) > 0.01:
                expected.add(("field_differs", f"{month} all in USD", name))
    run = reconciliation_run(check="period_totals")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert found(run) == expected
    assert ("missing_in_netsuite", "2026-11 CAD", "") in expected  # 022, the missing order
    assert ("field_differs", "2026-01 GBP", "ordered") in expected  # 015, off by 5.00
    assert ("field_differs", "2026-11 all in USD", "ordered") in expected  # the CAD order missing
    converted = Mismatch.objects.get(run=run, key="2026-11 all in USD", field="ordered")
    assert converted.details["converted_to"] == "USD"
    assert converted.details["rates_on"] == "2026-11-30"
    assert {(r["currency"], r["rate"], r["effective_date"]) for r in converted.details["rates"]} >= {
        ("CAD", 0.73, "2020-01-01"),
        ("EUR", 1.1, "2026-07-01"),  # the rate NetSuite changed in July, not the January one
    }
    # Money per currency as the run read it, for the dashboard.
    assert run.totals["GBP"]["booked"] == pytest.approx(booked["2026-01 GBP"])
    assert run.totals["GBP"]["ordered"] == pytest.approx(netsuite["2026-01 GBP"][0])


@pytest.mark.django_db
def test_manage_py_reconcile_runs_every_check_against_the_stored_connections(world: World) -> None:
    world.customer(ACC(1))
    out = StringIO()
    call_command("reconcile", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "accounts",
        "opportunities",
        "invoices",
        "period_totals",
        "subscriptions",
    ]
    assert (
        "accounts: succeeded" in lines[0]
        and "salesforce 6, netsuite 1, matched 1; missing_in_netsuite 5" in lines[0]
    )
    assert "opportunities: succeeded" in lines[1] and "missing_in_netsuite 8" in lines[1]
    # The seeded won deals (CPQ, not contracted, compared from their quotes) have no NetSuite subscription.
    assert lines[4].startswith("subscriptions: succeeded") and ", netsuite 0, matched 0;" in lines[4]
    assert "missing_in_netsuite 0" not in lines[4] and "missing_in_salesforce 0" in lines[4]
    assert ReconciliationRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 5
