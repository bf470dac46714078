"""Schedules an operator retimes: validation, audit, ensure keeping the edit, and django-q2's own scheduler
taking an edit at its next tick (no restart)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q import scheduler as q_scheduler
from django_q.models import Schedule, Task

from core.schedules import schedule_pause, schedule_resume, schedule_set, schedule_states
from governance.models import AuditEntry
from reconciliation.schedules import SCHEDULE_NAME, reconciliation_schedules_ensure
from sync.pipeline.schedules import CATCH_UP_POLL, sync_schedules_ensure

pytestmark = pytest.mark.django_db


def _tick() -> list[str]:
    """One tick of django-q2's own scheduler, nothing replaced: the tests run tasks inline (``Q_SYNC``), so
    each task it starts runs and is recorded as django-q2 records it. The schedules that ran, by name."""
    before = set(Task.objects.values_list("id", flat=True))
    q_scheduler.scheduler()
    return sorted(Task.objects.exclude(id__in=before).values_list("group", flat=True))


def test_the_registry_lists_the_editable_schedules() -> None:
    keys = [state.spec.key for state in schedule_states()]
    assert {"catch-up-poll", "return-flow", "connection-watch", "reconciliation", "netsuite-lists"} <= set(
        keys
    )
    assert not any(state.installed for state in schedule_states())


def test_an_edit_survives_ensure_and_takes_effect_at_the_schedulers_next_tick(admin: User) -> None:
    sync_schedules_ensure()
    now = timezone.now()
    Schedule.objects.update(next_run=now + dt.timedelta(hours=1))  # nothing due
    assert _tick() == []
    schedule_set(actor=admin, key="catch-up-poll", minutes=30, now=now - dt.timedelta(minutes=31))
    poll = Schedule.objects.get(name=CATCH_UP_POLL)
    assert poll.minutes == 30 and poll.next_run < now  # due: the next tick runs it, no worker restart
    assert _tick() == [CATCH_UP_POLL]
    poll.refresh_from_db()
    assert poll.next_run > now  # the scheduler moved it on by 30 minutes
    (state,) = [s for s in schedule_states() if s.spec.key == "catch-up-poll"]
    assert state.last_ok is True and state.last_run is not None and state.timing == "every 30 minutes"
    sync_schedules_ensure(poll_minutes=5)  # the next deploy
    assert Schedule.objects.get(name=CATCH_UP_POLL).minutes == 30

    schedule_pause(actor=admin, key="catch-up-poll")
    schedule_pause(actor=admin, key="catch-up-poll")  # twice: no-op
    Schedule.objects.filter(name=CATCH_UP_POLL).update(next_run=now - dt.timedelta(minutes=1))
    assert _tick() == []  # paused rows are skipped
    sync_schedules_ensure()
    assert Schedule.objects.get(name=CATCH_UP_POLL).repeats == 0  # the deploy does not resume it
    schedule_resume(actor=admin, key="catch-up-poll", now=now)
    poll.refresh_from_db()
    assert (poll.repeats, poll.next_run) == (-1, now + dt.timedelta(minutes=30))
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Schedule), object_pk=str(poll.pk)
    ).order_by("pk")
    assert [(e.actor, e.additional_data["event"]) for e in entries] == [
        (admin, "schedule_set"),
        (admin, "schedule_pause"),  # the second pause changed nothing and wrote nothing
        (admin, "schedule_resume"),
    ]
    assert [str(value) for value in entries[0].changes_dict["minutes"]] == ["5", "30"]


def test_the_daily_reconciliation_time_is_edited_and_kept(admin: User) -> None:
    reconciliation_schedules_ensure()
    now = dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)
    schedule_set(actor=admin, key="reconciliation", daily_at="06:30", now=now)
    daily = Schedule.objects.get(name=SCHEDULE_NAME)
    assert daily.next_run == dt.datetime(2026, 12, 7, 6, 30, tzinfo=dt.UTC)
    reconciliation_schedules_ensure(hour=2)
    assert Schedule.objects.get(name=SCHEDULE_NAME).next_run == daily.next_run
    (state,) = [s for s in schedule_states() if s.spec.key == "reconciliation"]
    assert state.timing == "daily at 06:30 UTC"


def test_the_netsuite_lists_read_is_a_daily_schedule_the_deploy_keeps_as_edited(admin: User) -> None:
    call_command("exceptions_schedules_ensure", stdout=io.StringIO())
    (state,) = [s for s in schedule_states() if s.spec.key == "netsuite-lists"]
    assert state.timing == "daily at 03:00 UTC"
    assert Schedule.objects.get(name=state.spec.name).func == "sync.tasks.netsuite_lists_read_task"
    schedule_set(actor=admin, key="netsuite-lists", daily_at="05:15")
    call_command("exceptions_schedules_ensure", stdout=io.StringIO())
    (state,) = [s for s in schedule_states() if s.spec.key == "netsuite-lists"]
    assert state.timing == "daily at 05:15 UTC"


@pytest.mark.parametrize(
    ("key", "kwargs", "says"),
    [
        ("catch-up-poll", {"minutes": 0}, "from 1 to 1440"),
        ("catch-up-poll", {"minutes": 1441}, "from 1 to 1440"),
        ("catch-up-poll", {"daily_at": "02:00"}, "every N minutes"),
        ("reconciliation", {"daily_at": "25:00"}, "HH:MM"),
        ("reconciliation", {"minutes": 5}, "runs daily"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(admin: User, key: str, kwargs: dict, says: str) -> None:
    sync_schedules_ensure()
    reconciliation_schedules_ensure()
    before = list(Schedule.objects.order_by("pk").values())
    with pytest.raises(ValidationError, match=says):
        schedule_set(actor=admin, key=key, **kwargs)
    assert list(Schedule.objects.order_by("pk").values()) == before


def test_only_admins_change_them(revops: User) -> None:
    with pytest.raises(PermissionDenied):
        schedule_set(actor=revops, key="return-flow", minutes=10)


def test_the_commands(admin: User) -> None:
    out = io.StringIO()
    call_command("schedule_set", "return-flow", "--minutes", "15", stdout=out)
    assert "return-flow: every 15 minutes" in out.getvalue()
    call_command("schedule_set", "connection-watch", "--pause", stdout=out)
    call_command("schedule_list", stdout=out)
    listed = out.getvalue()
    assert "connection-watch" in listed and "paused" in listed and "never ran" in listed
    with pytest.raises(CommandError, match="no schedule named 'nope'"):
        call_command("schedule_set", "nope", "--minutes", "5")
    with pytest.raises(CommandError, match="from 1 to 1440"):
        call_command("schedule_set", "return-flow", "--minutes", "0")


def test_the_page_and_the_api(admin_client: Client, revops_client: Client) -> None:
    page = revops_client.get(reverse("schedules")).content.decode()
    assert "Catch-up poll" in page and "Save" not in page  # others read
    response = admin_client.post(reverse("schedule-edit", args=["catch-up-poll"]), {"minutes": "abc"})
    assert response.status_code == 302
    assert not Schedule.objects.filter(name=CATCH_UP_POLL).exists()  # nothing made or changed
    admin_client.post(reverse("schedule-edit", args=["catch-up-poll"]), {"minutes": "12"})
    assert Schedule.objects.get(name=CATCH_UP_POLL).minutes == 12
    assert "every 12 minutes" in admin_client.get(reverse("schedules")).content.decode()
    url = reverse("api:schedule-detail", args=["return-flow"])
    answer = admin_client.patch(url, {"minutes": 2000}, content_type="application/json")
    assert answer.status_code == 400
    answer = admin_client.patch(url, {"minutes": 20}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["minutes"] == 20
    paused = admin_client.post(reverse("api:schedule-pause", args=["return-flow"]))
    assert paused.json()["paused"] is True and paused.json()["next_run"] is None
