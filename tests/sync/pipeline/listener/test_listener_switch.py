"""Enabling and disabling a listener, and what its endpoints record: a disabled listener answers 503 (the
sender retries), a test notification is acknowledged and never stored, the last real arrival is written
at most about once a minute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from governance.models import AuditEntry
from simulators.salesforce import soap as sim_soap
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync.pipeline.listener import services
from sync.pipeline.listener.listener_cache import listener_cache_clear
from sync.pipeline.listener.services import listener_received_forget, listener_set_active
from sync.pipeline.listener.soap import ACK, TEST_ID_PREFIX, probe_envelope
from sync.pipeline.listener.webhook import TEST_EVENT_PREFIX
from sync.pipeline.models import InboxMessage, Listener
from tests.sync.pipeline.listener.test_outbound_message import envelope, post, url
from tests.sync.pipeline.listener.test_webhook import send


@pytest.fixture(autouse=True)
def fresh_memos(settings) -> Iterator[None]:
    settings.SYNC_LISTENER_CACHE_SECONDS = 5
    listener_cache_clear()
    listener_received_forget()
    yield
    listener_received_forget()


def test_disabling_answers_503_with_a_soap_fault_and_enabling_takes_the_retry_once(
    client: Client, listener: Listener, admin: User, enqueued: list[str]
) -> None:
    assert post(client, url(listener), envelope("04l000000000001AAA")).status_code == 200  # memoised
    assert listener_set_active(listener=listener, is_active=False, user=admin, reason="NetSuite upgrade")
    refused = post(client, url(listener), envelope("04l000000000002AAA"))
    assert refused.status_code == 503 and refused["Retry-After"] == "300"
    assert refused["Content-Type"].startswith("text/xml")
    assert b"<faultcode>soapenv:Server</faultcode>" in refused.content
    assert not sim_soap.acknowledged(refused.content)
    assert InboxMessage.objects.count() == 1  # nothing of the refused message
    # Salesforce retries the same notification; once enabled it lands, and a further retry stays one row.
    assert listener_set_active(listener=listener, is_active=True, user=admin)
    for _ in range(2):
        answer = post(client, url(listener), envelope("04l000000000002AAA"))
        assert answer.status_code == 200 and answer.content == ACK
    assert InboxMessage.objects.filter(notification_id="04l000000000002AAA").count() == 1
    events = list(
        AuditEntry.objects.get_for_object(listener)
        .filter(additional_data__event__in=["listener_disabled", "listener_enabled"])
        .order_by("pk")
        .values_list("additional_data__event", "actor__username", "changes")
    )
    assert [(event, actor) for event, actor, _ in events] == [
        ("listener_disabled", "admin"),
        ("listener_enabled", "admin"),
    ]
    disabled = AuditEntry.objects.get(additional_data__event="listener_disabled")
    assert disabled.additional_data["reason"] == "NetSuite upgrade"


def test_switching_twice_is_harmless_and_writes_one_entry(listener: Listener, admin: User) -> None:
    assert listener_set_active(listener=listener, is_active=False, user=admin) is True
    assert listener_set_active(listener=listener, is_active=False, user=admin) is False
    assert Listener.objects.get(pk=listener.pk).is_active is False
    assert AuditEntry.objects.filter(additional_data__event="listener_disabled").count() == 1


def test_a_disabled_webhook_answers_503_and_stores_nothing(
    client: Client, webhook_listener: Listener, enqueued: list[str]
) -> None:
    listener_set_active(listener=webhook_listener, is_active=False)
    answer = send(client, webhook_listener)
    assert answer.status_code == 503 and "disabled" in answer.content.decode()
    assert not InboxMessage.objects.exists()
    listener_set_active(listener=webhook_listener, is_active=True)
    assert send(client, webhook_listener).json() == {"accepted": 1, "new": 1}


def test_a_test_notification_is_acknowledged_recorded_and_never_stored(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    body = probe_envelope(organization_id=DEFAULT_ORG_ID, notification_id=TEST_ID_PREFIX + "abc")
    answer = post(client, url(listener), body)
    assert answer.status_code == 200 and answer.content == ACK
    listener.refresh_from_db()
    assert listener.last_test_at is not None and listener.last_received_at is None
    assert not InboxMessage.objects.exists() and enqueued == []
    # The test message passes the same checks as a real one: another org's is refused.
    other = probe_envelope(organization_id="00D000000000002AAA", notification_id=TEST_ID_PREFIX + "x")
    assert post(client, url(listener), other).status_code == 403


def test_a_webhook_test_event_is_acknowledged_and_never_stored(
    client: Client, webhook_listener: Listener, enqueued: list[str]
) -> None:
    body = json.dumps(
        {
            "events": [
                {"id": TEST_EVENT_PREFIX + "1", "sobject": "Opportunity", "record_id": "006000000000000AAA"}
            ]
        }
    )
    answer = send(client, webhook_listener, body)
    assert answer.status_code == 200 and answer.json() == {"accepted": 1, "new": 0}
    assert send(client, webhook_listener, body, key="wrong-key").status_code == 403
    webhook_listener.refresh_from_db()
    assert webhook_listener.last_test_at is not None and not InboxMessage.objects.exists()


def test_the_last_arrival_is_written_at_most_once_a_minute(
    client: Client, listener: Listener, enqueued: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    assert post(client, url(listener), envelope("04l000000000001AAA")).status_code == 200
    first = Listener.objects.get(pk=listener.pk).last_received_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)
    # Within the minute: no write at all (not even a query), however many arrive.
    Listener.objects.filter(pk=listener.pk).update(last_received_at=first - timedelta(minutes=5))
    clock[0] += 30
    post(client, url(listener), envelope("04l000000000002AAA"))
    assert Listener.objects.get(pk=listener.pk).last_received_at == first - timedelta(minutes=5)
    clock[0] += 31
    post(client, url(listener), envelope("04l000000000003AAA"))
    assert Listener.objects.get(pk=listener.pk).last_received_at > first  # type: ignore[operator]


def test_another_process_write_within_the_minute_is_not_repeated(listener: Listener) -> None:
    recent = timezone.now() - timedelta(seconds=10)
    Listener.objects.filter(pk=listener.pk).update(last_received_at=recent)
    services.listener_received_mark(listener_id=listener.pk)  # this process has not written yet
    assert Listener.objects.get(pk=listener.pk).last_received_at == recent


def test_the_commands_enable_and_disable_by_name(listener: Listener, client: Client) -> None:
    out = StringIO()
    call_command("listener_disable", "closed-won", "--reason", "maintenance", stdout=out)
    assert "Listener closed-won disabled." in out.getvalue()
    assert post(client, url(listener), envelope("04l000000000009AAA")).status_code == 503
    out = StringIO()
    call_command("listener_disable", "closed-won", stdout=out)
    assert "was already disabled" in out.getvalue()
    call_command("listener_enable", "closed-won", stdout=StringIO())
    assert Listener.objects.get(pk=listener.pk).is_active is True
    with pytest.raises(CommandError, match="no listener named 'nope' \\(known: closed-won\\)"):
        call_command("listener_enable", "nope")


def test_a_test_notification_in_a_mixed_message_leaves_the_real_ones(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    # Salesforce never mixes them; if something did, the real notification is still stored.
    answer = post(client, url(listener), envelope(TEST_ID_PREFIX + "1", "04l000000000001AAA"))
    assert answer.status_code == 200
    assert list(InboxMessage.objects.values_list("notification_id", flat=True)) == ["04l000000000001AAA"]
    listener.refresh_from_db()
    assert listener.last_test_at is not None and listener.last_received_at is not None
