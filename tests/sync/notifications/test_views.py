"""The notification pages: every role reads them, scoped; admins add, change and test channels; each person
sets their own preferences; deliveries show status, attempts and the last error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from simulators.webhooks.receiver import RunningReceiver
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.notifications.events import notification_raise
from sync.notifications.models import (
    EventKind,
    NotificationChannel,
    NotificationDelivery,
    NotificationPreference,
)

pytestmark = pytest.mark.django_db
SLACK = "/services/T000/B000/slacksecret"


def test_every_role_reads_the_pages_and_the_outsider_none(persona_client: Callable[[str], Client]) -> None:
    for name in ("revops", "finance", "admin", "auditor"):
        client = persona_client(name)
        assert client.get(reverse("sync:notification-settings")).status_code == 200
        assert client.get(reverse("sync:notification-deliveries")).status_code == 200
    outsider = persona_client("outsider")
    assert outsider.get(reverse("sync:notification-settings")).status_code == 403


def test_an_admin_adds_and_tests_a_slack_channel_and_the_url_never_comes_back(
    receiver: RunningReceiver, admin_client: Client, revops_client: Client
) -> None:
    url = receiver.url + SLACK
    answer = admin_client.post(
        reverse("sync:notification-channel-create"),
        {"name": "ops", "kind": "slack", "webhook_url": url, "events": ["escalated", "connection_down"]},
    )
    assert answer.status_code == 302
    channel = NotificationChannel.objects.get(name="ops")
    page = admin_client.get(reverse("sync:notification-settings")).content.decode()
    assert "ops" in page and channel.url_hint in page and SLACK not in page
    edit = admin_client.get(reverse("sync:notification-channel", args=[channel.pk])).content.decode()
    assert SLACK not in edit

    tested = admin_client.post(reverse("sync:notification-channel-test", args=[channel.pk]), follow=True)
    assert "Delivered (HTTP 200)" in tested.content.decode()
    (payload,) = receiver.receiver.delivered(SLACK)
    assert payload["text"] == "Concord test notification"

    assert revops_client.post(reverse("sync:notification-channel-test", args=[channel.pk])).status_code == 403


def test_a_rejected_channel_form_comes_back_filled_in_with_the_error(admin_client: Client) -> None:
    answer = admin_client.post(
        reverse("sync:notification-channel-create"),
        {
            "name": "ops",
            "kind": "teams",
            "webhook_url": "http://teams.example.com/x",
            "events": ["escalated"],
        },
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "https://" in page and 'value="ops"' in page
    assert not NotificationChannel.objects.exists()


def test_a_person_sets_and_resets_their_own_preference(finance_client: Client, finance: User) -> None:
    url = reverse("sync:notification-preference")
    finance_client.post(url, {"event": "reconciliation_mismatches", "console": "on"})
    (preference,) = NotificationPreference.objects.filter(user=finance)
    assert (preference.console, preference.email) == (True, False)
    assert (
        "Reconciliation found mismatches"
        in finance_client.get(reverse("sync:notification-settings")).content.decode()
    )
    finance_client.post(url, {"event": "reconciliation_mismatches", "reset": "1"})
    assert not NotificationPreference.objects.filter(user=finance).exists()


def test_deliveries_are_scoped_to_the_persons_integrations_and_an_admin_resends_a_failed_one(
    admin_client: Client,
    finance: User,
    alpha: Integration,
    beta: Integration,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    for integration in (alpha, beta):
        event = notification_raise(
            kind=EventKind.FAILURE_RATE,
            key=f"rate-{integration.name}",
            subject=f"failure-rate:{integration.pk}",
            title=f"{integration.name}: 50% of records failed",
            integration_ids=[integration.pk],
        ).event
        NotificationDelivery.objects.create(
            event=event,
            target="email",
            address="ops@example.com",
            status="failed",
            attempts=8,
            last_error="SMTPServerDisconnected: Connection unexpectedly closed",
            created_at=event.created_at,
        )
    assign_perm(ACCESS_INTEGRATION, finance, beta)
    client = Client()
    client.force_login(finance)
    page = client.get(reverse("sync:notification-deliveries")).content.decode()
    assert "beta: 50%" in page and f"{alpha.name}: 50%" not in page and "SMTPServerDisconnected" in page
    admin_page = admin_client.get(
        reverse("sync:notification-deliveries"), {"status": "failed"}
    ).content.decode()
    assert f"{alpha.name}: 50%" in admin_page and "beta: 50%" in admin_page

    failed = NotificationDelivery.objects.get(event__key=f"rate-{alpha.name}")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("sync:notification-delivery-resend", args=[failed.pk]), {"reason": "relay up"}
        )
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("delivered", 9)  # the locmem mail backend took it
    assert client.post(reverse("sync:notification-delivery-resend", args=[failed.pk])).status_code == 403
