"""Rows behind the database-backed NetSuite concurrency limiter (see :mod:`sync.connections.concurrency`)."""

from __future__ import annotations

from django.db import models


class ConcurrencyLease(models.Model):
    """One slot of one connection's concurrency limit; ``holder`` is empty when the slot is free.

    A claimant takes a slot with a conditional UPDATE (free, or its lease expired), so two workers can
    never hold the same slot; a crashed worker's slot comes back when its lease expires.
    """

    key = models.CharField(max_length=200)
    slot = models.PositiveIntegerField()
    holder = models.CharField(max_length=64, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "slot"], name="sync_lease_key_slot_unique")]

    def __str__(self) -> str:
        return f"{self.key}#{self.slot}"
