"""/api/v1/schedules/: the schedules an operator retimes (core/schedules.py). Every role reads them; admins
retime, pause and resume them through the services the Schedules page and ``schedule_set`` call."""

from __future__ import annotations

from typing import Any

from django_q.models import Schedule
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from core.api.views import ApiViewSet
from core.schedules import (
    MINUTES_MAX,
    MINUTES_MIN,
    ScheduleState,
    ScheduleUnknown,
    can_manage_schedules,
    schedule_pause,
    schedule_resume,
    schedule_set,
    schedule_state,
    schedule_states,
)


class ScheduleSerializer(serializers.Serializer[ScheduleState]):
    key = serializers.CharField(source="spec.key")
    title = serializers.CharField(source="spec.label")
    description = serializers.CharField(source="spec.description")
    daily = serializers.BooleanField(source="spec.daily")
    installed = serializers.BooleanField()
    paused = serializers.BooleanField()
    minutes = serializers.IntegerField(allow_null=True)
    daily_at = serializers.CharField(allow_null=True, help_text="HH:MM, UTC")
    next_run = serializers.DateTimeField(allow_null=True)
    last_run = serializers.DateTimeField(allow_null=True)
    last_ok = serializers.BooleanField(allow_null=True)
    last_result = serializers.CharField()


class ScheduleInputSerializer(serializers.Serializer[Any]):
    """One of the two: ``minutes`` for an interval schedule, ``daily_at`` ("HH:MM" UTC) for a daily one."""

    minutes = serializers.IntegerField(required=False, min_value=MINUTES_MIN, max_value=MINUTES_MAX)
    daily_at = serializers.CharField(required=False, max_length=5)


class ScheduleViewSet(ApiViewSet):
    """Schedules: every role reads them; admins retime, pause and resume them (taking effect at once)."""

    queryset = Schedule.objects.none()  # for the schema generator; the views read core.schedules
    serializer_class = ScheduleSerializer
    lookup_field = "key"
    lookup_value_regex = r"[a-z0-9-]+"
    action_permissions = {
        "partial_update": can_manage_schedules,
        "pause": can_manage_schedules,
        "resume": can_manage_schedules,
    }

    def _state(self, key: str) -> ScheduleState:
        try:
            return schedule_state(key)
        except ScheduleUnknown as exc:
            raise NotFound(str(exc.args[0])) from exc

    def list(self, request: Request) -> Response:
        return Response(ScheduleSerializer(schedule_states(), many=True).data)  # type: ignore[arg-type]

    def retrieve(self, request: Request, key: str) -> Response:
        return Response(ScheduleSerializer(self._state(key)).data)

    @extend_schema(request=ScheduleInputSerializer, responses=ScheduleSerializer)
    def partial_update(self, request: Request, key: str) -> Response:
        self._state(key)
        data = self.input(ScheduleInputSerializer, request)
        schedule_set(
            actor=self.user, key=key, minutes=data.get("minutes"), daily_at=data.get("daily_at"), source="api"
        )
        return Response(ScheduleSerializer(self._state(key)).data)

    @extend_schema(request=None, responses=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, key: str) -> Response:
        self._state(key)
        schedule_pause(actor=self.user, key=key, source="api")
        return Response(ScheduleSerializer(self._state(key)).data)

    @extend_schema(request=None, responses=ScheduleSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, key: str) -> Response:
        self._state(key)
        schedule_resume(actor=self.user, key=key, source="api")
        return Response(ScheduleSerializer(self._state(key)).data)


router = SimpleRouter()
router.register("schedules", ScheduleViewSet, basename="schedule")
urlpatterns = router.urls
