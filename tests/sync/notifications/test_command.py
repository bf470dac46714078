"""``manage.py notifications``: the same services as the pages (audited, checked), the URL from the
environment only."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from core.secrets import decrypt
from sync.notifications.events import notification_policy
from sync.notifications.models import NotificationChannel, NotificationPreference

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.slack.com/services/T9/B9/commandhook"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("notifications", *args, stdout=out)
    return out.getvalue()


def test_channels_policy_and_preferences_from_the_terminal(
    admin: User, revops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPS_SLACK_HOOK", HOOK)
    _run(
        "channel-add",
        "--name",
        "ops",
        "--kind",
        "slack",
        "--url-env",
        "OPS_SLACK_HOOK",
        "--events",
        "escalated,failure_rate",
        "--as",
        "admin",
    )
    channel = NotificationChannel.objects.get(name="ops")
    assert decrypt(channel.webhook_url) == HOOK
    listing = _run("channels")
    assert "ops\tslack\tall\tescalated,failure_rate" in listing and "commandhook" not in listing
    _run("channel-set", "ops", "--pause")
    assert not NotificationChannel.objects.get(name="ops").is_active

    with pytest.raises(CommandError, match="Only admins"):
        _run("channel-remove", "ops", "--as", "revops")
    with pytest.raises(CommandError, match="UNSET_HOOK is empty or unset"):
        _run(
            "channel-add",
            "--name",
            "x",
            "--kind",
            "slack",
            "--url-env",
            "UNSET_HOOK",
            "--events",
            "escalated",
        )
    with pytest.raises(CommandError, match="Unknown event kinds"):
        _run(
            "channel-add", "--name", "x", "--kind", "email", "--email-to", "a@example.com", "--events", "nope"
        )

    assert "delay_seconds: 120" in _run("policy", "--delay-seconds", "120", "--as", "admin")
    assert notification_policy().delay_seconds == 120
    _run("preference", "--as", "revops", "--event", "failure_rate", "--console", "on", "--email", "off")
    assert NotificationPreference.objects.get(user=revops).email is False
    assert "0 events sent out" in _run("dispatch")
    _run("channel-remove", "ops", "--as", "admin")
    assert not NotificationChannel.objects.exists()
