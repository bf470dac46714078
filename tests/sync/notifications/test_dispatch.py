"""Deliveries reach Slack and Teams webhooks over real HTTPS (a local receiver), once each, and failures are
tried again with backoff, given up when refused, and visible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from governance.models import AuditEntry
from simulators.webhooks.receiver import RunningReceiver
from sync.integrations.models import Integration
from sync.notifications.dispatch import (
    INTERRUPTED,
    MAX_ATTEMPTS,
    backoff,
    deliveries_retry_due,
    delivery_send,
    events_dispatch_due,
)
from sync.notifications.events import notification_raise
from sync.notifications.models import (
    DeliveryStatus,
    EventKind,
    EventStatus,
    NotificationChannel,
    NotificationDelivery,
)
from sync.notifications.services import channel_create, delivery_resend

pytestmark = pytest.mark.django_db
SLACK = "/services/T000/B000/slacksecret"
TEAMS = "/workflows/teams-flow/triggers/manual/run"


def _channels(receiver: RunningReceiver, admin: User) -> tuple[NotificationChannel, NotificationChannel]:
    slack = channel_create(
        user=admin,
        name="ops-slack",
        kind="slack",
        events=[EventKind.CONNECTION_DOWN],
        webhook_url=receiver.url + SLACK,
    )
    teams = channel_create(
        user=admin,
        name="ops-teams",
        kind="teams",
        events=[EventKind.CONNECTION_DOWN, EventKind.CONNECTION_BACK],
        webhook_url=receiver.url + TEAMS,
    )
    return slack, teams


def _down(alpha: Integration, *, key: str = "down-1") -> Any:
    return notification_raise(
        kind=EventKind.CONNECTION_DOWN,
        key=key,
        subject="connection:1",
        title="Connection alpha-sf: not answering since 2026-12-07 04:00 UTC.",
        body="Open the connection and use Test connection.",
        link="/sync/connections/1/",
        integration_ids=[alpha.pk],
        delayed=False,
    ).event


def test_an_event_reaches_slack_teams_and_the_admins_inbox_once(
    receiver: RunningReceiver,
    admin: User,
    revops: User,
    alpha: Integration,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _channels(receiver, admin)
    with django_capture_on_commit_callbacks(execute=True):
        event = _down(alpha)
    event.refresh_from_db()
    assert event.status == EventStatus.DISPATCHED

    (slack,) = receiver.receiver.delivered(SLACK)
    assert slack["text"] == event.title
    assert slack["blocks"][0]["type"] == "header"
    assert "<https://concord.test/sync/connections/1/|Open in Concord>" in slack["blocks"][1]["text"]["text"]
    (teams,) = receiver.receiver.delivered(TEAMS)
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["actions"][0]["url"] == "https://concord.test/sync/connections/1/"
    assert [m.to for m in mail.outbox] == [[admin.email]]  # connection admins only; not revops
    deliveries = NotificationDelivery.objects.order_by("target")
    assert [(d.target, d.status, d.attempts) for d in deliveries] == [
        ("email", "delivered", 1),
        ("slack", "delivered", 1),
        ("teams", "delivered", 1),
    ]
    assert {d.last_status_code for d in deliveries} == {None, 200, 202}

    # django-q2 hands a task out again, or the schedule's sweep runs beside it: nothing is sent twice.
    for delivery in deliveries:
        delivery_send(delivery_id=delivery.pk)
    deliveries_retry_due()
    assert len(receiver.receiver.delivered(SLACK)) == 1 and len(mail.outbox) == 1
    assert events_dispatch_due(now=timezone.now() + timedelta(hours=1)) == []  # dispatched once


def test_a_rate_limited_or_failing_webhook_is_tried_again_with_backoff(
    receiver: RunningReceiver,
    admin: User,
    alpha: Integration,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _channels(receiver, admin)
    receiver.receiver.fail_next(SLACK, status=429, retry_after=600)
    receiver.receiver.fail_next(TEAMS, status=503, count=2)
    with django_capture_on_commit_callbacks(execute=True):
        _down(alpha)
    slack = NotificationDelivery.objects.get(target="slack")
    teams = NotificationDelivery.objects.get(target="teams")
    assert (slack.status, slack.attempts, slack.last_status_code) == ("pending", 1, 429)
    assert slack.next_attempt_at is not None
    assert slack.next_attempt_at - timezone.now() > timedelta(seconds=590)  # Retry-After wins over 30 s
    assert (teams.status, teams.attempts, teams.last_error) == ("pending", 1, "HTTP 503: try later")

    # Not due yet: nothing is tried.
    assert deliveries_retry_due() == 0
    later = timezone.now() + timedelta(minutes=11)
    assert deliveries_retry_due(now=later) == 2
    slack.refresh_from_db()
    teams.refresh_from_db()
    assert (slack.status, slack.attempts, slack.last_error) == ("delivered", 2, "")
    assert (teams.status, teams.attempts) == ("pending", 2)  # its second failure
    deliveries_retry_due(now=later + timedelta(hours=1))
    teams.refresh_from_db()
    assert (teams.status, teams.attempts) == ("delivered", 3)
    assert len(receiver.receiver.delivered(TEAMS)) == 1


def test_a_refused_webhook_gives_up_at_once_and_an_admin_resends_it(
    receiver: RunningReceiver,
    admin: User,
    alpha: Integration,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _channels(receiver, admin)
    receiver.receiver.archived.add(SLACK)
    with django_capture_on_commit_callbacks(execute=True):
        _down(alpha)
    slack = NotificationDelivery.objects.get(target="slack")
    assert (slack.status, slack.attempts, slack.last_error) == ("failed", 1, "HTTP 410: channel_is_archived")
    assert deliveries_retry_due(now=timezone.now() + timedelta(days=1)) == 0  # no retry of a refusal

    # The channel is unarchived; the admin sends it again (audited with the reason).
    receiver.receiver.archived.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delivery_resend(user=admin, delivery=slack, reason="channel restored")
    slack.refresh_from_db()
    assert (slack.status, slack.attempts) == ("delivered", 2)
    entry = AuditEntry.objects.get(additional_data__event="notification_delivery_resent")
    assert entry.actor == admin and entry.additional_data["reason"] == "channel restored"


def test_a_send_interrupted_mid_way_is_not_sent_again_by_itself(alpha: Integration, admin: User) -> None:
    event = _down(alpha)
    now = timezone.now()
    delivery = NotificationDelivery.objects.create(
        event=event,
        user=admin,
        target="email",
        address=admin.email,
        status=DeliveryStatus.SENDING,
        lease_until=now - timedelta(seconds=1),
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    assert deliveries_retry_due(now=now) == 0
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("failed", INTERRUPTED)
    assert mail.outbox == []


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    assert timedelta(seconds=30) <= backoff(1) <= timedelta(seconds=33)
    assert timedelta(seconds=120) <= backoff(3) <= timedelta(seconds=132)
    assert backoff(MAX_ATTEMPTS + 20) <= timedelta(hours=3, minutes=18)
