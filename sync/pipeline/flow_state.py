"""Reading a flow's settings where the pipeline runs: is it paused, what is its trigger.

Kept apart from the services (:mod:`sync.pipeline.flows`) because the inbox claim, the catch-up poll, the
return flow, the catalogue sync and the batch runner read it, and the services call some of them. A flow
with no :class:`~sync.pipeline.models.FlowSetting` row has the defaults: running, trigger Closed Won.

Every setting is that of the integration's own flow: where one connection pair is at work, its
integration's (:func:`flow_paused` with the pair's integration); where rows of many pairs are handled at
once (the inbox claim, the scheduled catalogue sync), :func:`paused_salesforce_connections` says which
Salesforce connections' rows wait, so pausing integration B's flow holds only B's work. A Salesforce
connection no integration names runs under the primary integration and follows its pause.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.db.models import Q, QuerySet

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


@dataclass(frozen=True)
class PausedConnections:
    """Where flow ``key`` is paused, by Salesforce connection (see :func:`paused_salesforce_connections`)."""

    # The production and sandbox connections of the integrations whose flow is paused.
    connection_ids: frozenset[int]
    # The primary's flow is paused: connections no integration names (they run under it) wait too.
    primary: bool
    # When ``primary``: the connections of the integrations still running (every other connection waits).
    named_ids: frozenset[int]
    # Every integration's flow is paused: nothing of this flow runs anywhere.
    everywhere: bool

    def __bool__(self) -> bool:
        return bool(self.connection_ids) or self.primary

    def waiting(self, field: str = "salesforce_connection_id") -> Q:
        """The rows (by their Salesforce connection ``field``) that wait: a filter for ``exclude``."""
        if self.primary:  # the connections of the integrations still running are the only ones not held
            return ~Q(**{f"{field}__in": self.named_ids}) if self.named_ids else Q(pk__isnull=False)
        return Q(**{f"{field}__in": self.connection_ids})

    def holds(self, salesforce_connection_id: int | None) -> bool:
        """Whether work of this Salesforce connection waits."""
        if salesforce_connection_id in self.connection_ids:
            return True
        return self.primary and salesforce_connection_id not in self.named_ids


def paused_salesforce_connections(key: str) -> PausedConnections:
    """Which Salesforce connections' work of flow ``key`` waits, over every integration: one query for the
    paused flows (a second, for the connections other integrations name, only when the primary's is
    paused). For the places that handle many pairs' rows at once; the hot inbox claim among them."""
    rows = list(
        FlowSetting.objects.filter(flow__key=key, paused=True).values_list(
            "flow__integration_id",
            "flow__integration__is_primary",
            "flow__integration__salesforce_connection_id",
            "flow__integration__sandbox_salesforce_connection_id",
        )
    )
    if not rows:
        return PausedConnections(frozenset(), False, frozenset(), False)
    primary = any(is_primary for _, is_primary, _, _ in rows)
    held = frozenset(pk for _, _, *pks in rows for pk in pks if pk is not None)
    named: frozenset[int] = frozenset()
    everywhere = False
    if primary:
        paused_ids = {integration_id for integration_id, *_ in rows}
        others = Integration.objects.exclude(pk__in=paused_ids).values_list(
            "salesforce_connection_id", "sandbox_salesforce_connection_id"
        )
        running = list(others)
        everywhere = not running
        named = frozenset(pk for pks in running for pk in pks if pk is not None) - held
    return PausedConnections(held, primary, named, everywhere)


def flow_paused_in(key: str, integrations: QuerySet[Integration]) -> list[str]:
    """The names of ``integrations`` whose flow ``key`` is paused (a page's "paused for ...")."""
    paused = FlowSetting.objects.filter(flow__key=key, paused=True, flow__integration__in=integrations)
    return sorted(paused.values_list("flow__integration__name", flat=True))


def closed_won_trigger(integration: Integration | None = None) -> Trigger:
    """``integration``'s Closed Won flow's trigger (the primary integration's when None; Closed Won when it
    was never set)."""
    setting = _settings(integration).filter(flow__key=CLOSED_WON_FLOW).first()
    return trigger_of(setting) if setting is not None else CLOSED_WON
