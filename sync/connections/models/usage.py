"""The API usage a connection's vendor reports on its responses (shown on the dashboard)."""

from __future__ import annotations

from django.db import models


class ApiUsage(models.Model):
    """The last ``Sforce-Limit-Info: api-usage=used/max`` a Salesforce connection's responses carried."""

    connection = models.OneToOneField("sync.Connection", on_delete=models.CASCADE, related_name="api_usage")
    used = models.PositiveIntegerField()
    limit = models.PositiveIntegerField()
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.connection_id}: {self.used}/{self.limit}"

    @property
    def percent(self) -> float:
        return round(100.0 * self.used / self.limit, 1) if self.limit else 0.0
