"""Tickets sent to an outside tracker for exceptions, and notifications shown in the console.

A :class:`Ticket` is an outbox row: the service writes it, a task delivers it to the webhook and
records every :class:`TicketAttempt`; failed deliveries are tried again with backoff.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.secrets import EncryptedTextField
from sync.exceptions.models.exceptions import ExceptionItem


class TicketEndpoint(models.Model):
    """Where tickets are delivered: one row (``pk=1``), edited by admins (:mod:`sync.exceptions.policy`).

    Each value falls back to the environment when it is blank here: ``url`` to
    ``EXCEPTION_TICKET_WEBHOOK_URL``, ``secret`` to ``EXCEPTION_TICKET_WEBHOOK_SECRET``
    (:func:`sync.exceptions.tickets.ticket_endpoint`). The secret is stored encrypted and never shown back.
    """

    url = models.URLField(max_length=500, blank=True, help_text="HTTPS address that receives the tickets")
    secret = EncryptedTextField(blank=True, default="", editable=False)
    secret_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return "ticket endpoint"


class TicketStatus(models.TextChoices):
    PENDING = "pending", "Waiting for delivery"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Gave up"


class Ticket(models.Model):
    item = models.ForeignKey(ExceptionItem, on_delete=models.CASCADE, related_name="tickets")
    external_ref = models.CharField(max_length=200, blank=True, help_text="The tracker's id, once delivered")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return self.external_ref or f"ticket {self.pk}"


class TicketAttempt(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"attempt on ticket {self.ticket_id}"


class Notification(models.Model):
    """A message for one user in the console (the badge counts the unread ones)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(ExceptionItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message
