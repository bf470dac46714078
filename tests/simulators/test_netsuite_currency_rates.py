"""Currency Exchange Rates: the ``currencyRate`` REST record and the SuiteQL ``currencyrate`` table, read
through the real connector over HTTPS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator
from simulators.dataset import Dataset
from simulators.netsuite.client import RestClient
from simulators.netsuite.seed import EXCHANGE_RATES, seed
from sync.connections.services import netsuite_connector
from tests.sync.conftest import netsuite_connection_for


@pytest.fixture
def ns(netsuite_sim: RunningSimulator, simulator_dir: Path) -> RestClient:
    seed(simulator_dir, Dataset())
    return RestClient(netsuite_sim.url, netsuite_sim.ca_file)


def rows(ns: RestClient, query: str) -> list[dict[str, Any]]:
    answer = ns.suiteql(query)
    assert answer.status_code == 200, answer.text
    return [{k: v for k, v in row.items() if k != "links"} for row in answer.json()["items"]]


def test_the_seeded_rates_are_records_and_suiteql_rows(ns: RestClient) -> None:
    record = ns.get("currencyrate", "1")
    assert record["baseCurrency"]["id"] == "1"  # USD, the base currency
    assert record["transactionCurrency"]["refName"] == "Canadian Dollar"
    assert record["exchangeRate"] == pytest.approx(0.73)
    assert record["effectiveDate"] == "2020-01-01"
    found = rows(
        ns,
        "SELECT r.id, b.symbol AS base, c.symbol AS code, r.exchangerate, "
        "TO_CHAR(r.effectivedate, 'YYYY-MM-DD') AS effective FROM currencyrate r "
        "JOIN currency b ON b.id = r.basecurrency JOIN currency c ON c.id = r.transactioncurrency "
        "WHERE c.symbol = 'EUR' ORDER BY r.effectivedate",
    )
    assert [(row["base"], row["effective"], float(row["exchangerate"])) for row in found] == [
        ("USD", "2020-01-01", 1.08),
        ("USD", "2026-07-01", 1.1),
    ]


def test_a_rate_needs_its_currencies_rate_and_date(ns: RestClient) -> None:
    answer = ns.request(
        "POST", "record/v1/currencyRate", json={"baseCurrency": {"id": "1"}, "exchangeRate": 1.2}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["o:errorDetails"][0]["o:errorCode"] == "USER_ERROR"
    created = ns.create(
        "currencyRate",
        {
            "baseCurrency": {"externalId": "USD"},
            "transactionCurrency": {"externalId": "GBP"},
            "exchangeRate": 1.31,
            "effectiveDate": "2026-11-01",
        },
    )
    assert ns.get("currencyrate", created)["exchangeRate"] == pytest.approx(1.31)


@pytest.mark.django_db
def test_the_connector_reads_every_rate_with_iso_codes_oldest_first(
    netsuite_sim: RunningSimulator, simulator_dir: Path
) -> None:
    seed(simulator_dir, Dataset())
    rates = netsuite_connector(netsuite_connection_for(netsuite_sim)).exchange_rates()
    assert [(r.base, r.currency, r.rate, r.effective) for r in rates] == [
        ("USD", code, rate, effective)
        for code, rate, effective in sorted(EXCHANGE_RATES, key=lambda rate: rate[2])
    ]
