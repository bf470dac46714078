"""The catalogue sync over HTTPS against both simulators, in both org shapes.

The seeded Salesforce org already has every product (made there before Concord, without a NetSuite id)
and their standard prices; NetSuite has the same items. The first run links those products by code and
creates what is new; the second writes nothing; a renamed and repriced item updates exactly its product
and its entry; a product made in Salesforce first is matched, never duplicated. In the multi-currency org
prices go per currency, and a second price level goes to a custom price book (after the standard price).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simulators.core.runner import RunningSimulator, start_in_thread
from simulators.netsuite.seed import seed as seed_netsuite
from simulators.netsuite.spec import SPEC as NETSUITE_SPEC
from simulators.salesforce.seed import seed as seed_salesforce
from simulators.salesforce.spec import SPEC as SALESFORCE_SPEC
from sync.catalogue import services
from sync.catalogue.services import catalogue_dedup_key, catalogue_sync_run
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.mappings.engine.defaults import load_default_lookups
from sync.pipeline.models import ReturnRecord, ReturnStatus, SyncJob
from tests.sync.conftest import SEEDED, netsuite_connection_for, salesforce_connection_for
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB
USD, EUR = "1", "4"  # the NetSuite simulator's currency ids


@dataclass
class Org:
    multi: bool
    salesforce: Connection
    netsuite: Connection
    sf: SalesforceConnector
    ns: NetSuiteConnector

    def run(self, **kwargs: Any) -> services.CatalogueResult:
        return catalogue_sync_run(salesforce=self.salesforce, netsuite=self.netsuite, **kwargs)

    def products(self, code: str) -> list[dict[str, Any]]:
        columns = "Id, Name, ProductCode, NetSuite_Item_Id__c"
        return list(self.sf.query(f"SELECT {columns} FROM Product2 WHERE ProductCode = '{code}'"))  # noqa: S608

    def entries(self, product_id: str) -> list[dict[str, Any]]:
        currency = ", CurrencyIsoCode" if self.multi else ""
        return list(
            self.sf.query(
                f"SELECT Id, Pricebook2Id, UnitPrice{currency} FROM PricebookEntry "  # noqa: S608
                f"WHERE Product2Id = '{product_id}' ORDER BY Id"
            )
        )


@pytest.fixture(params=["multi", "single"], ids=lambda shape: f"{shape}-currency")
def org(request: pytest.FixtureRequest, db: None, tmp_path: Path) -> Iterator[Org]:
    data_dir = tmp_path / "catalogue"
    seed_salesforce(data_dir, SEEDED, currencies=request.param)
    seed_netsuite(data_dir, SEEDED)
    simulators: list[RunningSimulator] = [
        start_in_thread(SALESFORCE_SPEC, data_dir, currencies=request.param),
        start_in_thread(NETSUITE_SPEC, data_dir),
    ]
    salesforce = salesforce_connection_for(simulators[0])
    netsuite = netsuite_connection_for(simulators[1])
    yield Org(
        request.param == "multi",
        salesforce,
        netsuite,
        salesforce_connector(salesforce),
        netsuite_connector(netsuite, limited=False),
    )
    for running in simulators:
        running.stop()


def _partner_book(org: Org, monkeypatch: pytest.MonkeyPatch) -> str:
    """A custom price book for NetSuite's "Alternate Price 1" level (level 2), in the lookup table."""
    book = org.sf.create("Pricebook2", {"Name": "Partner", "IsActive": True})
    tables = load_default_lookups()
    tables["pricebook_by_price_level"] = {"1": "standard", "2": book}
    monkeypatch.setattr(services, "mapping_tables", lambda chosen=None, integration=None: tables)
    return book


def _prices(*lines: tuple[str, str, float]) -> dict[str, Any]:
    return {
        "price": {
            "items": [
                {"currencyPage": {"id": currency}, "priceLevel": {"id": level}, "price": price}
                for level, currency, price in lines
            ]
        }
    }


def test_the_catalogue_syncs_and_the_second_day_writes_only_what_changed(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    partner = _partner_book(org, monkeypatch)
    standard = next(iter(org.sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")))["Id"]
    lines = [("1", USD, 100.0), ("2", USD, 80.0)] + ([("1", EUR, 90.0)] if org.multi else [])
    new_item = org.ns.create(
        "serviceSaleItem",
        {"itemId": "SVC-NEW", "displayName": "New Service", "basePrice": 100.0, **_prices(*lines)},
    )
    # A product RevOps made in Salesforce before the item existed in NetSuite: matched, not duplicated.
    made_first = org.sf.create("Product2", {"Name": "Pre-made", "ProductCode": "SVC-PRE", "IsActive": True})
    pre_item = org.ns.create(
        "serviceSaleItem", {"itemId": "SVC-PRE", "displayName": "Pre-made", "basePrice": 5}
    )

    first = org.run(trigger="manual")

    assert first.failed == 0, first.problems
    (product,) = org.products("SVC-NEW")
    assert product["NetSuite_Item_Id__c"] == new_item and product["Name"] == "New Service"
    entries = org.entries(product["Id"])
    got = sorted((e["Pricebook2Id"], e.get("CurrencyIsoCode", ""), float(e["UnitPrice"])) for e in entries)
    want = [(standard, "USD" if org.multi else "", 100.0), (partner, "USD" if org.multi else "", 80.0)]
    if org.multi:
        want.append((standard, "EUR", 90.0))
    assert got == sorted(want)
    (pre,) = org.products("SVC-PRE")
    assert pre["Id"] == made_first and pre["NetSuite_Item_Id__c"] == pre_item
    # The seeded products were linked by code, one product per code.
    linked = org.products("PLAT-CORE")
    assert len(linked) == 1 and linked[0]["NetSuite_Item_Id__c"] == "1"
    assert first.job is not None and first.job.flow == "netsuite_item_to_salesforce"
    assert first.job.records_total == first.read >= 3

    second = org.run()
    assert second.written == 0 and second.failed == 0
    full = org.run(trigger="manual", full=True)
    assert full.written == 0 and full.read == first.read

    org.ns.patch(
        "serviceSaleItem",
        new_item,
        {
            "displayName": "Renamed Service",
            **_prices(*[(lv, cur, 110.0 if lv == "1" and cur == USD else p) for lv, cur, p in lines]),
        },
        replace=["price"],
    )
    third = org.run()  # reads from 2 minutes before the watermark: the seeded items again, harmlessly
    assert (third.products_written, third.entries_written, third.failed) == (1, 1, 0)
    assert org.products("SVC-NEW")[0]["Name"] == "Renamed Service"
    prices = {
        (e["Pricebook2Id"], e.get("CurrencyIsoCode", "")): float(e["UnitPrice"])
        for e in org.entries(product["Id"])
    }
    assert prices[(standard, "USD" if org.multi else "")] == 110.0
    assert prices[(partner, "USD" if org.multi else "")] == 80.0
    assert len(org.entries(product["Id"])) == len(want)
    row = ReturnRecord.objects.get(job=third.job, netsuite_id=new_item)
    assert row.status == ReturnStatus.WRITTEN and row.salesforce_id == product["Id"]


def test_a_refused_item_opens_an_exception_and_its_retry_resolves_it(org: Org) -> None:
    # Two Salesforce products share the code: Concord cannot tell which is the item's.
    for name in ("Dup A", "Dup B"):
        org.sf.create("Product2", {"Name": name, "ProductCode": "SVC-DUP", "IsActive": True})
    item = org.ns.create("serviceSaleItem", {"itemId": "SVC-DUP", "displayName": "Dup", "basePrice": 7})

    result = org.run(trigger="manual")

    assert result.failed == 1
    key = catalogue_dedup_key(org.netsuite.pk, item)
    exception = ExceptionItem.objects.get(dedup_key=key, status__in=ACTIVE_STATUSES)
    assert exception.category.key == "catalogue" and "SVC-DUP" in exception.title
    assert SyncJob.objects.filter(flow="netsuite_item_to_salesforce", records_failed=1).exists()
    # RevOps link the right product; the retry syncs that one item and resolves the exception.
    keep, drop = org.products("SVC-DUP")
    org.sf.update("Product2", drop["Id"], {"ProductCode": "SVC-DUP-OLD"})
    services.catalogue_item_retry(
        netsuite_id=item, salesforce_connection_id=org.salesforce.pk, netsuite_connection_id=org.netsuite.pk
    )
    assert not ExceptionItem.objects.filter(dedup_key=key, status__in=ACTIVE_STATUSES).exists()
    (linked,) = org.products("SVC-DUP")
    assert linked["Id"] == keep["Id"] and linked["NetSuite_Item_Id__c"] == item
