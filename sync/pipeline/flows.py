"""Operating the flows: pause and resume each one, choose the Closed Won flow's trigger, push one record now.

Every change is a person's, checked (:mod:`sync.pipeline.permissions`) and audited with one entry each;
the page, the API and the commands (``flow_list``, ``flow_pause``, ``flow_resume``, ``flow_trigger``,
``sync_push``) call these services.

Life cycle of a pause. The Closed Won flow paused: the listener and the catch-up poll still store every
event in the inbox, but nothing is claimed (:func:`sync.pipeline.inbox.inbox_claim`) and no backfill batch
runs; a batch already running finishes. Resuming enqueues a drain and the waiting backfill batches: each
waiting event syncs once (the inbox dedupes, the pipeline upserts). A return flow paused: the return flow
reads nothing of its record type and its watermark stays where it was (:mod:`sync.pipeline.returns`);
resuming queues a run that catches up. The catalogue flow (``netsuite_item_to_salesforce``, run by
:mod:`sync.catalogue`) paused: its schedule skips it and Sync now is refused; resuming queues a run.
Pausing a paused flow, or resuming a running one, is refused with
a clear message and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from core import labels
from core.audit import AuditAction, audit_record
from sync.connections.connectors.errors import ConnectorError
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection, ConnectionKind
from sync.connections.services import ConnectionMisconfigured, salesforce_connector
from sync.integrations.models import Integration
from sync.integrations.selectors import integration_for_pair, primary_integration
from sync.mappings.models import Flow
from sync.pipeline.backfills import backfill_enqueue
from sync.pipeline.flow_state import CATALOGUE_FLOW, CLOSED_WON_FLOW, flow_paused, flow_setting
from sync.pipeline.inbox import inbox_enqueue_drain, inbox_requeue_opportunity
from sync.pipeline.models import (
    Backfill,
    BackfillStatus,
    FlowSetting,
    InboxMessage,
    InboxSource,
    InboxStatus,
    Listener,
    ListenerKind,
    PollWatermark,
    ReturnRecord,
    SyncJob,
)
from sync.pipeline.permissions import can_operate_flow, can_push
from sync.pipeline.returns import FLOWS as RETURN_FLOWS
from sync.pipeline.returns import JOB_FLOW as RETURN_JOB_FLOW
from sync.pipeline.triggers import Trigger, trigger_of, trigger_salesforce_criteria, trigger_validate

REASON_LENGTH = 500
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
OPERATED_FLOWS = (CLOSED_WON_FLOW, *RETURN_FLOWS.values(), CATALOGUE_FLOW)


def _check(user: User | None, flow: Flow) -> None:
    """``user`` None is the operator at the terminal (a management command)."""
    if user is not None and not can_operate_flow(user, flow):
        raise PermissionDenied("Operating a flow needs the RevOps or Admin role, or a grant on the flow.")


def flow_pause(*, flow: Flow, user: User | None, reason: str = "") -> FlowSetting:
    """Pause ``flow``: its events wait (see the module docstring); audited."""
    _check(user, flow)
    with transaction.atomic():
        setting = FlowSetting.objects.select_for_update().get(pk=flow_setting(flow=flow).pk)
        if setting.paused:
            by = f" by {setting.paused_by}" if setting.paused_by else ""
            raise ValidationError(
                f"{flow.key} is already paused (since {setting.paused_at:%Y-%m-%d %H:%M} UTC{by})."
            )
        setting.paused, setting.paused_at, setting.paused_by = True, timezone.now(), user
        setting.pause_reason = reason[:REASON_LENGTH]
        setting.full_clean()
        with disable_auditlog():  # the entry below says it, with the event and reason
            setting.save()
        audit_record(
            obj=setting,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"paused": [False, True]},
            event="flow_pause",
            reason=reason,
            flow=flow.key,
        )
    return setting


def flow_resume(*, flow: Flow, user: User | None, reason: str = "") -> FlowSetting:
    """Resume ``flow`` and queue what waited: a drain (Closed Won) or a run (a return flow); audited."""
    _check(user, flow)
    with transaction.atomic():
        setting = FlowSetting.objects.select_for_update().get(pk=flow_setting(flow=flow).pk)
        if not setting.paused:
            raise ValidationError(f"{flow.key} is not paused.")
        paused_at = setting.paused_at
        setting.paused, setting.paused_at, setting.paused_by, setting.pause_reason = False, None, None, ""
        with disable_auditlog():  # the entry below says it, with the event and reason
            setting.save()
        audit_record(
            obj=setting,
            actor=user,
            action=AuditAction.UPDATE,
            changes={"paused": [True, False]},
            event="flow_resume",
            reason=reason,
            flow=flow.key,
            paused_since=paused_at.isoformat() if paused_at else None,
        )
        transaction.on_commit(lambda: _catch_up(flow.key))
    return setting


def _catch_up(key: str) -> None:
    if key == CLOSED_WON_FLOW:
        # Unconditionally: while paused the drain flag stayed set, so no store enqueued one.
        inbox_enqueue_drain()
        for backfill_id, batches in Backfill.objects.filter(status=BackfillStatus.QUEUED).values_list(
            "pk", "batches"
        ):
            backfill_enqueue(backfill_id=backfill_id, step=batches)
    elif key in RETURN_FLOWS.values():
        async_task("sync.tasks.return_flow", task_name="return flow (resumed)", group="sync-return")
    elif key == CATALOGUE_FLOW:
        async_task("sync.tasks.catalogue_sync", task_name="catalogue sync (resumed)", group="sync-catalogue")


def flow_trigger_set(
    *,
    flow: Flow,
    user: User | None,
    trigger: Trigger,
    reason: str = "",
    connectors: Iterable[tuple[str, SalesforceConnector]] | None = None,
) -> FlowSetting:
    """Choose what makes an opportunity due (Closed Won flow only). The trigger is checked against
    Salesforce first (:func:`sync.pipeline.triggers.trigger_validate`); a refusal saves nothing."""
    _check(user, flow)
    if flow.key != CLOSED_WON_FLOW:
        raise ValidationError(
            f"Only {CLOSED_WON_FLOW} has a trigger: the return flows read NetSuite's changes."
        )
    clean = trigger_validate(trigger, connectors=connectors)
    with transaction.atomic():
        setting = FlowSetting.objects.select_for_update().get(pk=flow_setting(flow=flow).pk)
        before = _trigger_fields(setting)
        setting.trigger, setting.checkbox_field, setting.condition = (
            clean.kind,
            clean.checkbox_field,
            clean.condition,
        )
        setting.full_clean()
        after = _trigger_fields(setting)
        if before == after:
            return setting
        with disable_auditlog():  # the entry below says it, with the event and reason
            setting.save()
        audit_record(
            obj=setting,
            actor=user,
            action=AuditAction.UPDATE,
            changes={name: [before[name], after[name]] for name in after if before[name] != after[name]},
            event="flow_trigger_set",
            reason=reason,
            flow=flow.key,
            salesforce_criteria=trigger_salesforce_criteria(setting),
        )
    return setting


def _trigger_fields(setting: FlowSetting) -> dict[str, str]:
    return {
        "trigger": setting.trigger,
        "checkbox_field": setting.checkbox_field,
        "condition": setting.condition,
    }


@dataclass(frozen=True)
class Pushed:
    message: InboxMessage
    paused: bool  # the Closed Won flow is paused: the record waits in the inbox until it resumes


def sync_push(
    *,
    opportunity_id: str,
    user: User | None,
    salesforce: Connection | None = None,
    netsuite: Connection | None = None,
    reason: str = "",
) -> Pushed:
    """Send one opportunity to NetSuite now, whatever the trigger says (the rules still apply): a new
    inbox event with source ``manual``. The opportunity must exist in Salesforce; the connections default
    to the one pair the Closed Won listeners serve. Audited with who pushed it."""
    if user is not None and not can_push(user):
        raise PermissionDenied("Pushing a record needs the RevOps or Admin role.")
    opportunity_id = (opportunity_id or "").strip()
    if not SALESFORCE_ID.match(opportunity_id):
        raise ValidationError(
            f"{opportunity_id!r} is not a Salesforce record id (15 or 18 letters and digits)."
        )
    salesforce, netsuite = _push_pair(salesforce, netsuite)
    try:
        found = list(
            salesforce_connector(salesforce).query(
                f"SELECT Id, Name FROM Opportunity WHERE Id = '{opportunity_id}'"  # noqa: S608 - checked id
            )
        )
    except ConnectorError as error:
        raise ValidationError(
            f"Could not read the opportunity from Salesforce ({salesforce.name}): {error.message}"
        ) from error
    except ConnectionMisconfigured as error:
        refusal = f"The Salesforce connection {salesforce.name} is not set up: {error}"
        raise ValidationError(refusal) from error
    if not found:
        raise ValidationError(f"Salesforce ({salesforce.name}) has no opportunity {opportunity_id}.")
    integration = integration_for_pair(salesforce.pk, netsuite.pk)
    flow = Flow.objects.filter(integration=integration, key=CLOSED_WON_FLOW).first()
    with transaction.atomic():
        message = inbox_requeue_opportunity(
            opportunity_id=str(found[0]["Id"]),
            salesforce_connection_id=salesforce.pk,
            netsuite_connection_id=netsuite.pk,
            source=InboxSource.MANUAL,
        )
        audit_record(
            obj=flow_setting(flow=flow) if flow is not None else message,
            actor=user,
            action=AuditAction.ACCESS,
            event="sync_push",
            reason=reason,
            opportunity_id=message.record_id,
            opportunity_name=str(found[0].get("Name") or ""),
            salesforce_connection=salesforce.name,
            netsuite_connection=netsuite.name,
            inbox_message=message.notification_id,
        )
    return Pushed(message, flow_paused(CLOSED_WON_FLOW, integration))


def _push_pair(salesforce: Connection | None, netsuite: Connection | None) -> tuple[Connection, Connection]:
    if salesforce is not None and salesforce.kind != ConnectionKind.SALESFORCE:
        raise ValidationError(f"{salesforce.name} is not a Salesforce connection.")
    if netsuite is not None and netsuite.kind != ConnectionKind.NETSUITE:
        raise ValidationError(f"{netsuite.name} is not a NetSuite connection.")
    if salesforce is not None and netsuite is not None:
        return salesforce, netsuite
    pairs = {
        (listener.salesforce_connection, listener.netsuite_connection)
        for listener in Listener.objects.filter(
            is_active=True, kind=ListenerKind.OUTBOUND_MESSAGE
        ).select_related("salesforce_connection", "netsuite_connection")
        if (salesforce is None or listener.salesforce_connection_id == salesforce.pk)
        and (netsuite is None or listener.netsuite_connection_id == netsuite.pk)
    }
    if len(pairs) == 1:
        return next(iter(pairs))
    if not pairs:
        raise ValidationError(
            "No active Closed Won listener serves these connections: "
            "name the Salesforce and the NetSuite connection."
        )
    raise ValidationError(
        "Several connection pairs are served: name the Salesforce and the NetSuite connection."
    )


# -- reads for the page and the API ---------------------------------------------------------------


@dataclass(frozen=True)
class FlowState:
    """One flow as the page and the API show it."""

    flow: Flow
    setting: FlowSetting
    trigger_text: str  # what makes a record due; "" for a return flow
    salesforce_criteria: str
    waiting: int | None  # inbox events waiting (Closed Won flow); None where Concord cannot count them
    unread_since: Any  # return flows: the oldest change not yet read (a paused type's held watermark)
    last_run: Any  # when it last ran (a job started, or a NetSuite record read)

    @property
    def is_closed_won(self) -> bool:
        return self.flow.key == CLOSED_WON_FLOW

    @property
    def label(self) -> str:
        return labels.flow_label(self.flow.key)


def flow_states(integration: Integration | None = None) -> list[FlowState]:
    """``integration``'s operated flows that exist (the primary integration's when None), in the product's
    order (Closed Won first, then the return flows)."""
    owner = integration if integration is not None else primary_integration()
    flows = {flow.key: flow for flow in Flow.objects.filter(integration=owner, key__in=OPERATED_FLOWS)}
    return [flow_state(flow=flows[key]) for key in OPERATED_FLOWS if key in flows]


def flow_state(*, flow: Flow) -> FlowState:
    setting = flow_setting(flow=flow)
    if flow.key == CLOSED_WON_FLOW:
        trigger = trigger_of(setting)
        last = (
            SyncJob.objects.filter(flow=CLOSED_WON_FLOW)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        return FlowState(
            flow=flow,
            setting=setting,
            trigger_text=setting.get_trigger_display() + _trigger_detail(trigger),
            salesforce_criteria=trigger_salesforce_criteria(trigger),
            waiting=InboxMessage.objects.filter(status=InboxStatus.PENDING).count(),
            unread_since=None,
            last_run=last,
        )
    if flow.key == CATALOGUE_FLOW:
        # Read by watermark like a return flow; its runs are jobs of their own (sync.catalogue).
        last = (
            SyncJob.objects.filter(flow=CATALOGUE_FLOW)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        return FlowState(flow, setting, "", "", None, None, last)
    record_type = next(t for t, key in RETURN_FLOWS.items() if key == flow.key)
    held = (
        PollWatermark.objects.filter(name__startswith="return-flow:", name__endswith=f":{record_type}")
        .order_by("watermark")
        .values_list("watermark", flat=True)
        .first()
    )
    last = (
        ReturnRecord.objects.filter(job__flow=RETURN_JOB_FLOW, netsuite_type=record_type)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return FlowState(
        flow=flow,
        setting=setting,
        trigger_text="",
        salesforce_criteria="",
        waiting=None,
        unread_since=held,
        last_run=last,
    )


def _trigger_detail(trigger: Trigger) -> str:
    if trigger.kind == "checkbox":
        return f" ({trigger.checkbox_field})"
    if trigger.kind == "condition":
        return f": {trigger.condition}"
    return ""


def flow_get(*, key: str, integration: Integration | None = None) -> Flow:
    """``integration``'s operated flow by key (the primary integration's when None), or a ValidationError
    naming the ones there are."""
    owner = integration if integration is not None else primary_integration()
    flow = Flow.objects.filter(integration=owner, key=key, key__in=OPERATED_FLOWS).first()
    if flow is None:
        raise ValidationError(f"No flow {key!r}: one of {', '.join(OPERATED_FLOWS)}.")
    return flow
