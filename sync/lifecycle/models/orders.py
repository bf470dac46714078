"""Orders NetSuite has moved on (locks) and cancellations of deals already in NetSuite.

- :class:`OrderLockSetting`: from which sales order status on Concord stops editing an order in place
  (one row; changed by people, audited);
- :class:`OrderLock`: a sales order Concord found locked the last time it meant to update it (written
  by the pipeline, with the integration whose deal it is; the record pages show it);
- :class:`Cancellation`: a synced deal lost afterwards, or a cancelled contract, and what became of it
  (waiting for a finance approval, approved, done). One per (NetSuite connection, opportunity): a
  re-run finds it and asks nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LockFrom(models.TextChoices):
    FULFILLED = "fulfilled", "Once fulfilled, billed, closed or cancelled"
    APPROVED = "approved", "Once approved (Pending Fulfillment onwards)"


class OrderLockSetting(models.Model):
    """The company's choice: a sales order is never edited in place from this status on."""

    lock_from = models.CharField(max_length=20, choices=LockFrom.choices, default=LockFrom.FULFILLED)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "order lock setting"

    def __str__(self) -> str:
        return f"Lock sales orders: {self.get_lock_from_display()}"


class OrderLock(models.Model):
    """A sales order found locked in NetSuite when Concord meant to update it."""

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    # Whose deal the order is: opportunity ids are unique within one org only, so two orgs feeding one
    # account may both have an 006... of this number. People limited to some integrations are scoped by
    # it (empty only for rows no writer could place: seen by people not limited).
    integration = models.ForeignKey(
        "sync.Integration", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sales_order_id = models.CharField(max_length=40)
    opportunity_id = models.CharField(max_length=18, db_index=True)
    status_code = models.CharField(max_length=4, blank=True)
    status_label = models.CharField(max_length=80)
    reason = models.CharField(max_length=300, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["netsuite_connection", "sales_order_id"], name="lifecycle_order_lock_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Sales order {self.sales_order_id}: locked in NetSuite ({self.status_label})"


class CancellationReason(models.TextChoices):
    LOST = "lost", "Lost after it synced"
    CONTRACT_CANCELLED = "contract_cancelled", "Contract cancelled"
    ZERO_QUANTITIES = "zero_quantities", "Amendment to quantity 0"


class CancellationStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Waiting for a finance approval"
    APPROVED = "approved", "Approved, running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Cancellation(models.Model):
    """A deal already in NetSuite that is cancelled: its order closed or its subscriptions terminated."""

    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    salesforce_connection = models.ForeignKey("sync.Connection", on_delete=models.CASCADE, related_name="+")
    opportunity_id = models.CharField(max_length=18)
    contract_id = models.CharField(max_length=18, blank=True)
    reason = models.CharField(max_length=20, choices=CancellationReason.choices)
    sales_order_id = models.CharField(max_length=40, blank=True)
    subscription_ids = models.JSONField(default=list, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=CancellationStatus.choices, default=CancellationStatus.PENDING_APPROVAL
    )
    allowed_by_rule = models.CharField(max_length=200, blank=True)
    exception_id = models.PositiveIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Opportunity ids are unique within one Salesforce org only: two orgs feeding one account
            # may both cancel an opportunity 006... of their own.
            models.UniqueConstraint(
                fields=["netsuite_connection", "salesforce_connection", "opportunity_id"],
                name="lifecycle_cancellation_unique_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"Cancellation of {self.opportunity_id} ({self.get_status_display()})"
