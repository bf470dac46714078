"""/api/v1/notification-*: the same services and scoping as the pages; a webhook URL is write-only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.notifications.models import NotificationChannel

pytestmark = pytest.mark.django_db
HOOK = "https://example.webhook.office.com/workflows/abc/triggers/manual/run?sig=SECRETSIG"


def test_channels_are_created_listed_changed_and_removed_and_the_url_never_answered(
    admin_client: Client, revops_client: Client, alpha: Integration
) -> None:
    url = reverse("api:notification-channel-list")
    body = {
        "name": "finance-teams",
        "kind": "teams",
        "webhook_url": HOOK,
        "events": ["reconciliation_mismatches"],
    }
    created = admin_client.post(url, {**body, "integration": alpha.name}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert "SECRETSIG" not in created.content.decode()
    data = created.json()
    assert (data["integration"], data["url_hint"]) == (alpha.name, "example.webhook.office.com/…TSIG")

    listed = revops_client.get(url).json()
    assert [row["name"] for row in listed["results"]] == ["finance-teams"]
    assert "SECRETSIG" not in str(listed)
    assert revops_client.post(url, body, content_type="application/json").status_code == 403

    detail = reverse("api:notification-channel-detail", args=[data["id"]])
    changed = admin_client.patch(
        detail, {"is_active": False, "kind": "slack"}, content_type="application/json"
    )
    assert changed.status_code == 400 and "kind" in changed.json()
    changed = admin_client.patch(detail, {"is_active": False}, content_type="application/json")
    assert changed.json()["is_active"] is False
    bad = admin_client.post(url, {**body, "name": "x", "events": ["nope"]}, content_type="application/json")
    assert bad.status_code == 400
    assert admin_client.delete(detail).status_code == 204
    assert not NotificationChannel.objects.exists()


def test_a_person_limited_to_beta_sees_none_of_alphas_channels_or_deliveries(
    admin_client: Client, finance: User, alpha: Integration, beta: Integration
) -> None:
    for integration in (alpha, beta):
        admin_client.post(
            reverse("api:notification-channel-list"),
            {
                "name": f"{integration.name}-slack",
                "kind": "slack",
                "webhook_url": HOOK,
                "events": ["escalated"],
                "integration": integration.name,
            },
            content_type="application/json",
        )
    assign_perm(ACCESS_INTEGRATION, finance, beta)
    client = Client()
    client.force_login(finance)
    names = [row["name"] for row in client.get(reverse("api:notification-channel-list")).json()["results"]]
    assert names == ["beta-slack"]
    alpha_channel = NotificationChannel.objects.get(name=f"{alpha.name}-slack")
    assert client.get(reverse("api:notification-channel-detail", args=[alpha_channel.pk])).status_code == 404
    assert client.get(reverse("api:notification-delivery-list"), {"status": "bogus"}).status_code == 400


def test_the_policy_and_ones_preferences_over_the_api(admin_client: Client, finance_client: Client) -> None:
    url = reverse("api:notification-policy")
    assert finance_client.get(url).json()["delay_seconds"] == 300
    assert finance_client.patch(url, {"delay_seconds": 0}, content_type="application/json").status_code == 403
    changed = admin_client.patch(
        url, {"delay_seconds": 60, "failure_rate_percent": 5}, content_type="application/json"
    )
    assert (changed.json()["delay_seconds"], changed.json()["failure_rate_percent"]) == (60, 5)
    assert (
        admin_client.patch(
            url, {"failure_rate_window_minutes": 1}, content_type="application/json"
        ).status_code
        == 400
    )

    prefs = reverse("api:notification-preference-list")
    made = finance_client.post(
        prefs, {"event": "failure_rate", "console": True, "email": False}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["integration"] is None
    assert [row["event"] for row in admin_client.get(prefs).json()["results"]] == []  # one's own only
    assert (
        finance_client.delete(
            reverse("api:notification-preference-detail", args=[made.json()["id"]])
        ).status_code
        == 204
    )
