"""The item's pricing matrix: the ``price`` sublist in REST and the SuiteQL ``pricing`` table
(simulators/netsuite/pricing.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.dataset import Dataset
from simulators.netsuite.catalog import Catalog
from simulators.netsuite.errors import NetSuiteError
from simulators.netsuite.seed import seed
from simulators.netsuite.store import NetSuiteStore, database_path
from simulators.netsuite.suiteql.engine import SuiteQLEngine
from simulators.netsuite.suiteql.tables import TableRegistry
from simulators.netsuite.writes import RecordWriter


@pytest.fixture
def store(tmp_path: Path) -> Iterator[NetSuiteStore]:
    seed(tmp_path, Dataset())
    opened = NetSuiteStore(database_path(tmp_path), Catalog())
    yield opened
    opened.close()


def _prices(engine: SuiteQLEngine, item: int) -> list[tuple[str, str, str]]:
    """(level, currency name, price) rows, as text: SuiteQL answers every value as a string."""
    rows, _ = engine.run(
        f"SELECT pricelevel, BUILTIN.DF(currency) AS currency, unitprice FROM pricing WHERE item = {item} "  # noqa: S608
        "ORDER BY pricelevel, currency",
        limit=100,
        offset=0,
    )
    return [(row["pricelevel"], row["currency"], row["unitprice"]) for row in rows]


def test_an_items_prices_per_level_and_currency_are_read_by_suiteql(store: NetSuiteStore) -> None:
    engine = SuiteQLEngine(store, TableRegistry(store.catalog))
    service = store.catalog.get("serviceSaleItem")
    assert service is not None
    writer = RecordWriter(store)
    with store.write():
        plain = writer.create(service, {"itemId": "SVC-PLAIN", "basePrice": 12.5})
        priced = writer.create(
            service,
            {
                "itemId": "SVC-PRICED",
                "basePrice": 100,
                "price": {
                    "items": [
                        {"currencyPage": {"id": "1"}, "priceLevel": {"id": "1"}, "price": 110},
                        {"currencyPage": {"id": "4"}, "priceLevel": {"id": "1"}, "price": 95},
                        {"currencyPage": {"id": "1"}, "priceLevel": {"id": "2"}, "price": 99},
                    ]
                },
            },
        )
    # Without a matrix, basePrice is the Base Price level in the base currency.
    assert _prices(engine, int(plain)) == [("1", "US Dollar", "12.5")]
    # A matrix line for Base Price in the base currency wins over basePrice.
    assert _prices(engine, int(priced)) == [
        ("1", "Euro", "95"),
        ("1", "US Dollar", "110"),
        ("2", "US Dollar", "99"),
    ]
    with pytest.raises(NetSuiteError), store.write():
        writer.create(
            service,
            {
                "itemId": "SVC-BAD",
                "price": {"items": [{"currencyPage": {"id": "1"}, "priceLevel": {"id": "9"}, "price": 1}]},
            },
        )
