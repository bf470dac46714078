"""The metadata cache: what each connection's system last described (see sync/connections/metadata/)."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from sync.connections.models.connections import Connection


class ConnectionMetadata(models.Model):
    """One connection's cache: when it was last filled, and what the last refresh that failed said.

    ``fetched_at`` changes only when a refresh succeeds (its objects replace the previous ones in one
    transaction); a failed refresh sets ``last_error`` and leaves the cached objects as they were."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="metadata")
    fetched_at = models.DateTimeField(null=True, blank=True, help_text="When the cached objects were read")
    available = models.JSONField(
        default=list, blank=True, help_text="Every object / record type the system listed at that refresh"
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="Why the last refresh failed (empty: it worked)")
    # Salesforce only, read at each refresh: whether the org has multiple currencies (records carry
    # CurrencyIsoCode) and its corporate currency (a single-currency org's one currency). None / empty:
    # never read, or a NetSuite connection.
    multi_currency = models.BooleanField(
        null=True, blank=True, help_text="Salesforce: the org has multiple currencies enabled"
    )
    corporate_currency = models.CharField(
        max_length=3, blank=True, help_text="Salesforce: the org's corporate (single-currency: only) currency"
    )

    class Meta:
        verbose_name_plural = "connection metadata"

    def __str__(self) -> str:
        return f"metadata of {self.connection.name}"

    @property
    def currency_shape(self) -> str:
        """``multi-currency``, ``single-currency (EUR)``, or empty when not known."""
        return currency_shape_text(self.multi_currency, self.corporate_currency)


def currency_shape_text(multi_currency: bool | None, corporate_currency: str) -> str:
    """How a Salesforce org's currencies are shown on pages, in API answers and command output."""
    if multi_currency is None:
        return ""
    if multi_currency:
        return f"multi-currency (corporate {corporate_currency})" if corporate_currency else "multi-currency"
    return f"single-currency ({corporate_currency or 'currency unknown'})"


class MetadataObject(models.Model):
    """One sObject describe (Salesforce) or record-type JSON Schema (NetSuite), as the system answered."""

    cache = models.ForeignKey(ConnectionMetadata, on_delete=models.CASCADE, related_name="cached_objects")
    name = models.CharField(max_length=120, help_text="As the system spells it: Opportunity, salesOrder")
    label = models.CharField(max_length=200, blank=True)
    field_count = models.PositiveIntegerField(default=0)
    # Text, not a JSONField: PostgreSQL's jsonb reorders object keys, and a JSON Schema's properties are
    # in the order NetSuite lists the fields.
    raw = models.TextField(help_text="The describe / JSON Schema answer as JSON text, unchanged")
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["cache", "name"], name="sync_metadataobject_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def answer(self) -> dict[str, Any]:
        """The stored answer, parsed."""
        value: dict[str, Any] = json.loads(self.raw)
        return value
