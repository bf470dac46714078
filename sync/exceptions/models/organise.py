"""What people add to an exception to work it: tags that organise a backlog, and the retries they ask for.

A tag is a short name ("waiting on customer", "q4-close") shared by everyone; putting it on an exception
is one :class:`ExceptionTagging` row (who, when), written only by :mod:`sync.exceptions.tags`.

A retry a person asks for is one :class:`ExceptionRetry` row: ``pending`` until a worker claims it (a
conditional update, so a cancelled retry never runs and a retry runs once), then ``started``, and
``failed`` or ``succeeded`` by what the retried sync reports back (:mod:`sync.exceptions.retry`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sync.exceptions.models.exceptions import ExceptionItem


class ExceptionTag(models.Model):
    name = models.CharField(
        max_length=40, unique=True, help_text="Lower case: letters, digits, spaces, - _ :"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # ``item.tags`` is the relation the queue filters on (sync.exceptions.tags.items_tagged).
    items: models.ManyToManyField[ExceptionItem, ExceptionTagging] = models.ManyToManyField(
        ExceptionItem, through="ExceptionTagging", related_name="tags", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ExceptionTagging(models.Model):
    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="taggings")
    tag = models.ForeignKey(ExceptionTag, on_delete=models.CASCADE, related_name="taggings")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["tag__name"]
        constraints = [models.UniqueConstraint(fields=["item", "tag"], name="exception_tagging_unique")]
        indexes = [models.Index(fields=["tag", "item"])]

    def __str__(self) -> str:
        return f"{self.tag_id} on #{self.item_id}"


class RetryStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    STARTED = "started", "Handed to the sync"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed again"
    SUCCEEDED = "succeeded", "Succeeded"


class ExceptionRetry(models.Model):
    """One retry of an exception's work, with the value changes (``overrides``) it sends."""

    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="retries")
    status = models.CharField(max_length=12, choices=RetryStatus.choices, default=RetryStatus.PENDING)
    overrides = models.JSONField(default=dict, blank=True, help_text="{field: value} applied to the bodies")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One waiting retry per exception: asking twice is refused, not queued twice.
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="pending"), name="exception_retry_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"retry {self.pk} of #{self.item_id} {self.status}"
