"""The go-live assistant: a batch match of every Salesforce account and contact against NetSuite.

A :class:`GoLiveRun` scans both systems without writing anything, keeps one :class:`GoLiveResult` per
Salesforce record (linked / suspect / unmatched / already linked, with the NetSuite candidates), and
applies the confident links only when a person confirms (:mod:`sync.golive.services`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

# How much of a failure's text a run or a result keeps (the columns are unbounded text).
ERROR_TEXT_LIMIT = 2000


class GoLiveStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SCANNING = "scanning", "Scanning"
    READY = "ready", "Ready for review"
    APPLYING = "applying", "Applying"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"


class GoLiveOutcome(models.TextChoices):
    LINKED = "linked", "Confident match"
    # A confident match with a record carrying another integration's external id (a customer both
    # companies sell to): linked without re-keying it.
    SHARED = "shared", "Shared with another integration"
    SUSPECT = "suspect", "Duplicate suspect"
    UNMATCHED = "unmatched", "No match"
    ALREADY_LINKED = "already_linked", "Already linked"


class GoLiveRun(models.Model):
    salesforce_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=GoLiveStatus.choices, default=GoLiveStatus.QUEUED)
    # The published mapping version whose match keys the scan used.
    mapping_version_id = models.IntegerField(null=True, blank=True)
    # Progress of the current phase: Salesforce records matched while scanning, links written while
    # applying. ``total`` is known once the phase has counted its work.
    total = models.PositiveIntegerField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    suspects = models.PositiveIntegerField(default=0)
    unmatched = models.PositiveIntegerField(default=0)
    already_linked = models.PositiveIntegerField(default=0)
    shared = models.PositiveIntegerField(default=0)  # confident matches with another integration's record
    links_applied = models.PositiveIntegerField(default=0)
    links_failed = models.PositiveIntegerField(default=0)
    exceptions_raised = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # The scan delivery working on the run, and when a worker last showed progress on it: a run without
    # a sign of life for longer than Q_RETRY lost its worker (see sync.golive.services.run_is_stale).
    attempt = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    apply_requested_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"go-live match {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status in (GoLiveStatus.READY, GoLiveStatus.APPLIED):
            return 100
        return min(100, 100 * self.done // self.total) if self.total else 0

    @property
    def working(self) -> bool:
        """Whether a worker is (or will be) moving it on: the page keeps polling."""
        return self.status in (GoLiveStatus.QUEUED, GoLiveStatus.SCANNING, GoLiveStatus.APPLYING)


class GoLiveResult(models.Model):
    """One Salesforce record's match: the outcome, why, the NetSuite candidates and the one to link."""

    run = models.ForeignKey(GoLiveRun, on_delete=models.CASCADE, related_name="results")
    salesforce_type = models.CharField(max_length=40)  # Account, Contact
    salesforce_id = models.CharField(max_length=18)
    salesforce_name = models.CharField(max_length=255, blank=True)
    # The Salesforce record's key fields, as read (name, country, e-mail, domain...).
    salesforce_fields = models.JSONField(default=dict, blank=True)
    netsuite_type = models.CharField(max_length=40)  # customer, contact
    outcome = models.CharField(max_length=16, choices=GoLiveOutcome.choices)
    reasons = models.JSONField(default=list, blank=True)
    match_key = models.CharField(max_length=200, blank=True)  # the key that decided, e.g. email(email)
    # [{"id": "107", "fields": {"companyname": ...}, "reasons": [...]}], best first.
    candidates = models.JSONField(default=list, blank=True)
    chosen_id = models.CharField(max_length=40, blank=True)
    # The externalId the link writes: the one Concord's upserts use for this object.
    external_id = models.CharField(max_length=200, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    exception_id = models.IntegerField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "salesforce_type", "salesforce_id"], name="sync_golive_result_unique"
            )
        ]
        indexes = [models.Index(fields=["run", "outcome"], name="sync_golive_result_outcome")]

    def __str__(self) -> str:
        return f"{self.salesforce_type} {self.salesforce_id} {self.outcome}"
