"""System checks of Concord's own settings: ``manage.py check`` (``--deploy`` for the production ones)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

METRICS_OPEN = "concord.W001"


@register(Tags.security, deploy=True)
def metrics_token_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """/metrics without a token tells anyone who reaches it the volume, failures and vendor limits."""
    token: str = getattr(settings, "METRICS_TOKEN", "")
    if settings.DEBUG or token:
        return []
    return [
        Warning(
            "/metrics is open: anyone who reaches the server reads its figures.",
            hint=(
                "Set METRICS_TOKEN (or METRICS_TOKEN_FILE) and give Prometheus the same bearer token; if "
                f"only a private network reaches /metrics, add {METRICS_OPEN} to SILENCED_SYSTEM_CHECKS."
            ),
            id=METRICS_OPEN,
        )
    ]
