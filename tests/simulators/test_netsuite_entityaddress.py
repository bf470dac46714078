"""SuiteQL's EntityAddress: a customer's default billing country, as matching before create reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.dataset import Dataset
from simulators.netsuite.catalog import Catalog
from simulators.netsuite.seed import seed
from simulators.netsuite.store import NetSuiteStore, database_path
from simulators.netsuite.suiteql.engine import SuiteQLEngine
from simulators.netsuite.suiteql.tables import TableRegistry
from simulators.netsuite.writes import RecordWriter
from sync.matching.engine import MatchKey, candidate_queries


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SuiteQLEngine]:
    seed(tmp_path, Dataset())
    store = NetSuiteStore(database_path(tmp_path), Catalog())
    writer = RecordWriter(store)
    customer = store.catalog.get("customer")
    assert customer is not None

    def address(country: str, billing: bool) -> dict[str, object]:
        return {"defaultBilling": billing, "addressBookAddress": {"country": country, "city": "Town"}}

    with store.write():
        writer.create(
            customer,
            {
                "companyName": "Zeta Matching Widgets, Inc.",
                "subsidiary": {"id": "1"},
                "addressBook": {"items": [address("DE", False), address("US", True)]},
            },
        )
        writer.create(customer, {"companyName": "Zeta Matching Widgets GmbH", "subsidiary": {"id": "3"}})
        writer.create(
            customer,
            {
                "companyName": "Zeta Idle",
                "subsidiary": {"id": "1"},
                "isInactive": True,
                "email": "a@zeta.example",
            },
        )
    yield SuiteQLEngine(store, TableRegistry(store.catalog))
    store.close()


def test_the_default_billing_address_joins_to_its_country(engine: SuiteQLEngine) -> None:
    rows, total = engine.run(
        "SELECT c.companyname, a.country, BUILTIN.DF(a.country) AS countryname, a.city FROM customer c "
        "LEFT OUTER JOIN EntityAddress a ON a.nKey = c.defaultBillingAddress "
        "WHERE c.companyname LIKE 'Zeta Matching%' ORDER BY c.id",
        limit=10,
        offset=0,
    )
    assert total == 2
    assert rows[0] == {
        "companyname": "Zeta Matching Widgets, Inc.",
        "country": "US",
        "countryname": "United States",
        "city": "Town",
        "links": [],
    }
    assert rows[1]["companyname"] == "Zeta Matching Widgets GmbH"
    assert rows[1].get("country") is None


def test_the_matching_core_query_runs_and_skips_inactive_customers(engine: SuiteQLEngine) -> None:
    key = MatchKey("company_name", (("name", "Name"), ("country", "BillingCountry")))
    (query,) = candidate_queries(record_type="customer", key=key, probes=["zeta"])
    rows, _ = engine.run(query, limit=100, offset=0)
    assert [(row["companyname"], row.get("country")) for row in rows] == [
        ("Zeta Matching Widgets, Inc.", "US"),
        ("Zeta Matching Widgets GmbH", None),
    ]
