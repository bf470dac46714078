"""What operations and the dashboard read besides jobs: worker heartbeats and the ledger of invoices the
return flow synced (for DSO and quote-to-cash latency). Salesforce API usage is the connection's own
(:mod:`sync.connections.models.usage`)."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by a scheduled task each minute: a recent row proves a worker took and ran a task."""

    name = models.CharField(max_length=120, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at}"


class SyncedInvoice(models.Model):
    """One NetSuite invoice as the return flow last wrote it to Salesforce (``Invoice__c``)."""

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    # The integration whose return flow wrote it to its org (whose deal it bills): the opportunity id
    # alone names a deal within one org only. People limited to some integrations are scoped by it.
    integration = models.ForeignKey(
        "sync.Integration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    netsuite_id = models.CharField(max_length=40)
    opportunity_id = models.CharField(max_length=18, blank=True, db_index=True)
    invoice_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    amount_paid = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    amount_remaining = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    first_synced_at = models.DateTimeField()
    last_synced_at = models.DateTimeField()

    class Meta:
        ordering = ["-invoice_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["netsuite_connection", "netsuite_id"], name="synced_invoice_unique"
            )
        ]

    def __str__(self) -> str:
        return f"invoice {self.netsuite_id} {self.amount} {self.currency}"
