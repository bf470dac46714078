from __future__ import annotations

from auditlog.models import AbstractLogEntry
from django.db import models

from governance.roles import CAPABILITIES


class AuditEntry(AbstractLogEntry):
    """One change or access event in the audit trail (``AUDITLOG_LOGENTRY_MODEL``).

    auditlog writes these for every registered model; services write them for events that are not a
    plain field change (role changes, logins). ``cid`` (from auditlog) holds the correlation id of the
    request or job. ``prev_hash``/``entry_hash`` are reserved for the tamper-evident hash chain.
    """

    prev_hash: models.CharField[str, str] = models.CharField(max_length=64, blank=True)
    entry_hash: models.CharField[str, str] = models.CharField(max_length=64, blank=True)

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-timestamp", "-id"]
        default_permissions = ("view",)

    @property
    def event_label(self) -> str:
        """What happened, in words: "Logged in", "Updated"..."""
        if self.action == self.Action.ACCESS:
            event = (self.additional_data or {}).get("event", "")
            return str(AccessEvent(event).label) if event in AccessEvent.values else "Accessed"
        return str(self.get_action_display()).capitalize()

    @property
    def change_lines(self) -> list[str]:
        """One readable line per changed field (m2m changes say what was added or removed)."""
        lines = []
        for field, values in (self.changes or {}).items():
            if isinstance(values, dict):
                verb = "added" if values.get("operation") == "add" else "removed"
                lines.append(f"{field}: {verb} {', '.join(str(item) for item in values.get('objects', []))}")
            else:
                old, new = values
                lines.append(f"{field}: {old} \u2192 {new}")
        return lines


class AccessEvent(models.TextChoices):
    """What ``additional_data["event"]`` says on an ACCESS audit entry."""

    LOGIN = "login", "Logged in"
    LOGOUT = "logout", "Logged out"
    LOGIN_FAILED = "login_failed", "Failed login"


class Capability(models.Model):
    """Anchor for the console's named permissions (see :mod:`governance.roles`); no table, no rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = list(CAPABILITIES.items())

    def __str__(self) -> str:
        return "capability"
