"""The exception queue: problems a person must look at, with their history and proposed fixes.

:mod:`sync.exceptions.services` is the only way in (``exception_raise``); the actions people take live
in :mod:`sync.exceptions.actions`. One problem on one record is one open
:class:`ExceptionItem`, found again by its ``dedup_key`` (a partial unique constraint keeps it so).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from sync.exceptions.models.subsidiaries import Subsidiary


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ExceptionCategory(models.Model):
    """A kind of problem (``sync_failure``, ``blocked_rule``, ``mismatch``...) and how it is handled."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    sla = models.DurationField(default=timedelta(days=1), help_text="Time to resolve before it escalates")
    default_owner_group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_ticket = models.BooleanField(default=False, help_text="Open a ticket when a new exception arrives")
    default_severity = models.CharField(
        max_length=10,
        choices=Severity.choices,
        default=Severity.MEDIUM,
        help_text="Severity of an exception whose source does not say one",
    )
    runbook = models.TextField(
        blank=True, help_text="What to do about an exception of this kind; shown on each one's page"
    )
    # Set by every change a person makes (sync.exceptions.policy); the shipped defaults are only ensured
    # on categories nobody has edited, so an operator's choice survives every deploy.
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["key"]
        verbose_name_plural = "exception categories"

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    """Step ``position`` (1, 2, ...) of a category's escalation path: who owns it next, and for how long.

    Level 0 is the category's default owner with the category SLA; an exception still open when its due
    time passes moves to the next level.
    """

    category = models.ForeignKey(ExceptionCategory, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField()
    group = models.ForeignKey("auth.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    duration = models.DurationField(help_text="Time allowed at this level before the next one")

    class Meta:
        ordering = ["category", "position"]
        constraints = [
            models.UniqueConstraint(fields=["category", "position"], name="escalation_level_unique_position"),
            models.CheckConstraint(
                condition=(Q(group__isnull=True) & Q(user__isnull=False))
                | (Q(group__isnull=False) & Q(user__isnull=True)),
                name="escalation_level_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.key} level {self.position}"


class ExceptionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    RESOLVED = "resolved", "Resolved"
    IGNORED = "ignored", "Ignored"


ACTIVE_STATUSES = (ExceptionStatus.OPEN, ExceptionStatus.IN_PROGRESS, ExceptionStatus.PENDING_APPROVAL)


class ExceptionItem(models.Model):
    category = models.ForeignKey(ExceptionCategory, on_delete=models.PROTECT, related_name="items")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=20, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN)
    dedup_key = models.CharField(max_length=255, help_text="Same problem on the same record, same key")
    # Same cause, same key, whatever the record (sync.exceptions.causes): the exceptions sharing one are
    # shown and worked as a group. Blank: a cause no other exception can share.
    cause_key = models.CharField(max_length=40, blank=True, default="", editable=False)
    title = models.CharField(max_length=300)
    # [{"system": "salesforce", "object_type": "Opportunity", "id": "006...", "url": "https://..."}]
    records = models.JSONField(default=list, blank=True)
    subsidiary = models.ForeignKey(
        Subsidiary, null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    # The integration whose records the exception is about (the pair it was raised from); none for a
    # problem of no integration's data, which people limited to some integrations never see.
    integration = models.ForeignKey(
        "sync.Integration", null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    vendor_code = models.CharField(max_length=100, blank=True)
    vendor_message = models.TextField(blank=True)
    error_path = models.CharField(max_length=300, blank=True, help_text="Field or path the error points at")
    mapping_row = models.CharField(max_length=200, blank=True, help_text="The mapping row at fault")
    rule = models.CharField(max_length=200, blank=True, help_text="The rule at fault")
    details = models.JSONField(default=dict, blank=True)
    retry_task = models.CharField(
        max_length=200, blank=True, help_text="Dotted path of a @retryable function"
    )
    retry_kwargs = models.JSONField(default=dict, blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    occurrence_count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                name="exception_one_active_per_dedup_key",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["dedup_key"]),
            models.Index(fields=["cause_key", "status"], name="exception_cause_status"),
            # The queue's default view: the active ones in the queue's order (exception_queue), from a
            # backlog that is a few percent of a table of millions.
            models.Index(
                fields=["due_at", "-last_seen", "-id"],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                name="exception_active_queue",
            ),
            # The same for a person limited to some integrations (one index range per integration).
            models.Index(
                fields=["integration", "due_at", "-last_seen", "-id"],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                name="exception_active_queue_int",
            ),
            # The dashboard's open exceptions by age, overdue and currency: counted off the index alone.
            models.Index(
                fields=["first_seen"],
                include=["due_at", "integration", "subsidiary", "id"],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                name="exception_active_age",
            ),
            # Causes of the active ones: the groups page and the queue's group sizes count them off the
            # index alone (a cause shared by 45,000 exceptions of a million is a short index range).
            models.Index(
                fields=["cause_key", "integration"],
                include=["status", "first_seen", "last_seen", "retry_task", "id"],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                name="exception_active_cause",
            ),
            # Exceptions opened in a window (the dashboard's exception rate), all statuses.
            models.Index(fields=["first_seen"], include=["integration"], name="exception_first_seen"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def owner_label(self) -> str:
        if self.owner_user is not None:
            return self.owner_user.get_full_name() or self.owner_user.get_username()
        return self.owner_group.name if self.owner_group is not None else ""


class ExceptionAction(models.TextChoices):
    RAISED = "raised", "Raised"
    RECURRED = "recurred", "Occurred again"
    REOPENED = "reopened", "Reopened"
    AUTO_RESOLVED = "auto_resolved", "Resolved automatically"
    RETRY = "retry", "Retry requested"
    RETRY_FAILED = "retry_failed", "Retry failed"
    RETRY_CANCELLED = "retry_cancelled", "Retry cancelled"
    OVERRIDE_PROPOSED = "override_proposed", "Value change proposed"
    OVERRIDE_APPROVED = "override_approved", "Value change approved"
    OVERRIDE_REJECTED = "override_rejected", "Value change rejected"
    OVERRIDE_SENT = "override_sent", "Value change sent"
    RESOLVED = "resolved", "Marked resolved"
    IGNORED = "ignored", "Ignored"
    ASSIGNED = "assigned", "Assigned"
    ESCALATED = "escalated", "Escalated"
    COMMENTED = "commented", "Commented"
    TICKET_OPENED = "ticket_opened", "Ticket opened"
    MATCH_DECIDED = "match_decided", "Duplicate suspect decided"
    APPROVED = "approved", "Approved"
    TAGGED = "tagged", "Tag added"
    UNTAGGED = "untagged", "Tag removed"


class ExceptionEvent(models.Model):
    """One line of an exception's history: who did what, when, why, and what it changed."""

    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    action = models.CharField(max_length=30, choices=ExceptionAction.choices)
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} on #{self.item_id}"


class OverrideKind(models.TextChoices):
    EDIT = "edit", "Edited value"
    ACCEPT_OTHER = "accept_other", "The other system's value"


class OverrideStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ExceptionOverride(models.Model):
    """A proposed value for one field, used by the retry; financial fields wait for a finance approver."""

    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="overrides")
    kind = models.CharField(max_length=20, choices=OverrideKind.choices, default=OverrideKind.EDIT)
    field = models.CharField(max_length=200)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    source_system = models.CharField(max_length=40, blank=True, help_text="Whose value (accept_other)")
    is_financial = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=OverrideStatus.choices, default=OverrideStatus.PENDING)
    reason = models.TextField(blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # When a retry last sent this value, and the job that sent it.
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_job = models.ForeignKey(
        "sync.SyncJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["proposed_at", "id"]

    def __str__(self) -> str:
        return f"{self.field} on #{self.item_id}"
