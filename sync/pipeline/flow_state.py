"""Reading a flow's settings where the pipeline runs: is it paused, what is its trigger.

Kept apart from the services (:mod:`sync.pipeline.flows`) because the inbox claim, the catch-up poll, the
return flow and the batch runner read it, and the services call some of them. A flow with no
:class:`~sync.pipeline.models.FlowSetting` row has the defaults: running, trigger Closed Won. Settings are
those of the integration's own flow where the connection pair is known; the inbox claim, shared by every
pair, follows the primary integration's Closed Won flow.
"""

from __future__ import annotations

from auditlog.context import disable_auditlog
from django.db.models import QuerySet

from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow
from sync.pipeline.models import FlowSetting
from sync.pipeline.triggers import CLOSED_WON, Trigger, trigger_of

CLOSED_WON_FLOW = "opportunity_to_netsuite"
# The catalogue sync's flow (sync.catalogue): operated here like the others (pause, resume).
CATALOGUE_FLOW = "netsuite_item_to_salesforce"


def flow_setting(*, flow: Flow) -> FlowSetting:
    """The flow's settings, created with the defaults on first use (not audited: nobody changed
    anything; each change a person makes is)."""
    setting = FlowSetting.objects.filter(flow=flow).first()
    if setting is None:
        with disable_auditlog():
            setting, _ = FlowSetting.objects.get_or_create(flow=flow)
    return setting


def _settings(integration: Integration | None) -> QuerySet[FlowSetting]:
    """The settings of ``integration``'s flows (the primary integration's when None)."""
    owner = integration if integration is not None else primary_integration()
    return FlowSetting.objects.filter(flow__integration=owner)


def flow_paused(key: str, integration: Integration | None = None) -> bool:
    """Whether ``integration``'s flow ``key`` is paused (the primary integration's when None; no row
    means running)."""
    return _settings(integration).filter(flow__key=key, paused=True).exists()


def flows_paused(keys: list[str], integration: Integration | None = None) -> set[str]:
    """Which of ``integration``'s flows ``keys`` are paused (the primary integration's when None)."""
    paused = _settings(integration).filter(flow__key__in=keys, paused=True)
    return set(paused.values_list("flow__key", flat=True))


def closed_won_trigger(integration: Integration | None = None) -> Trigger:
    """``integration``'s Closed Won flow's trigger (the primary integration's when None; Closed Won when it
    was never set)."""
    setting = _settings(integration).filter(flow__key=CLOSED_WON_FLOW).first()
    return trigger_of(setting) if setting is not None else CLOSED_WON
