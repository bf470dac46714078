"""Rows written for operations: worker heartbeats and the invoice ledger of the return flow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.integrations.models import Integration
from sync.pipeline import operations
from sync.pipeline.models import SyncedInvoice, WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_it_notes_a_worker_heartbeat_once_per_process() -> None:
    first = operations.worker_heartbeat_record(name="host:1")
    again = operations.worker_heartbeat_record(name="host:1")
    assert WorkerHeartbeat.objects.count() == 1 and again.seen_at >= first.seen_at


def test_it_keeps_an_invoice_of_its_integration_and_updates_its_balances_from_a_payment() -> None:
    netsuite = Connection.objects.create(
        name="ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    acquired = Integration.objects.create(name="acme", label="Acme", namespace="ACQ")
    operations.invoice_ledger_record(
        netsuite_connection_id=netsuite.pk,
        integration_id=acquired.pk,
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
        integration_id=acquired.pk,
        invoice_id="501",
        body={"Amount_Paid__c": 250.5, "Amount_Remaining__c": 749.5},
    )
    invoice = SyncedInvoice.objects.get()
    assert invoice.integration == acquired
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
