"""The Schedules page: every role reads when the recurring work runs and how it last went; admins retime,
pause and resume it (core/schedules.py; the API and ``schedule_set`` call the same services)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.http import ConsoleRequest
from core.schedules import (
    MINUTES_MAX,
    MINUTES_MIN,
    ScheduleUnknown,
    can_manage_schedules,
    schedule_pause,
    schedule_resume,
    schedule_set,
    schedule_spec,
    schedule_states,
)


@require_GET
def schedule_list(request: ConsoleRequest) -> HttpResponse:
    return render(
        request,
        "console/schedules.html",
        {
            "area": "schedules",
            "states": schedule_states(),
            "can_manage": can_manage_schedules(request.user),
            "minutes_min": MINUTES_MIN,
            "minutes_max": MINUTES_MAX,
        },
    )


def _minutes(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValidationError(
            f"{raw!r} is not a number of minutes: give a whole number from {MINUTES_MIN} to {MINUTES_MAX}."
        ) from None


@require_POST
def schedule_edit(request: ConsoleRequest, key: str) -> HttpResponse:
    """One schedule's form: ``action`` is ``set`` (``minutes`` or ``daily_at``), ``pause`` or ``resume``."""
    if not can_manage_schedules(request.user):
        raise PermissionDenied("Only admins change schedules.")
    try:
        spec = schedule_spec(key)
    except ScheduleUnknown as exc:
        raise Http404(str(exc.args[0])) from exc
    action = request.POST.get("action", "set")
    try:
        if action == "pause":
            schedule_pause(actor=request.user, key=key)
            messages.success(request, f"{spec.label} is paused.")
        elif action == "resume":
            schedule_resume(actor=request.user, key=key)
            messages.success(request, f"{spec.label} runs again.")
        elif spec.daily:
            schedule_set(actor=request.user, key=key, daily_at=request.POST.get("daily_at", ""))
            messages.success(request, f"{spec.label} now runs daily at {request.POST['daily_at']} UTC.")
        else:
            minutes = _minutes(request.POST.get("minutes", ""))
            schedule_set(actor=request.user, key=key, minutes=minutes)
            messages.success(request, f"{spec.label} now runs every {minutes} minutes.")
    except ValidationError as exc:
        messages.error(request, f"{spec.label} unchanged: {' '.join(exc.messages)}")
    return redirect("schedules")
