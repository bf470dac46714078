"""A CPQ package whose plan has no NetSuite price book: a clear exception naming the plan, with its link
(integration: the Closed Won flow over HTTPS against both simulators).

The lookup table ``price_book_by_plan_currency`` has no entry for the deal's plan and currency, as for a
new package: the flow creates the plan, cannot give the subscription a price book, and opens a
``price_book_missing`` exception (not a vague mapping problem) with the plan's NetSuite link and the
runbook. Once the price book is in the table, the retry syncs the deal and the exception is resolved.
"""

from __future__ import annotations

from typing import Any

import pytest

from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.exceptions.models import ACTIVE_STATUSES, ExceptionItem
from sync.mappings.engine.defaults import load_default_lookups
from sync.pipeline import sources
from sync.pipeline.failures import sync_dedup_key
from sync.pipeline.models import RecordStatus, SyncFailure
from sync.pipeline.runner import run_batch
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def test_a_plan_without_a_price_book_opens_a_clear_exception_with_the_plans_link(
    seeded_connections: tuple[Connection, Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    salesforce, netsuite = seeded_connections
    sf, ns = salesforce_connector(salesforce), netsuite_connector(netsuite, limited=False)
    opportunity = won_ids(sf)[0]
    graph = sf.fetch_opportunity_graphs([opportunity])[opportunity]
    currency = next(iter(sf.query(f"SELECT CurrencyIsoCode FROM Opportunity WHERE Id = '{opportunity}'")))[  # noqa: S608
        "CurrencyIsoCode"
    ]
    assert graph["primary_quote"] is not None
    tables = load_default_lookups()
    shipped_books = dict(tables["price_book_by_plan_currency"])
    tables["price_book_by_plan_currency"] = {}  # a new package: no price book known for its plan
    monkeypatch.setattr(sources, "mapping_tables", lambda chosen=None, integration=None: tables)

    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity])

    record = job.records.get()
    assert record.status == RecordStatus.FAILED
    failure = SyncFailure.objects.get(record=record)
    key = str(failure.sent_value)
    plan_sku = key.rsplit("-", 1)[0]
    assert key == f"{plan_sku}-{currency}"
    exception = ExceptionItem.objects.get(
        dedup_key=sync_dedup_key(netsuite_connection_id=netsuite.pk, opportunity_id=opportunity),
        status__in=ACTIVE_STATUSES,
    )
    assert exception.category.key == "price_book_missing"
    assert f"subscription plan {plan_sku} has no price book in {currency}" in exception.title
    assert "price_book_by_plan_currency" in exception.category.runbook
    (plan_id,) = [
        row["id"]
        for row in ns.suiteql(f"SELECT id FROM subscriptionplan WHERE itemid = '{plan_sku}'")  # noqa: S608
    ]
    plans: list[dict[str, Any]] = [r for r in exception.records if r["object_type"] == "subscriptionPlan"]
    host = netsuite.account_id.lower().replace("_", "-")
    link = f"https://{host}.app.netsuite.com/app/common/item/item.nl?id={plan_id}"
    assert [(r["id"], r["url"]) for r in plans] == [(plan_id, link)]

    # Someone makes the price book in NetSuite and adds it to the table; the deal syncs and it resolves.
    tables["price_book_by_plan_currency"] = shipped_books
    again = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity])
    assert again.records.get().status == RecordStatus.SYNCED
    assert not ExceptionItem.objects.filter(
        dedup_key=exception.dedup_key, status__in=ACTIVE_STATUSES
    ).exists()
