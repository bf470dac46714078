"""Writes that feed the dashboard, /healthz and /metrics: worker heartbeats and the ledger of invoices the
return flow synced (Salesforce API usage: :mod:`sync.connections.usage`). Workers write these; no person
does, so nothing is audited."""

from __future__ import annotations

import datetime as dt
import os
import socket
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from core.fields import field_fit
from sync.pipeline.milestones import deal_milestone_invoiced
from sync.pipeline.models import SyncedInvoice, WorkerHeartbeat


def worker_heartbeat_record(*, name: str | None = None) -> WorkerHeartbeat:
    """Note that this worker process ran a task just now."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name or field_fit(WorkerHeartbeat, "name", f"{socket.gethostname()}:{os.getpid()}"),
        defaults={"seen_at": timezone.now()},
    )
    return heartbeat


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def invoice_ledger_record(
    *, netsuite_connection_id: int, integration_id: int, invoice_id: str, body: dict[str, Any]
) -> None:
    """Keep what was written to (or found current in) ``Invoice__c`` for one NetSuite invoice, as the
    invoice of ``integration_id`` (the integration whose return flow wrote it to its org).

    ``body`` is the mapped Salesforce record; a payment's partial body (balances only) updates those.
    """
    now = timezone.now()
    invoice, _ = SyncedInvoice.objects.get_or_create(
        netsuite_connection_id=netsuite_connection_id,
        netsuite_id=field_fit(SyncedInvoice, "netsuite_id", invoice_id),
        defaults={"integration_id": integration_id, "first_synced_at": now, "last_synced_at": now},
    )
    invoice.integration_id = integration_id
    if body.get("Opportunity__c"):
        invoice.opportunity_id = field_fit(SyncedInvoice, "opportunity_id", str(body["Opportunity__c"]))
    if body.get("Invoice_Date__c"):
        try:
            invoice.invoice_date = dt.date.fromisoformat(str(body["Invoice_Date__c"])[:10])
        except ValueError:
            pass
    if body.get("CurrencyIsoCode"):
        invoice.currency = field_fit(SyncedInvoice, "currency", str(body["CurrencyIsoCode"]))
    for field, target in (
        ("Amount__c", "amount"),
        ("Amount_Paid__c", "amount_paid"),
        ("Amount_Remaining__c", "amount_remaining"),
    ):
        value = _decimal(body.get(field))
        if value is not None:
            setattr(invoice, target, value)
    invoice.last_synced_at = now
    invoice.save()
    if invoice.opportunity_id:
        # Its first sync, even when a later body named the opportunity (a payment's partial body does not).
        deal_milestone_invoiced(
            integration_id=integration_id, opportunity_id=invoice.opportunity_id, at=invoice.first_synced_at
        )
