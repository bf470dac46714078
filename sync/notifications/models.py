"""Channels, people's preferences, the policy, events and their deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.secrets import EncryptedTextField


class EventKind(models.TextChoices):
    ESCALATED = "escalated", "Exception escalated"
    FAILURE_RATE = "failure_rate", "Failure rate over the threshold"
    RECONCILIATION_MISMATCHES = "reconciliation_mismatches", "Reconciliation found mismatches"
    CONNECTION_DOWN = "connection_down", "Connection down"
    CONNECTION_BACK = "connection_back", "Connection back"


class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack (incoming webhook)"
    TEAMS = "teams", "Microsoft Teams (incoming webhook)"
    EMAIL = "email", "E-mail (a team mailbox)"


class NotificationChannel(models.Model):
    """A team channel: a Slack or Teams incoming webhook, or a shared mailbox.

    ``integration`` None: every integration's events; else only that one's. ``events`` lists the
    :class:`EventKind` values it receives. The webhook URL is a secret (whoever holds it may post to the
    channel): stored encrypted (:mod:`core.secrets`, ``FIELD_ENCRYPTION_KEYS``), shown back only as
    ``url_hint``."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    webhook_url = EncryptedTextField(blank=True, default="", editable=False)
    url_hint = models.CharField(max_length=120, blank=True, editable=False)
    email_to = models.CharField(max_length=500, blank=True, help_text="Comma-separated addresses")
    integration = models.ForeignKey(
        "sync.Integration", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NotificationPreference(models.Model):
    """One person's choice for one kind of event, for one integration (None: all of them).

    The most specific row wins (this integration, then all integrations); with none, the kind's default
    audience decides (:mod:`sync.notifications.recipients`). A row with both off silences the person; a row
    with one on adds a person outside the default audience."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(
        "sync.Integration", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=30, choices=EventKind.choices)
    console = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id", "event", "integration_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "integration", "event"], name="notification_preference_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "event"],
                condition=models.Q(integration__isnull=True),
                name="notification_preference_all_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event} {self.integration_id or 'all'}"


class NotificationPolicy(models.Model):
    """The installation's settings (one row, ``pk=1``), edited by admins on the page, API or command."""

    delay_seconds = models.PositiveIntegerField(
        default=300, help_text="How long a problem must last before anyone is told (0: at once)"
    )
    failure_rate_percent = models.PositiveSmallIntegerField(default=20)
    failure_rate_min_records = models.PositiveIntegerField(default=10)
    failure_rate_window_minutes = models.PositiveIntegerField(default=60)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return "notification policy"


class EventStatus(models.TextChoices):
    PENDING = "pending", "Waiting (delay)"
    DISPATCHED = "dispatched", "Sent out"
    CANCELLED = "cancelled", "Cleared before anyone was told"


class NotificationEvent(models.Model):
    """Something to tell people about. ``key`` is the business key that makes raising idempotent;
    ``subject`` groups an incident's events (``connection:5``) so that a recovery finds what it clears."""

    kind = models.CharField(max_length=30, choices=EventKind.choices)
    key = models.CharField(max_length=200, unique=True)
    subject = models.CharField(max_length=120, db_index=True)
    integration_ids = models.JSONField(default=list, blank=True)  # the same, for matching without a query
    # What the event is about, for scoping the lists (a shared NetSuite account's connection: several).
    integrations = models.ManyToManyField("sync.Integration", blank=True, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    recipient_ids = models.JSONField(null=True, blank=True)  # explicit people (an escalation's owners)
    status = models.CharField(max_length=12, choices=EventStatus.choices, default=EventStatus.PENDING)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"


class NotificationDelivery(models.Model):
    """One message to one channel or one person's e-mail, sent at most once per claim."""

    event = models.ForeignKey(NotificationEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(
        NotificationChannel, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target = models.CharField(max_length=10, choices=ChannelKind.choices)
    address = models.CharField(max_length=500, blank=True)  # the e-mail addresses, or the URL's hint
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel"],
                condition=models.Q(channel__isnull=False),
                name="notification_delivery_channel_once",
            ),
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=models.Q(user__isnull=False),
                name="notification_delivery_user_once",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.target}, {self.status})"
