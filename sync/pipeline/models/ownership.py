"""Per-field system of record: the last value both systems agreed on, and the conflicts found.

A field mapping's ``owner`` says which system holds the truth for a field of an object synced both
ways (account <-> customer, opportunity <-> sales order status). To tell a change on the non-owning
side from a stale copy there, the return flows keep the last value the two systems agreed on
(:class:`SyncedFieldValue`, in Salesforce's terms); a difference from it on the non-owning side is a
:class:`FieldConflict`: recorded once, never propagated, and the owner's value wins.
"""

from __future__ import annotations

from django.db import models


class SystemName(models.TextChoices):
    SALESFORCE = "salesforce", "Salesforce"
    NETSUITE = "netsuite", "NetSuite"


class SyncedFieldValue(models.Model):
    """The last value of one field both systems held after a sync (Salesforce's form of it).

    Per integration (empty: the primary one's): two orgs hand out the same Salesforce ids."""

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(
        "sync.Integration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sobject = models.CharField(max_length=80)
    salesforce_id = models.CharField(max_length=18)
    field = models.CharField(max_length=120)
    value = models.JSONField(null=True, blank=True)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["sobject", "salesforce_id", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["netsuite_connection", "integration", "sobject", "salesforce_id", "field"],
                name="sync_synced_field_value_unique_per_integration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sobject} {self.salesforce_id}.{self.field}"


class FieldConflict(models.Model):
    """The non-owning system changed an owned field: not propagated; the owner's value wins.

    Per integration (empty: the primary one's), like the values it is judged against."""

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(
        "sync.Integration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    flow = models.CharField(max_length=80, help_text="The return flow that found it")
    sobject = models.CharField(max_length=80)
    salesforce_id = models.CharField(max_length=18)
    netsuite_type = models.CharField(max_length=60)
    netsuite_id = models.CharField(max_length=40)
    field = models.CharField(max_length=120, help_text="The Salesforce field")
    owner = models.CharField(max_length=20, choices=SystemName.choices)
    owner_value = models.JSONField(null=True, blank=True)
    other_value = models.JSONField(null=True, blank=True, help_text="What the non-owning side changed it to")
    synced_value = models.JSONField(null=True, blank=True, help_text="The last value both sides held")
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            # One open conflict per field: a re-read of the same change finds it instead of adding one.
            models.UniqueConstraint(
                fields=["netsuite_connection", "integration", "sobject", "salesforce_id", "field"],
                condition=models.Q(resolved_at__isnull=True),
                name="sync_field_conflict_one_open_per_integration",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sobject} {self.salesforce_id}.{self.field} (owner {self.owner})"

    @property
    def other_side(self) -> str:
        return SystemName.NETSUITE if self.owner == SystemName.SALESFORCE else SystemName.SALESFORCE

    @property
    def other_side_label(self) -> str:
        return str(SystemName(self.other_side).label)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
