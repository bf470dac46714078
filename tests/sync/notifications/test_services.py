"""Channels keep their webhook URL encrypted and out of every page, answer and audit entry; bad input is
refused with a clear error; only admins change channels and the policy, within their integrations."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from guardian.shortcuts import assign_perm

from core.secrets import decrypt
from governance.models import AuditEntry
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.notifications.models import EventKind, NotificationChannel
from sync.notifications.services import channel_create, channel_update, policy_set, preference_set

pytestmark = pytest.mark.django_db
HOOK = "https://hooks.slack.com/services/T111/B222/abcdefghijkl"


def _slack(user: User | None, **extra: object) -> NotificationChannel:
    arguments: dict[str, object] = {
        "name": "ops",
        "kind": "slack",
        "events": [EventKind.ESCALATED],
        "webhook_url": HOOK,
        **extra,
    }
    return channel_create(user=user, **arguments)  # type: ignore[arg-type]


def test_the_webhook_url_is_stored_encrypted_and_shown_as_a_hint(admin: User) -> None:
    channel = _slack(admin)
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_url FROM sync_notificationchannel WHERE id = %s", [channel.pk])
        (stored,) = cursor.fetchone()
    assert HOOK not in stored and stored.startswith("fernet:") and decrypt(stored) == HOOK
    assert channel.url_hint == "hooks.slack.com/…ijkl"
    entry = AuditEntry.objects.get(additional_data__event="notification_channel_created")
    assert HOOK not in str(entry.changes) and entry.actor == admin


def test_a_rotated_key_still_opens_the_url_and_rotation_rewrites_it(admin: User, settings: object) -> None:
    channel = _slack(admin)
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)  # type: ignore[attr-defined]
    with override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode(), *old_keys]):
        channel.refresh_from_db()
        assert decrypt(channel.webhook_url) == HOOK  # MultiFernet: the old key still decrypts
        call_command("rotate_field_keys", stdout=io.StringIO())
        channel.refresh_from_db()
        rotated = channel.webhook_url
        assert decrypt(rotated) == HOOK
    with pytest.raises(Exception, match="no configured"):
        decrypt(rotated)  # only the new key opens it now


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"webhook_url": "http://hooks.example.com/x"}, "https://"),
        ({"webhook_url": "not a url"}, "valid URL"),
        ({"webhook_url": ""}, "needs its incoming webhook URL"),
        ({"events": []}, "at least one kind"),
        ({"events": ["everything"]}, "Unknown event kinds: everything"),
        ({"kind": "pager"}, "Unknown channel kind"),
        ({"kind": "email", "email_to": "books@example.com, nope"}, "valid email"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(admin: User, extra: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as error:
        _slack(admin, **extra)
    assert message in " ".join(error.value.messages)
    assert not NotificationChannel.objects.exists()


def test_a_second_channel_with_the_same_name_is_refused(admin: User) -> None:
    _slack(admin)
    with pytest.raises(ValidationError, match="already exists"):
        _slack(admin)


def test_only_admins_change_channels_and_the_policy(revops: User, finance: User, admin: User) -> None:
    with pytest.raises(PermissionDenied):
        _slack(revops)
    channel = _slack(admin)
    with pytest.raises(PermissionDenied):
        channel_update(user=finance, channel=channel, is_active=False)
    with pytest.raises(PermissionDenied):
        policy_set(user=revops, delay_seconds=0)
    with pytest.raises(ValidationError, match="between 1 and 100"):
        policy_set(user=admin, failure_rate_percent=150)


def test_an_admin_limited_to_one_integration_keeps_to_it(
    admin: User, alpha: Integration, beta: Integration
) -> None:
    assign_perm(ACCESS_INTEGRATION, admin, beta)
    limited = User.objects.get(pk=admin.pk)
    with pytest.raises(PermissionDenied):
        _slack(limited)  # an all-integrations channel
    with pytest.raises(PermissionDenied):
        _slack(limited, integration=alpha)
    channel = _slack(limited, integration=beta)
    assert channel.integration == beta


def test_an_update_replaces_the_url_and_records_what_changed_but_never_the_url(admin: User) -> None:
    channel = _slack(admin)
    new = "https://hooks.slack.com/services/T111/B222/zyxwvutsrqpo"
    channel = channel_update(
        user=admin, channel=channel, webhook_url=new, events=["escalated", "failure_rate"]
    )
    assert decrypt(channel.webhook_url) == new and channel.url_hint.endswith("rqpo")
    entry = AuditEntry.objects.get(additional_data__event="notification_channel_changed")
    assert entry.changes["webhook_url"] == ["(set)", "(new URL)"]
    assert entry.changes["events"] == [["escalated"], ["escalated", "failure_rate"]]
    assert new not in str(entry.changes)
    assert channel_update(user=admin, channel=channel, events=["failure_rate", "escalated"]) == channel
    assert AuditEntry.objects.filter(additional_data__event="notification_channel_changed").count() == 1


def test_preferences_are_ones_own_and_within_ones_integrations(
    finance: User, outsider: User, alpha: Integration, beta: Integration
) -> None:
    assign_perm(ACCESS_INTEGRATION, finance, beta)
    with pytest.raises(PermissionDenied):
        preference_set(
            user=User.objects.get(pk=finance.pk),
            event="failure_rate",
            integration=alpha,
            console=True,
            email=True,
        )
    with pytest.raises(PermissionDenied):
        preference_set(user=outsider, event="failure_rate", console=True, email=True)
    with pytest.raises(ValidationError, match="Unknown event kind"):
        preference_set(user=finance, event="lunch", console=True, email=True)
    first = preference_set(user=finance, event="failure_rate", console=True, email=True)
    again = preference_set(user=finance, event="failure_rate", console=False, email=True)
    assert first.pk == again.pk and not again.console
