"""The signed JSON webhook: HMAC-SHA256 over timestamp and body, five-minute window, same inbox."""

from __future__ import annotations

import json
import time
from typing import Any

from django.test import Client
from django.urls import reverse

from sync.pipeline.listener.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from sync.pipeline.models import InboxMessage, Listener
from tests.sync.pipeline.listener.support import url_token

BODY = json.dumps({"events": [{"id": "evt-1", "sobject": "Opportunity", "record_id": "0065g00000AbCdEAAA"}]})


def send(
    client: Client, listener: Listener, body: str = BODY, *, key: str = "whsec-test-key", skew: int = 0
) -> Any:
    timestamp = str(int(time.time()) + skew)
    headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(key, timestamp, body.encode())}
    return client.post(
        reverse("sync:inbound-webhook", args=[url_token(listener)]),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_it_stores_a_signed_event_once(
    client: Client, webhook_listener: Listener, enqueued: list[str]
) -> None:
    first = send(client, webhook_listener)
    second = send(client, webhook_listener)
    assert first.status_code == 200 and first.json() == {"accepted": 1, "new": 1}
    assert second.status_code == 200 and second.json() == {"accepted": 1, "new": 0}
    row = InboxMessage.objects.get()
    assert row.source == "webhook" and row.record_id == "0065g00000AbCdEAAA"


def test_it_refuses_a_wrong_signature(client: Client, webhook_listener: Listener) -> None:
    answer = send(client, webhook_listener, key="someone-else")
    assert answer.status_code == 403
    assert not InboxMessage.objects.exists()


def test_it_refuses_a_stale_timestamp(client: Client, webhook_listener: Listener) -> None:
    answer = send(client, webhook_listener, skew=-301)
    assert answer.status_code == 403 and b"five-minute" in answer.content
    assert not InboxMessage.objects.exists()


def test_it_refuses_a_signed_but_malformed_body(client: Client, webhook_listener: Listener) -> None:
    answer = send(client, webhook_listener, body='{"events": "nope"}')
    assert answer.status_code == 400
    assert not InboxMessage.objects.exists()


def test_it_refuses_a_deeply_nested_body_naming_the_problem(
    client: Client, webhook_listener: Listener
) -> None:
    answer = send(client, webhook_listener, body='{"events": ' + "[" * 50_000 + "]" * 50_000 + "}")
    assert answer.status_code == 400 and b"JSON nested deeper than 64 levels" in answer.content
    assert not InboxMessage.objects.exists()


def test_it_does_not_serve_a_webhook_token_as_an_outbound_listener(
    client: Client, webhook_listener: Listener
) -> None:
    address = reverse("sync:inbound-outbound", args=[url_token(webhook_listener)])
    assert client.post(address, data=b"<x/>", content_type="text/xml").status_code == 404
