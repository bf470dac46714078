"""A single-currency org on the copied default mapping, no edit: Concord learns the org's currency from the
org, supplies it where the mapping reads ``CurrencyIsoCode`` (never naming the field in a query), leaves it
out of what the return flow writes back, and refuses a NetSuite record in another currency."""
# ruff: noqa: S608 - the f-strings build SOQL for the simulator

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from sync.connections.connectors.salesforce import RecordResult, SalesforceConnector
from sync.exceptions.models import ExceptionItem
from sync.mappings.selectors import published_mapping
from sync.mappings.services.specs import version_spec
from sync.pipeline.models import CrossReference, ReturnRecord, ReturnStatus
from sync.pipeline.returns import return_flow_run
from tests.sync.integrations.conftest import FLOW_KEY, TwoOrgs
from tests.sync.integrations.test_two_orgs_story import control, sync, synced
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB

EURO, DOLLAR = "4", "1"  # the NetSuite simulator's currency ids


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every record Concord's connector sends through sObject Collections, (sObject, body): a spy that
    passes each call on to the simulator over HTTPS unchanged."""
    calls: list[tuple[str, dict[str, Any]]] = []
    real = SalesforceConnector._collections

    def spy(
        self: SalesforceConnector,
        method: str,
        path: str,
        sobject: str,
        records: Sequence[dict[str, Any]],
        all_or_none: bool,
        **options: Any,
    ) -> list[RecordResult]:
        calls.extend((sobject, dict(record)) for record in records)
        return real(self, method, path, sobject, records, all_or_none, **options)

    monkeypatch.setattr(SalesforceConnector, "_collections", spy)
    return calls


def test_a_single_currency_deal_amended_and_invoiced_back_with_no_mapping_edit(
    two_orgs: TwoOrgs, sent: list[tuple[str, dict[str, Any]]]
) -> None:
    b, acme = two_orgs.b, two_orgs.acme
    # acme runs the primary's shipped mapping as copied: nothing about currencies was edited.
    assert (
        version_spec(published_mapping(FLOW_KEY, acme)[0])["objects"]
        == (version_spec(published_mapping(FLOW_KEY)[0])["objects"])
    )
    deal = b.closed_won("Muster Maschinenbau", country="DE")
    first = sync(b.connection, two_orgs.netsuite_connection, deal.opportunity)
    assert synced(first), (first.message, list((first.failures or {}).values()))
    ns = two_orgs.ns()
    order_id = CrossReference.objects.get(
        integration=acme, netsuite_type="salesOrder", salesforce_id=deal.opportunity
    ).netsuite_id
    order = ns.get("salesOrder", order_id, expand=True)
    assert order["currency"]["id"] == EURO
    assert sum(float(line["amount"]) for line in order["item"]["items"]) == 600.0

    # Second day: the deal is amended (ten more seats) and synced again, still in euro, still unedited.
    b.client.SBQQ__QuoteLine__c.update(
        deal.lines["PLAT-CORE"], {"SBQQ__Quantity__c": 20, "SBQQ__NetTotal__c": 1000.0}
    )
    again = sync(b.connection, two_orgs.netsuite_connection, deal.opportunity)
    assert synced(again), (again.message, list((again.failures or {}).values()))
    order = ns.get("salesOrder", order_id, expand=True)
    assert order["currency"]["id"] == EURO
    assert sum(float(line["amount"]) for line in order["item"]["items"]) == 1100.0

    # The invoice comes back to the org without CurrencyIsoCode (the org has no such field).
    [billed] = control(two_orgs, "invoice-orders", {"salesOrders": [order_id]})
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    result = return_flow_run(salesforce=b.connection, netsuite=two_orgs.netsuite_connection, start=start)
    assert result.failed == 0 and not result.problems, result.problems
    invoices = [body for sobject, body in sent if sobject == "Invoice__c"]
    assert invoices and all("CurrencyIsoCode" not in body for body in invoices)
    [stored] = b.client.query(
        f"SELECT Amount__c, Status__c FROM Invoice__c WHERE NetSuite_Invoice_Id__c = '{billed['invoice']}'"
    )["records"]
    assert stored["Amount__c"] == 1100.0

    # An invoice in another currency than the org's is refused with an exception, never written.
    ns.patch("invoice", str(billed["invoice"]), {"currency": {"id": DOLLAR}, "memo": "re-issued in USD"})
    sent.clear()
    later = return_flow_run(salesforce=b.connection, netsuite=two_orgs.netsuite_connection)
    assert later.failed == 1 and not [body for sobject, body in sent if sobject == "Invoice__c"]
    item = ExceptionItem.objects.get(vendor_code="CURRENCY_NOT_IN_ORG")
    assert "in USD" in item.title and "single-currency in EUR" in item.title
    assert item.integration_id == acme.pk
    rows = ReturnRecord.objects.filter(netsuite_type="invoice", netsuite_id=str(billed["invoice"]))
    row = rows.latest("pk")
    assert row.status == ReturnStatus.FAILED
