"""How each mapping flow runs: paused or running, and (Closed Won flow) what makes a record due.

One :class:`FlowSetting` per :class:`sync.mappings.models.Flow`, created on first use with the defaults
(running, trigger Closed Won), so an installation that never opened the page behaves as before. Written
only through :mod:`sync.pipeline.flows` (audited); read by the inbox claim, the catch-up poll, the
return flow and the batch runner (:mod:`sync.pipeline.triggers`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

DEFAULT_CHECKBOX_FIELD = "Send_to_NetSuite__c"


class TriggerKind(models.TextChoices):
    CLOSED_WON = "closed_won", "When the opportunity is Closed Won"
    CHECKBOX = "checkbox", "When a 'send to NetSuite' checkbox is ticked"
    CONDITION = "condition", "When the opportunity meets a condition"


class FlowSetting(models.Model):
    """Pause state and trigger of one flow (see the module docstring)."""

    flow = models.OneToOneField("sync.Flow", on_delete=models.CASCADE, related_name="setting")
    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pause_reason = models.CharField(max_length=500, blank=True)
    # The Closed Won flow's trigger; the return flows read NetSuite by watermark and have none.
    trigger = models.CharField(max_length=20, choices=TriggerKind.choices, default=TriggerKind.CLOSED_WON)
    checkbox_field = models.CharField(
        max_length=80,
        default=DEFAULT_CHECKBOX_FIELD,
        help_text="A checkbox (boolean) field on Opportunity, e.g. Send_to_NetSuite__c",
    )
    condition = models.TextField(
        blank=True,
        help_text="A SOQL WHERE condition on Opportunity, e.g. StageName = 'Closed Won' AND Amount > 10000",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["flow__key"]

    def __str__(self) -> str:
        return f"{self.flow_id}: {'paused' if self.paused else 'running'}, {self.trigger}"
