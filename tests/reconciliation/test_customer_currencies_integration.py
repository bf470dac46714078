"""A customer carries every currency it is billed in, over HTTPS through the real pipeline: an account's
first deal in its own currency, its second in another; NetSuite's customer then lists both, each order is
in its deal's currency, and reconciliation finds nothing to say about either."""

from __future__ import annotations

from typing import Any

from reconciliation.models import Mismatch, RunStatus
from reconciliation.services import reconciliation_run
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector, salesforce_connector
from sync.mappings.engine.defaults import load_default_lookups
from sync.pipeline.models import RecordStatus, SyncRecord
from sync.pipeline.runner import run_batch
from tests.reconciliation.test_integration import ACC
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB
CURRENCY_ID = load_default_lookups()["currency_code_to_id"]


def currencies(customer: dict[str, Any]) -> set[str]:
    """The customer's primary currency and those of its currency sublist (NetSuite ids)."""
    listed = (customer.get("currencyList") or {}).get("items") or []
    return {customer["currency"]["id"], *(line["currency"]["id"] for line in listed)}


def test_a_deal_in_a_second_currency_adds_it_to_the_customer(
    seeded_connections: tuple[Connection, Connection],
) -> None:
    salesforce, netsuite = seeded_connections
    sf, ns = salesforce_connector(salesforce), netsuite_connector(netsuite, limited=False)
    account = ACC(8)  # in the UK: its subsidiary sells in GBP and EUR
    soql = f"SELECT Id, StageName, CurrencyIsoCode FROM Opportunity WHERE AccountId = '{account}' ORDER BY Id"  # noqa: S608
    won, other = sf.query(soql)
    assert won["StageName"] == "Closed Won" and won["CurrencyIsoCode"] == "GBP"
    sf.update("Opportunity", other["Id"], {"CurrencyIsoCode": "EUR", "StageName": "Closed Won"})

    first = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[won["Id"]])
    assert SyncRecord.objects.get(job=first).status == RecordStatus.SYNCED
    customer = ns.get_by_external_id("customer", account, expand=True)
    assert customer is not None and customer["currency"]["id"] == CURRENCY_ID["GBP"]
    assert currencies(customer) == {CURRENCY_ID["GBP"]}  # EUR comes with the deal billed in it

    second = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[other["Id"]])
    record = SyncRecord.objects.get(job=second)
    assert record.status == RecordStatus.SYNCED, record.message
    customer = ns.get_by_external_id("customer", account, expand=True)
    assert customer is not None
    assert currencies(customer) == {CURRENCY_ID["GBP"], CURRENCY_ID["EUR"]}
    for deal, code in ((won, "GBP"), (other, "EUR")):
        order = ns.get_by_external_id("salesOrder", deal["Id"])
        assert order is not None and order["currency"]["id"] == CURRENCY_ID[code]

    # Reconciliation agrees: one customer, each order in its deal's currency.
    for check, keys in (("accounts", [account]), ("opportunities", [won["Id"], other["Id"]])):
        run = reconciliation_run(check=check)
        assert run.status == RunStatus.SUCCEEDED, run.error
        assert not Mismatch.objects.filter(run=run, key__in=keys).exists(), check
