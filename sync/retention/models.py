"""The retention policy (one row) and the daily counts that keep the totals of pruned history."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RetentionPolicy(models.Model):
    """How many days each kind of finished history is kept (``None``: for ever), and the rollup's mark."""

    jobs_days = models.PositiveIntegerField(null=True, blank=True, default=180)
    inbox_days = models.PositiveIntegerField(null=True, blank=True, default=90)
    exceptions_days = models.PositiveIntegerField(null=True, blank=True, default=365)
    # Every job started before this day (UTC) is counted in DailyCount; /metrics reads live jobs from it on.
    rolled_up_through = models.DateField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_run_counts = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = "retention policy"
        verbose_name_plural = "retention policy"

    def __str__(self) -> str:
        return "Retention policy"


class CountKind(models.TextChoices):
    JOB = "job", "Sync jobs"
    RECORD = "record", "Sync records"
    INBOX = "inbox", "Inbox messages"
    EXCEPTION = "exception", "Exceptions"


class DailyCount(models.Model):
    """How many rows of one kind, flow and status one UTC day had, with the sums the metrics show.

    Jobs and records are counted by the day their job started, once that day is over; inbox messages
    and exceptions by the day they were pruned from (received, closed), as they are deleted.
    """

    day = models.DateField()
    kind = models.CharField(max_length=12, choices=CountKind.choices)
    flow = models.CharField(max_length=80, blank=True, default="")
    status = models.CharField(max_length=20)
    category = models.CharField(max_length=60, blank=True, default="")
    severity = models.CharField(max_length=10, blank=True, default="")
    count = models.PositiveBigIntegerField(default=0)
    # Jobs: NetSuite writes and skipped writes. Records: the duration histogram (count, sum, per bucket).
    netsuite_writes = models.PositiveBigIntegerField(default=0)
    netsuite_writes_skipped = models.PositiveBigIntegerField(default=0)
    duration_count = models.PositiveBigIntegerField(default=0)
    duration_ms_total = models.PositiveBigIntegerField(default=0)
    duration_buckets = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["day", "kind", "flow", "status"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "flow", "status", "category", "severity"], name="daily_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.flow} {self.status}: {self.count}"
