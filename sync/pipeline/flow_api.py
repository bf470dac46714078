"""The flows' API: each flow's state (``flow-settings/{key}/``), pause, resume and the Closed Won flow's
trigger, and pushing one opportunity now (``pushes/``). Writes call the services the page calls
(:mod:`sync.pipeline.flows`), which check the role again and audit."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.serializers import ReasonInputSerializer
from core.api.views import SLUG, ApiViewSet
from sync.connections.api import connection_name_field
from sync.connections.models import ConnectionKind
from sync.integrations.choice import ChosenIntegration
from sync.mappings.models import Flow
from sync.pipeline import flows
from sync.pipeline.models import DEFAULT_CHECKBOX_FIELD, TriggerKind
from sync.pipeline.permissions import can_operate_flows, can_push
from sync.pipeline.triggers import Trigger


class FlowStateSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(source="flow.key")
    title = serializers.CharField(source="label", help_text="What the flow moves, in words")
    direction = serializers.CharField(source="flow.direction")
    paused = serializers.BooleanField(source="setting.paused")
    paused_at = serializers.DateTimeField(source="setting.paused_at", allow_null=True)
    paused_by = serializers.CharField(source="setting.paused_by", allow_null=True)
    pause_reason = serializers.CharField(source="setting.pause_reason")
    trigger = serializers.SerializerMethodField(
        help_text="closed_won, checkbox or condition; null: a return flow"
    )
    checkbox_field = serializers.SerializerMethodField()
    condition = serializers.SerializerMethodField()
    salesforce_criteria = serializers.CharField(
        help_text="What the Salesforce side (the outbound message's rule) must test; empty for a return flow"
    )
    waiting = serializers.IntegerField(
        allow_null=True, help_text="Inbox events waiting (Closed Won flow); null for a return flow"
    )
    unread_since = serializers.DateTimeField(
        allow_null=True, help_text="Return flow: the oldest NetSuite change not read yet while it was paused"
    )
    last_run = serializers.DateTimeField(allow_null=True)

    def get_trigger(self, state: flows.FlowState) -> str | None:
        return state.setting.trigger if state.is_closed_won else None

    def get_checkbox_field(self, state: flows.FlowState) -> str | None:
        return state.setting.checkbox_field if state.is_closed_won else None

    def get_condition(self, state: flows.FlowState) -> str | None:
        return state.setting.condition if state.is_closed_won else None


class TriggerInputSerializer(serializers.Serializer[Any]):
    trigger = serializers.ChoiceField(choices=TriggerKind.choices)
    checkbox_field = serializers.CharField(max_length=80, required=False, default=DEFAULT_CHECKBOX_FIELD)
    condition = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PushInputSerializer(serializers.Serializer[Any]):
    opportunity_id = serializers.CharField(max_length=18)
    salesforce = connection_name_field(
        ConnectionKind.SALESFORCE,
        "The Salesforce connection's name (default: the one the Closed Won listeners serve)",
    )
    netsuite = connection_name_field(ConnectionKind.NETSUITE)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PushedSerializer(serializers.Serializer[Any]):
    inbox_message = serializers.CharField(source="message.notification_id")
    opportunity_id = serializers.CharField(source="message.record_id")
    paused = serializers.BooleanField(
        help_text="The Closed Won flow is paused: the record waits until it resumes"
    )


class FlowSettingViewSet(ChosenIntegration):
    """Each flow's state of one integration (``?integration=<name>``, the primary integration when none);
    pause, resume, and the Closed Won flow's trigger."""

    lookup_field = "key"
    lookup_value_regex = SLUG
    serializer_class = FlowStateSerializer
    action_permissions = {
        "pause": can_operate_flows,
        "resume": can_operate_flows,
        "trigger": can_operate_flows,
    }

    def get_queryset(self) -> QuerySet[Flow]:
        return self.of_chosen(Flow.objects.filter(key__in=flows.OPERATED_FLOWS).select_related("integration"))

    def list(self, request: Request) -> Response:
        states = flows.flow_states(self.chosen_integration())
        return Response(FlowStateSerializer(states, many=True).data)

    def retrieve(self, request: Request, key: str) -> Response:
        return Response(FlowStateSerializer(flows.flow_state(flow=self.get_object())).data)

    @extend_schema(request=ReasonInputSerializer, responses={200: FlowStateSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, key: str) -> Response:
        """Pause the flow: its events wait (the inbox, or NetSuite's changes behind its watermark)."""
        flow = self.get_object()
        flows.flow_pause(flow=flow, user=self.user, reason=self.reason(request))
        return Response(FlowStateSerializer(flows.flow_state(flow=flow)).data)

    @extend_schema(request=ReasonInputSerializer, responses={200: FlowStateSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, key: str) -> Response:
        """Resume the flow; what waited is processed (each event once)."""
        flow = self.get_object()
        flows.flow_resume(flow=flow, user=self.user, reason=self.reason(request))
        return Response(FlowStateSerializer(flows.flow_state(flow=flow)).data)

    @extend_schema(request=TriggerInputSerializer, responses={200: FlowStateSerializer})
    @action(detail=True, methods=["post"])
    def trigger(self, request: Request, key: str) -> Response:
        """Set the Closed Won flow's trigger; checked against Salesforce first (400 with its error)."""
        flow = self.get_object()
        data = self.input(TriggerInputSerializer, request)
        flows.flow_trigger_set(
            flow=flow,
            user=self.user,
            trigger=Trigger(data["trigger"], data["checkbox_field"], data["condition"]),
            reason=data["reason"],
        )
        return Response(FlowStateSerializer(flows.flow_state(flow=flow)).data)


class PushViewSet(ApiViewSet):
    """Push one opportunity to NetSuite now, whatever the trigger says (the rules still apply)."""

    serializer_class = PushInputSerializer
    action_permissions = {"create": can_push}

    @extend_schema(request=PushInputSerializer, responses={202: PushedSerializer})
    def create(self, request: Request) -> Response:
        data = self.input(PushInputSerializer, request)
        pushed = flows.sync_push(
            opportunity_id=data["opportunity_id"],
            user=self.user,
            salesforce=data["salesforce"],
            netsuite=data["netsuite"],
            reason=data["reason"],
        )
        return Response(PushedSerializer(pushed).data, status=status.HTTP_202_ACCEPTED)


router = SimpleRouter()
router.register("flow-settings", FlowSettingViewSet, basename="flow-setting")
router.register("pushes", PushViewSet, basename="push")
urlpatterns = router.urls
