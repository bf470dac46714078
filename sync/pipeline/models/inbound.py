"""The real-time entry: listeners Salesforce posts to, and the durable inbox every event lands in first.

A request is acknowledged only once its notifications are committed here; the pipeline reads the inbox,
never the request. The inbox is deduplicated on the notification id, so Salesforce's at-least-once
redeliveries (and a webhook sender's retries) collapse into one row.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import models

from core.secrets import EncryptedTextField


def new_path_token() -> str:
    """A listener's URL token: 256 random bits. Shown once (creation, rotation), stored only hashed."""
    return secrets.token_urlsafe(32)


def path_token_hash(token: str) -> str:
    """What is stored of a URL token, and looked up: SHA-256 (the token is random, so no salt or
    stretching is needed; a leaked database row does not give the URL away)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ListenerKind(models.TextChoices):
    OUTBOUND_MESSAGE = "outbound_message", "Salesforce Outbound Message (SOAP)"
    WEBHOOK = "webhook", "JSON webhook (HMAC-SHA256 signed)"


class Listener(models.Model):
    """One inbound URL: ``/sync/inbound/<kind>/<token>/``, tied to the connections it syncs."""

    name = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(
        max_length=20, choices=ListenerKind.choices, default=ListenerKind.OUTBOUND_MESSAGE
    )
    # The SHA-256 of the secret part of the URL (256 random bits, see new_path_token), found by one
    # indexed lookup; the token itself is shown once and never stored.
    path_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    allowed_org_id = models.CharField(
        max_length=18, blank=True, help_text="Salesforce organization id (15 or 18 characters)"
    )
    salesforce_connection = models.ForeignKey(
        "sync.Connection", on_delete=models.PROTECT, related_name="listeners_from"
    )
    netsuite_connection = models.ForeignKey(
        "sync.Connection", on_delete=models.PROTECT, related_name="listeners_to"
    )
    # Webhook listeners only: the shared HMAC key (encrypted at rest, never shown after entry).
    signing_secret = EncryptedTextField(blank=True, default="", editable=False)
    # Off: the endpoint answers 503 (not an Ack), so Salesforce keeps the notifications and retries them
    # for 24 hours; nothing is lost while a listener is disabled.
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a real notification last arrived (written at most about once a minute per process, by a
    # conditional UPDATE off the request's critical path) and when a test notification last arrived.
    last_received_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_test_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboxSource(models.TextChoices):
    OUTBOUND_MESSAGE = "outbound_message", "Outbound message"
    WEBHOOK = "webhook", "Webhook"
    POLL = "poll", "Catch-up poll"
    BACKFILL = "backfill", "Backfill"
    RERUN = "rerun", "Re-run"
    # A person pushed one record now (console, API, sync_push): the flow's trigger is not asked.
    MANUAL = "manual", "Pushed now"


class InboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed by a worker"
    DONE = "done", "Done"
    # Set aside after INBOX_MAX_ATTEMPTS claims that never completed (a poison message): kept for a
    # person to inspect and retry from the exception queue, out of the way of the messages behind it.
    FAILED = "failed", "Set aside after repeated failures"


class InboxMessage(models.Model):
    """One event about one Salesforce record, stored before it is acknowledged.

    A worker claims a row with a conditional UPDATE (pending, or claimed with an expired lease), so two
    workers never take the same row and a killed worker's rows come back when the lease runs out.
    """

    notification_id = models.CharField(max_length=120, unique=True)
    source = models.CharField(max_length=20, choices=InboxSource.choices)
    listener = models.ForeignKey(Listener, null=True, blank=True, on_delete=models.SET_NULL)
    # Its own index would repeat inbox_sf_received's first column (which also serves the PROTECT check).
    salesforce_connection = models.ForeignKey(
        "sync.Connection", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    netsuite_connection = models.ForeignKey("sync.Connection", on_delete=models.PROTECT, related_name="+")
    sobject = models.CharField(max_length=80, default="Opportunity")
    record_id = models.CharField(max_length=18, db_index=True)
    fields = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=InboxStatus.choices, default=InboxStatus.PENDING)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    job = models.ForeignKey("sync.SyncJob", null=True, blank=True, on_delete=models.SET_NULL)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed (a crashed batch, a lease that ran out), kept for a person to read.
    last_error = models.TextField(blank=True, default="")
    # The request (or task) that stored the row: the worker re-opens it so its logs carry the same id.
    correlation_id = models.CharField(max_length=64, blank=True, default="")
    # Approved value changes from the exception queue ({field: value}), applied to this run's NetSuite
    # bodies only (see sync.pipeline.overrides); empty for every other event.
    overrides = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        # Every index is paid for by every insert and by the claim's and the completion's updates (they
        # change indexed columns, so PostgreSQL cannot update in place): keep only what a query reads
        # (migration 0044 says which were dropped and why). The claim reads inbox_status_received.
        indexes = [
            # The inbox page (newest first; by status; a limited person's connections) and the dashboard's
            # queue depth and lag (the waiting statuses' oldest message) read these, never the table.
            models.Index(fields=["received_at", "id"], name="inbox_received"),
            models.Index(fields=["status", "received_at", "id"], name="inbox_status_received"),
            models.Index(fields=["salesforce_connection", "received_at", "id"], name="inbox_sf_received"),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.sobject} {self.record_id}"


class InboxDrainFlag(models.Model):
    """One row (pk 1): "a drain is queued and has not started claiming yet".

    It coalesces the drain tasks of many listener requests into one: a request enqueues a drain only when
    it flips this flag from false to true (after its rows commit); the drain clears it before it claims.
    See :func:`sync.pipeline.inbox.inbox_request_drain` for why no message can be left behind.
    """

    requested = models.BooleanField(default=False)
    requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"drain requested: {self.requested}"
