"""Writes that feed the dashboard, /healthz and /metrics: worker heartbeats, Salesforce API usage and the
ledger of invoices the return flow synced. Workers write these; no person does, so nothing is audited."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from sync.pipeline.models import ApiUsage, SyncedInvoice, WorkerHeartbeat

logger = logging.getLogger(__name__)
# A busy worker sees the header on every call: the row is rewritten at most this often per connection.
API_USAGE_EVERY = 15.0
_last_recorded: dict[int, float] = {}
_lock = threading.Lock()


def worker_heartbeat_record(*, name: str | None = None) -> WorkerHeartbeat:
    """Note that this worker process ran a task just now."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name or f"{socket.gethostname()}:{os.getpid()}"[:120], defaults={"seen_at": timezone.now()}
    )
    return heartbeat


def api_usage_record(*, connection_id: int, used: int, limit: int, force: bool = False) -> bool:
    """Keep the latest API usage Salesforce reported for a connection; True when the row was written.

    Called from the connector's response hook, so it never raises: a failed write costs a figure on the
    dashboard, never a Salesforce call.
    """
    now = time.monotonic()
    with _lock:
        if not force and now - _last_recorded.get(connection_id, -API_USAGE_EVERY) < API_USAGE_EVERY:
            return False
        _last_recorded[connection_id] = now
    try:
        ApiUsage.objects.update_or_create(
            connection_id=connection_id, defaults={"used": used, "limit": limit, "seen_at": timezone.now()}
        )
    except Exception:  # a locked SQLite database, a closed connection: the next response tries again
        logger.warning("could not record Salesforce API usage", exc_info=True)
        with _lock:
            _last_recorded.pop(connection_id, None)
        return False
    return True


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def invoice_ledger_record(*, netsuite_connection_id: int, invoice_id: str, body: dict[str, Any]) -> None:
    """Keep what was written to (or found current in) ``Invoice__c`` for one NetSuite invoice.

    ``body`` is the mapped Salesforce record; a payment's partial body (balances only) updates those.
    """
    now = timezone.now()
    invoice, _ = SyncedInvoice.objects.get_or_create(
        netsuite_connection_id=netsuite_connection_id,
        netsuite_id=invoice_id[:40],
        defaults={"first_synced_at": now, "last_synced_at": now},
    )
    if body.get("Opportunity__c"):
        invoice.opportunity_id = str(body["Opportunity__c"])[:18]
    if body.get("Invoice_Date__c"):
        try:
            invoice.invoice_date = dt.date.fromisoformat(str(body["Invoice_Date__c"])[:10])
        except ValueError:
            pass
    if body.get("CurrencyIsoCode"):
        invoice.currency = str(body["CurrencyIsoCode"])[:3]
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
