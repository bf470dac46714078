"""A backfill: the pipeline run over history, started from the console or ``manage.py sync_backfill``.

It runs as a chain of short tasks, one batch each: a batch reads the next won opportunities after
``cursor`` (Salesforce Id order), syncs them as one job, then moves the cursor and queues the next batch
in one conditional update. A batch whose worker stopped moves nothing: the interrupted-work sweep finds
its heartbeat too old, marks the backfill interrupted and queues the same batch again (a smaller one),
up to ``BACKFILL_AUTO_RESUMES`` times; after that a person resumes it (console, API or command).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BackfillStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    INTERRUPTED = "interrupted", "Interrupted"


class Backfill(models.Model):
    salesforce_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    since = models.DateField()
    status = models.CharField(max_length=12, choices=BackfillStatus.choices, default=BackfillStatus.QUEUED)
    total = models.PositiveIntegerField(null=True, blank=True)  # known once Salesforce has been read
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last opportunity Id done: the next batch reads the won opportunities after it.
    cursor = models.CharField(max_length=18, blank=True)
    batch_size = models.PositiveSmallIntegerField(default=200)
    batches = models.PositiveIntegerField(default=0)  # batches done; also the next batch task's step
    # The batch in progress (empty between batches) and the last sign of life: set when a batch is
    # queued, renewed while it runs (sync.pipeline.heartbeat).
    claim_token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    interruptions = models.PositiveSmallIntegerField(default=0)
    interrupted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"backfill since {self.since} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == BackfillStatus.SUCCEEDED:
            return 100
        return min(100, 100 * self.done // self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (BackfillStatus.SUCCEEDED, BackfillStatus.FAILED)

    @property
    def active(self) -> bool:
        """Queued or running: a worker has it, or will (the progress fragment keeps polling)."""
        return self.status in (BackfillStatus.QUEUED, BackfillStatus.RUNNING)

    @property
    def resumable(self) -> bool:
        return self.status in (BackfillStatus.INTERRUPTED, BackfillStatus.FAILED)
