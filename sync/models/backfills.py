"""A backfill: the pipeline run over history, started from the console or ``manage.py sync_backfill``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BackfillStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Backfill(models.Model):
    salesforce_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    since = models.DateField()
    status = models.CharField(max_length=10, choices=BackfillStatus.choices, default=BackfillStatus.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True)  # known once Salesforce has been read
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"backfill since {self.since} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == BackfillStatus.SUCCEEDED:
            return 100
        return 100 * self.done // self.total if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (BackfillStatus.SUCCEEDED, BackfillStatus.FAILED)
