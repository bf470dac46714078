"""Reconciliation runs, the mismatches each found, and the per-field tolerances RevOps sets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from reconciliation.checks import finding
from reconciliation.engine import MismatchKind


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    # Its worker stopped (killed, timed out, or its task lost by the broker): no heartbeat for the lease.
    INTERRUPTED = "interrupted", "Interrupted"
    # The check has nothing to compare in these systems (an org without CPQ has no subscriptions): see note.
    SKIPPED = "skipped", "Skipped"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    CONSOLE = "console", "Console"
    COMMAND = "command", "Command"
    # A release's test run (governance.releases): the sandbox pair, only the records the test synced.
    RELEASE_TEST = "release_test", "Release test"


PHASE_PERCENT = {
    "queued": 0,
    "starting": 5,
    "reading_salesforce": 20,
    "reading_netsuite": 50,
    "comparing": 80,
    "resolving": 95,
}


def _empty_progress() -> dict[str, Any]:
    return {"phase": "queued", "salesforce": 0, "netsuite": 0}


class ReconciliationRun(models.Model):
    check_name = models.CharField(max_length=40, db_index=True)
    # The integration whose pair the run read (its Salesforce org, its records in the NetSuite account);
    # None on runs from before integrations existed: the primary integration's.
    integration = models.ForeignKey(
        "sync.Integration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reconciliation_runs",
    )
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=12, choices=RunTrigger.choices, default=RunTrigger.COMMAND)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # {"phase": queued|reading_salesforce|reading_netsuite|comparing|resolving|done, "salesforce": n,
    #  "netsuite": n}: written in its own short transactions while the run goes, for the progress bar.
    progress = models.JSONField(default=_empty_progress)
    # Comparison.as_dict(): records per side, matched, counts per class, counts per field.
    counts = models.JSONField(default=dict, blank=True)
    # Money per currency the run read (the period totals check): {"USD": {"booked", "ordered", "invoiced",
    # "paid"}} for the dashboard's per-currency figures.
    totals = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # Why a skipped run compared nothing (e.g. the org has no CPQ).
    note = models.TextField(blank=True)
    # Keys the run compared (a release test's records); empty: every record of both systems. A scoped run
    # is evidence only: it opens no exceptions and stays out of the check's history and trend.
    scope = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Renewed while the run goes (sync.pipeline.heartbeat.Heartbeat); the interrupted-run sweep
    # (reconciliation.services.reconciliation_sweep) marks a running run whose heartbeat stopped.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["check_name", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.check_name} run #{self.pk} ({self.status})"

    @property
    def integration_name(self) -> str:
        """The integration's name; runs naming none are the primary integration's."""
        return self.integration.name if self.integration is not None else "primary"

    @property
    def is_scoped(self) -> bool:
        return bool(self.scope)

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def progress_percent(self) -> int:
        """A coarse figure for the progress bar: the phases, as the totals are unknown until read."""
        if not self.is_active:
            return 100
        return PHASE_PERCENT.get(str(self.progress.get("phase")), 5)

    @property
    def class_counts(self) -> list[tuple[str, int]]:
        """Mismatches per class in a fixed order (PostgreSQL's jsonb does not keep the key order)."""
        counts = self.counts.get("counts") or {}
        return [(kind.value, int(counts.get(kind.value, 0))) for kind in MismatchKind]

    @property
    def mismatch_total(self) -> int:
        return sum(int(n) for n in (self.counts.get("counts") or {}).values())


class Mismatch(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="mismatches")
    check_name = models.CharField(max_length=40)
    kind = models.CharField(max_length=24, choices=[(kind.value, kind.value) for kind in MismatchKind])
    key = models.CharField(max_length=255)
    field = models.CharField(max_length=80, blank=True)
    salesforce_value = models.JSONField(null=True, blank=True)
    netsuite_value = models.JSONField(null=True, blank=True)
    # How the values were arrived at, where that is not obvious: a converted total's exchange rates (the
    # currency, the rate, NetSuite's effective date) or the rate NetSuite lacks.
    details = models.JSONField(default=dict, blank=True)
    # One exception per check, key and field across runs: the key of the exception this row raised.
    dedup_key = models.CharField(max_length=400, db_index=True)
    exception_ref = models.CharField(max_length=400, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "kind", "field"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.field}".strip()

    @property
    def finding(self) -> str:
        """What the check calls this finding (``quantity_differs``, ``extra_in_netsuite``)."""
        return finding(self.check_name, self.kind, self.field)[0]

    @property
    def label(self) -> str:
        """The finding for people: "Quantity differs", "Extra in NetSuite (no CPQ subscription)"."""
        return finding(self.check_name, self.kind, self.field)[1]


class Tolerance(models.Model):
    """How far apart two numbers of one check's field may be and still agree (e.g. 0.01 for rounding)."""

    check_name = models.CharField(max_length=40)
    field = models.CharField(max_length=80)
    tolerance = models.DecimalField(max_digits=18, decimal_places=6, validators=[MinValueValidator(0)])
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["check_name", "field"], name="recon_tolerance_unique")]

    def __str__(self) -> str:
        return f"{self.check_name}.{self.field} ± {self.tolerance}"
