"""Rows written for operations: Salesforce API usage (throttled, never failing a call), heartbeats, and the
invoice ledger of the return flow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sync.connections.connectors.salesforce import limit_info_usage
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.pipeline import operations
from sync.pipeline.models import ApiUsage, SyncedInvoice, WorkerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection() -> Connection:
    return Connection.objects.create(
        name="sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(operations, "_last_recorded", {})


def test_it_reads_api_usage_from_the_limit_info_header() -> None:
    assert limit_info_usage("api-usage=25/15000") == (25, 15000)
    assert limit_info_usage("per-app-api-usage=2/250(appName=x), api-usage=26/15000") == (26, 15000)
    assert limit_info_usage("") is None and limit_info_usage("nothing here") is None


def test_it_keeps_the_latest_usage_at_most_every_few_seconds(connection: Connection) -> None:
    assert operations.api_usage_record(connection_id=connection.pk, used=10, limit=100)
    assert not operations.api_usage_record(connection_id=connection.pk, used=11, limit=100)  # throttled
    assert ApiUsage.objects.get(connection=connection).used == 10
    assert operations.api_usage_record(connection_id=connection.pk, used=12, limit=100, force=True)
    usage = ApiUsage.objects.get(connection=connection)
    assert (usage.used, usage.limit, usage.percent) == (12, 100, 12.0)


def test_a_failed_write_never_fails_the_call_and_is_tried_again(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    with monkeypatch.context() as patched:
        patched.setattr(ApiUsage.objects, "update_or_create", locked)
        assert not operations.api_usage_record(connection_id=connection.pk, used=1, limit=100)
    assert operations.api_usage_record(connection_id=connection.pk, used=2, limit=100)  # not throttled


def test_it_notes_a_worker_heartbeat_once_per_process() -> None:
    first = operations.worker_heartbeat_record(name="host:1")
    again = operations.worker_heartbeat_record(name="host:1")
    assert WorkerHeartbeat.objects.count() == 1 and again.seen_at >= first.seen_at


def test_it_keeps_an_invoice_and_updates_its_balances_from_a_payment() -> None:
    netsuite = Connection.objects.create(
        name="ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    operations.invoice_ledger_record(
        netsuite_connection_id=netsuite.pk,
        invoice_id="501",
        body={
            "Opportunity__c": "006000000000001AAA",
            "Invoice_Date__c": "2026-06-01",
            "CurrencyIsoCode": "USD",
            "Amount__c": 1000,
            "Amount_Paid__c": 0,
            "Amount_Remaining__c": 1000,
        },
    )
    operations.invoice_ledger_record(
        netsuite_connection_id=netsuite.pk,
        invoice_id="501",
        body={"Amount_Paid__c": 250.5, "Amount_Remaining__c": 749.5},
    )
    invoice = SyncedInvoice.objects.get()
    assert (invoice.opportunity_id, invoice.invoice_date, invoice.currency) == (
        "006000000000001AAA",
        dt.date(2026, 6, 1),
        "USD",
    )
    assert (invoice.amount, invoice.amount_paid, invoice.amount_remaining) == (
        Decimal("1000.00"),
        Decimal("250.50"),
        Decimal("749.50"),
    )
