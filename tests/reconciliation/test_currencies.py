"""Period totals per currency, and months spanning currencies converted at NetSuite's own exchange rates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from reconciliation.models import Mismatch, ReconciliationRun, RunStatus
from reconciliation.reading import Sources
from reconciliation.services import reconciliation_run
from sync.connections.connectors.netsuite import ExchangeRate
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from tests.reconciliation.fakes import ExceptionQueueDouble

pytestmark = pytest.mark.django_db

CURRENCY_IDS = {"1": "USD", "3": "GBP", "4": "EUR", "6": "JPY"}
RATES = [
    ExchangeRate("USD", "GBP", 1.27, "2020-01-01", "1"),
    ExchangeRate("USD", "EUR", 1.08, "2020-01-01", "2"),
    ExchangeRate("USD", "EUR", 1.10, "2026-07-01", "3"),
]


class Salesforce:
    def __init__(self, opportunities: list[tuple[str, str, float]]) -> None:
        self.opportunities = opportunities

    def query(self, soql: str, *, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        assert "FROM Opportunity" in soql
        for close_date, currency, amount in self.opportunities:
            yield {"CloseDate": close_date, "CurrencyIsoCode": currency, "Amount": amount}


class NetSuite:
    """Answers the period totals' two queries; remembers every query it was asked."""

    def __init__(self, totals: list[tuple[str, str, str, float, float]], rates: list[ExchangeRate]) -> None:
        self.totals = totals  # (period, currency code, type, total, amount remaining)
        self.rates = rates
        self.queries: list[str] = []

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.queries.append(query)
        if query.startswith("SELECT id, symbol FROM currency"):
            yield from ({"id": key, "symbol": code} for key, code in CURRENCY_IDS.items())
            return
        codes = {code: key for key, code in CURRENCY_IDS.items()}
        for period, code, kind, total, remaining in self.totals:
            row = {"period": period, "currency": codes[code], "type": kind, "total": total}
            yield {**row, "remaining": remaining}

    def suiteql_page(self, query: str, *, limit: int = 1000, offset: int = 0) -> Any:
        raise AssertionError("period totals read no keyset pages")

    def exchange_rates(self) -> list[ExchangeRate]:
        return list(self.rates)


def sources(salesforce: Salesforce, netsuite: NetSuite, **more: Any) -> Sources:
    return Sources(salesforce=salesforce, netsuite=netsuite, lookups={}, **more)


def found(run: ReconciliationRun) -> dict[tuple[str, str, str], Mismatch]:
    return {(m.kind, m.key, m.field): m for m in Mismatch.objects.filter(run=run)}


def test_a_deal_in_another_currency_differs_per_currency_but_its_converted_month_agrees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    # Booked in EUR in Salesforce, ordered and invoiced in GBP in NetSuite at the same value.
    gbp = round(500 * 1.08 / 1.27, 4)
    netsuite = NetSuite(
        [
            ("2026-03", "USD", "SalesOrd", 1000, 0),
            ("2026-03", "USD", "CustInvc", 1000, 400),
            ("2026-03", "GBP", "SalesOrd", gbp, 0),
            ("2026-03", "GBP", "CustInvc", gbp, 0),
        ],
        RATES,
    )
    salesforce = Salesforce([("2026-03-04", "USD", 1000), ("2026-03-20", "EUR", 500)])
    run = reconciliation_run(check="period_totals", sources=sources(salesforce, netsuite))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert set(found(run)) == {
        ("missing_in_netsuite", "2026-03 EUR", ""),
        ("missing_in_salesforce", "2026-03 GBP", ""),
    }
    assert run.counts["matched"] == 2  # 2026-03 USD, and 2026-03 all in USD: 1540.00 on both sides
    assert run.totals == {
        "USD": {"booked": 1000.0, "ordered": 1000.0, "invoiced": 1000.0, "paid": 600.0},
        "EUR": {"booked": 500.0, "ordered": 0.0, "invoiced": 0.0, "paid": 0.0},
        "GBP": {"booked": 0.0, "ordered": gbp, "invoiced": gbp, "paid": gbp},
    }


def test_a_converted_total_that_differs_states_the_rates_and_their_dates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    netsuite = NetSuite(
        [
            ("2026-08", "USD", "SalesOrd", 100, 0),
            ("2026-08", "EUR", "SalesOrd", 90, 0),
            ("2026-02", "USD", "SalesOrd", 10, 0),
            ("2026-02", "JPY", "SalesOrd", 1000, 0),
        ],
        RATES,
    )
    salesforce = Salesforce(
        [("2026-08-01", "USD", 100), ("2026-08-31", "EUR", 100), ("2026-02-02", "USD", 10)]
    )
    run = reconciliation_run(check="period_totals", sources=sources(salesforce, netsuite))
    mismatches = found(run)
    august = mismatches[("field_differs", "2026-08 all in USD", "ordered")]
    assert august.salesforce_value == pytest.approx(210.0)  # 100 + 100 EUR at 1.10
    assert august.netsuite_value == pytest.approx(199.0)  # 100 + 90 EUR at 1.10
    # The rate NetSuite had in effect on the month's last day (July's, not January's), and its date.
    assert august.details == {
        "converted_to": "USD",
        "rates_on": "2026-08-31",
        "rates": [{"currency": "EUR", "to": "USD", "rate": 1.1, "effective_date": "2026-07-01"}],
    }
    # NetSuite has no JPY rate: February's total cannot be known, and the finding says why.
    february = mismatches[("field_differs", "2026-02 all in USD", "ordered")]
    assert february.netsuite_value is None
    assert february.details["missing_rates"] == ["JPY to USD on or before 2026-02-28"]


def test_a_rate_kept_the_other_way_round_is_inverted_and_the_latest_before_the_day_wins() -> None:
    netsuite = NetSuite([], [*RATES, ExchangeRate("EUR", "USD", 0.8, "2026-09-01", "9")])
    source = sources(Salesforce([]), netsuite)
    assert source.base_currency == "USD"
    before = source.rate_on("EUR", "USD", dt.date(2026, 8, 31))
    after = source.rate_on("EUR", "USD", dt.date(2026, 9, 30))
    assert before is not None and after is not None
    assert (before.rate, before.effective, before.inverse) == (1.1, "2026-07-01", False)
    assert (after.rate, after.effective, after.inverse) == (1.25, "2026-09-01", True)
    assert source.rate_on("JPY", "USD", dt.date(2026, 9, 30)) is None
    assert source.rate_on("USD", "USD", dt.date(2026, 9, 30)) is not None


def test_another_integration_reads_only_its_own_netsuite_transactions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ExceptionQueueDouble().install(monkeypatch)
    acme = Integration.objects.create(name="acme", namespace="ACQ")
    netsuite = NetSuite([], RATES)
    reconciliation_run(
        check="period_totals",
        integration=acme,
        sources=sources(Salesforce([]), netsuite, namespace="ACQ"),
    )
    totals = next(query for query in netsuite.queries if "GROUP BY" in query)
    assert "externalid LIKE 'ACQ-%'" in totals
    assert "createdfrom IS NULL" not in totals  # hand-made invoices are the primary integration's
    netsuite = NetSuite([], RATES)
    reconciliation_run(
        check="period_totals",
        sources=sources(Salesforce([]), netsuite, other_namespaces=frozenset({"ACQ"})),
    )
    totals = next(query for query in netsuite.queries if "GROUP BY" in query)
    assert "externalid NOT LIKE 'ACQ-%'" in totals


def test_the_dashboard_shows_each_integrations_money_per_currency(finance_client: Client) -> None:
    acme = Integration.objects.create(name="acme", label="Acme", namespace="ACQ")
    for integration, totals in (
        (primary_integration(), {"USD": {"booked": 1000, "ordered": 1000, "invoiced": 800, "paid": 500}}),
        (acme, {"EUR": {"booked": 250.5, "ordered": 250.5, "invoiced": 0, "paid": 0}}),
    ):
        ReconciliationRun.objects.create(
            check_name="period_totals",
            integration=integration,
            status=RunStatus.SUCCEEDED,
            totals=totals,
            counts={},
        )
    page = finance_client.get("/").content.decode()
    assert 'id="panel-currencies"' in page

    def figure(name: str) -> str:
        match = re.search(rf'data-figure="{name}">([^<]*)<', page)
        assert match, name
        return match.group(1)

    assert figure("money-primary-USD-ordered") == "1000.00"
    assert figure("money-primary-USD-paid") == "500.00"
    assert figure("money-acme-EUR-booked") == "250.50"


def test_the_run_page_and_api_state_the_rates_a_converted_total_used(finance_client: Client) -> None:
    run = ReconciliationRun.objects.create(
        check_name="period_totals", integration=primary_integration(), status=RunStatus.SUCCEEDED, counts={}
    )
    details = {
        "converted_to": "USD",
        "rates_on": "2026-08-31",
        "rates": [{"currency": "EUR", "to": "USD", "rate": 1.1, "effective_date": "2026-07-01"}],
    }
    Mismatch.objects.create(
        run=run,
        check_name="period_totals",
        kind="field_differs",
        key="2026-08 all in USD",
        field="ordered",
        salesforce_value=210.0,
        netsuite_value=199.0,
        details=details,
        dedup_key="recon:period_totals:2026-08 all in USD:ordered",
    )
    page = " ".join(finance_client.get(f"/reconciliation/runs/{run.pk}/").content.decode().split())
    assert "in USD at NetSuite's rates on 2026-08-31: EUR 1.1 (from 2026-07-01)" in page
    listed = finance_client.get(f"/api/v1/reconciliation/runs/{run.pk}/mismatches/").json()["results"]
    assert listed[0]["details"] == details
    export = finance_client.get(f"/reconciliation/runs/{run.pk}/mismatches.csv").getvalue().decode()
    assert '""rates_on"": ""2026-08-31""' in export
