"""Schedules an operator tunes: the registry the features fill, and the services the page, the API and the
commands call.

A feature whose recurring work an operator may want to retime registers a :class:`ScheduleSpec` from its
``AppConfig.ready()`` with :func:`schedule_register` (sync: the catch-up poll, the return flow and the
connection watch; reconciliation: the daily run; the catalogue sync registers its own the same way when it
arrives). core imports no feature: the registry is how the Schedules page, ``/api/v1/schedules/`` and the
``schedule_list`` / ``schedule_set`` commands learn what exists.

Each spec is one django-q2 ``Schedule`` row, found by its name. django-q2's scheduler reads those rows on
every tick (``django_q.scheduler.scheduler`` selects the rows whose ``next_run`` has passed and whose
``repeats`` is not 0), so an edit here takes effect at once, without restarting a worker: every edit sets
``next_run`` from the new timing. Pausing sets ``repeats`` to 0 (the scheduler skips such rows); resuming
sets it back to -1 (for ever).

:func:`schedule_ensure` (what the ``*_schedules_ensure`` commands and the deploy run) creates a missing
row with the default timing and puts its function right, but never touches the timing or the paused
state of a row that exists: an operator's edit survives every deploy.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule, Task

from core.audit import AuditAction, audit_record
from core.roles import MANAGE_CONNECTIONS

MINUTES_MIN, MINUTES_MAX = 1, 1440
_DAILY_AT = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class ScheduleSpec:
    """One operator-editable schedule: every ``default_minutes`` minutes, or daily at ``default_daily``."""

    key: str  # what commands, URLs and the API name it: "catch-up-poll"
    name: str  # the django-q2 Schedule.name (installed rows are found by it: never rename)
    func: str  # the dotted task path django-q2 stores
    label: str
    description: str
    default_minutes: int | None = None
    default_daily: dt.time | None = None  # UTC

    @property
    def daily(self) -> bool:
        return self.default_daily is not None


class ScheduleUnknown(KeyError):
    """No schedule is registered under that key."""


_REGISTRY: dict[str, ScheduleSpec] = {}


def schedule_register(spec: ScheduleSpec) -> None:
    """Make ``spec`` known (from an ``AppConfig.ready()``); registering the same spec again is harmless."""
    if (spec.default_minutes is None) == (spec.default_daily is None):
        raise ValueError(f"schedule {spec.key!r} needs default_minutes or default_daily, not both")
    known = _REGISTRY.get(spec.key)
    if known is not None and known != spec:
        raise ValueError(f"schedule {spec.key!r} is already registered differently")
    _REGISTRY[spec.key] = spec


def schedule_specs() -> list[ScheduleSpec]:
    """Every registered schedule, in registration order."""
    return list(_REGISTRY.values())


def schedule_spec(key: str) -> ScheduleSpec:
    try:
        return _REGISTRY[key]
    except KeyError:
        known = ", ".join(_REGISTRY) or "none"
        raise ScheduleUnknown(f"no schedule named {key!r} (known: {known})") from None


def can_manage_schedules(user: User | AnonymousUser) -> bool:
    """Retime, pause or resume a schedule: the admins, who run the installation (and its connections)."""
    return user.has_perm(MANAGE_CONNECTIONS)


# -- creating them ---------------------------------------------------------------------------------------


def next_daily(at: dt.time, *, now: dt.datetime) -> dt.datetime:
    """The next ``at`` (UTC) strictly after ``now``."""
    now_utc = now.astimezone(dt.UTC)
    first = now_utc.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return first if first > now_utc else first + dt.timedelta(days=1)


def schedule_ensure(
    spec: ScheduleSpec, *, minutes: int | None = None, now: dt.datetime | None = None
) -> tuple[Schedule, bool]:
    """The spec's row, created when missing with ``minutes`` (or the default timing); returns
    ``(schedule, created)``.

    An existing row keeps its timing, its next run and its paused state (an operator's edit); only its
    function is put right. Safe to run on every deploy, and twice at once (the row is locked)."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().filter(name=spec.name).order_by("pk").first()
        if schedule is not None:
            if schedule.func != spec.func:
                schedule.func = spec.func
                schedule.save(update_fields=["func"])
            return schedule, False
        if spec.default_daily is not None:
            fields = {"schedule_type": Schedule.DAILY, "next_run": next_daily(spec.default_daily, now=now)}
        else:
            every = _check_minutes(minutes) if minutes is not None else spec.default_minutes
            fields = {"schedule_type": Schedule.MINUTES, "minutes": every, "next_run": now}
        return Schedule.objects.create(name=spec.name, func=spec.func, repeats=-1, **fields), True


def schedules_ensure_all(*, now: dt.datetime | None = None) -> list[tuple[Schedule, bool]]:
    return [schedule_ensure(spec, now=now) for spec in schedule_specs()]


# -- reading them ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleState:
    """What the page, the API and ``schedule_list`` show of one schedule."""

    spec: ScheduleSpec
    installed: bool
    paused: bool
    minutes: int | None
    daily_at: str | None  # "HH:MM" UTC
    next_run: dt.datetime | None
    last_run: dt.datetime | None
    last_ok: bool | None
    last_result: str

    @property
    def timing(self) -> str:
        if not self.installed:
            return "not installed (run its *_schedules_ensure command)"
        if self.daily_at is not None:
            return f"daily at {self.daily_at} UTC"
        return f"every {self.minutes} minute{'s' if self.minutes != 1 else ''}"


def _state(spec: ScheduleSpec, schedule: Schedule | None) -> ScheduleState:
    if schedule is None:
        return ScheduleState(spec, False, False, None, None, None, None, None, "")
    last = Task.objects.filter(group=schedule.name).order_by("-stopped").first()
    daily_at = None
    if schedule.schedule_type == Schedule.DAILY and schedule.next_run is not None:
        daily_at = schedule.next_run.astimezone(dt.UTC).strftime("%H:%M")
    return ScheduleState(
        spec=spec,
        installed=True,
        paused=schedule.repeats == 0,
        minutes=schedule.minutes if schedule.schedule_type == Schedule.MINUTES else None,
        daily_at=daily_at,
        next_run=None if schedule.repeats == 0 else schedule.next_run,
        last_run=last.stopped if last else None,
        last_ok=last.success if last else None,
        last_result=str(last.result)[:300] if last and last.result is not None else "",
    )


def schedule_states() -> list[ScheduleState]:
    """Every registered schedule with its row's timing, next run and last result (django-q2's tasks)."""
    specs = schedule_specs()
    rows = {s.name: s for s in Schedule.objects.filter(name__in=[spec.name for spec in specs])}
    return [_state(spec, rows.get(spec.name)) for spec in specs]


def schedule_state(key: str) -> ScheduleState:
    spec = schedule_spec(key)
    return _state(spec, Schedule.objects.filter(name=spec.name).order_by("pk").first())


# -- changing them ---------------------------------------------------------------------------------------


def parse_daily_at(value: str | dt.time) -> dt.time:
    """``"HH:MM"`` (24-hour, UTC) as a time, or a ValidationError saying what is wanted."""
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    match = _DAILY_AT.match(str(value).strip())
    if match is None:
        raise ValidationError({"daily_at": f"{value!r} is not a time of day: write HH:MM (24-hour, UTC)."})
    return dt.time(int(match.group(1)), int(match.group(2)))


def _check_minutes(minutes: object) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not MINUTES_MIN <= minutes <= MINUTES_MAX:
        raise ValidationError(
            {"minutes": f"{minutes!r}: give a whole number of minutes from {MINUTES_MIN} to {MINUTES_MAX}."}
        )
    return minutes


def _locked(spec: ScheduleSpec, actor: User | None, now: dt.datetime) -> Schedule:
    if actor is not None and not can_manage_schedules(actor):
        raise PermissionDenied("Only admins change schedules.")
    schedule_ensure(spec, now=now)
    return Schedule.objects.select_for_update().filter(name=spec.name).order_by("pk").get()


def _snapshot(schedule: Schedule) -> dict[str, object]:
    return {
        "type": schedule.get_schedule_type_display(),
        "minutes": schedule.minutes,
        "next_run": schedule.next_run.isoformat() if schedule.next_run else None,
        "paused": schedule.repeats == 0,
    }


def _audit(
    schedule: Schedule, actor: User | None, before: dict[str, object], event: str, source: str
) -> None:
    after = _snapshot(schedule)
    audit_record(
        obj=schedule,
        actor=actor,
        action=AuditAction.UPDATE,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        event=event,
        source=source,
    )


def schedule_set(
    *,
    actor: User | None,
    key: str,
    minutes: int | None = None,
    daily_at: str | dt.time | None = None,
    source: str = "console",
    now: dt.datetime | None = None,
) -> Schedule:
    """Retime a schedule: every ``minutes`` (1..1440) for an interval schedule, or daily at ``daily_at``
    ("HH:MM" UTC) for a daily one. The next run is recomputed, so workers pick it up on their next tick.
    ``actor`` None is a management command (shell access). A paused schedule stays paused."""
    spec = schedule_spec(key)
    now = now or timezone.now()
    if spec.daily:
        if daily_at is None or minutes is not None:
            raise ValidationError({"daily_at": f"{spec.label} runs daily: give the time as HH:MM (UTC)."})
        at = parse_daily_at(daily_at)
    else:
        if minutes is None or daily_at is not None:
            raise ValidationError({"minutes": f"{spec.label} runs every N minutes: give the minutes."})
        _check_minutes(minutes)
    with transaction.atomic():
        schedule = _locked(spec, actor, now)
        before = _snapshot(schedule)
        if spec.daily:
            schedule.schedule_type = Schedule.DAILY
            schedule.next_run = next_daily(at, now=now)
        else:
            schedule.schedule_type, schedule.minutes = Schedule.MINUTES, minutes
            schedule.next_run = now + dt.timedelta(minutes=minutes or 0)
        schedule.save(update_fields=["schedule_type", "minutes", "next_run"])
        _audit(schedule, actor, before, "schedule_set", source)
    return schedule


def schedule_pause(
    *, actor: User | None, key: str, source: str = "console", now: dt.datetime | None = None
) -> Schedule:
    """Stop a schedule from running (django-q2 skips rows with ``repeats`` 0); pausing twice is a no-op."""
    spec = schedule_spec(key)
    now = now or timezone.now()
    with transaction.atomic():
        schedule = _locked(spec, actor, now)
        if schedule.repeats == 0:
            return schedule
        before = _snapshot(schedule)
        schedule.repeats = 0
        schedule.save(update_fields=["repeats"])
        _audit(schedule, actor, before, "schedule_pause", source)
    return schedule


def schedule_resume(
    *, actor: User | None, key: str, source: str = "console", now: dt.datetime | None = None
) -> Schedule:
    """Run a paused schedule again from one interval (or the next daily time) after now; a no-op when it
    runs already. Runs missed while paused are not made up."""
    spec = schedule_spec(key)
    now = now or timezone.now()
    with transaction.atomic():
        schedule = _locked(spec, actor, now)
        if schedule.repeats != 0:
            return schedule
        before = _snapshot(schedule)
        schedule.repeats = -1
        if schedule.schedule_type == Schedule.DAILY:
            at = (schedule.next_run or now).astimezone(dt.UTC).time()
            schedule.next_run = next_daily(at, now=now)
        else:
            schedule.next_run = now + dt.timedelta(minutes=schedule.minutes or 1)
        schedule.save(update_fields=["repeats", "next_run"])
        _audit(schedule, actor, before, "schedule_resume", source)
    return schedule
