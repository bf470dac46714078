"""What the connection watch last found for each connection (one row per connection, kept up to date)."""

from __future__ import annotations

from django.db import models

from sync.connections.models.connections import Connection


class HealthState(models.TextChoices):
    OK = "ok", "OK"
    UNREACHABLE = "unreachable", "Not answering"
    CREDENTIALS_REJECTED = "credentials_rejected", "Credentials rejected"
    WRONG_ENVIRONMENT = "wrong_environment", "Wrong environment"


class ConnectionHealth(models.Model):
    """The watch's verdict on one connection: ``state`` since ``since``, checked at ``checked_at``.

    ``alerted_state`` is the state the admins were last told about: an alert goes out when the state moves
    from OK to failing (an incident) and back (its recovery), once each, never on every check."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="health")
    state = models.CharField(max_length=24, choices=HealthState.choices)
    since = models.DateTimeField(help_text="When the connection entered this state")
    checked_at = models.DateTimeField()
    diagnosis = models.CharField(max_length=32, blank=True, help_text="connection_test's diagnosis code")
    message = models.TextField(blank=True)
    alerted_state = models.CharField(max_length=24, choices=HealthState.choices, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Checks failed in a row")

    class Meta:
        ordering = ["connection__name"]

    def __str__(self) -> str:
        return f"{self.connection.name}: {self.state}"

    @property
    def failing(self) -> bool:
        return self.state != HealthState.OK
