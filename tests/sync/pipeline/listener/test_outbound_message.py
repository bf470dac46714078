"""The Outbound Message listener: authenticated by URL token and org id, parsed safely, stored once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from simulators.salesforce import soap as sim_soap
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync.pipeline.listener.soap import ACK
from sync.pipeline.models import InboxMessage, InboxStatus, Listener
from tests.sync.pipeline.listener.support import url_token

OPP = "0065g00000AbCdEAAA"


def envelope(*ids: str, org: str = DEFAULT_ORG_ID, record: str = OPP) -> bytes:
    return sim_soap.envelope(
        organization_id=org,
        action_id="04k000000000001AAA",
        session_id=None,
        enterprise_url="https://sf.example/services/Soap/c/62.0",
        partner_url="https://sf.example/services/Soap/u/62.0",
        notifications=[
            sim_soap.Notification(i, "Opportunity", (("Id", record), ("StageName", "Closed Won")))
            for i in ids
        ],
    )


def url(listener: Listener) -> str:
    return reverse("sync:inbound-outbound", args=[url_token(listener)])


def post(client: Client, address: str, body: bytes, **extra: Any) -> Any:
    return client.post(
        address, data=body, content_type="text/xml; charset=utf-8", HTTP_SOAPACTION='""', **extra
    )


def test_it_stores_notifications_and_answers_the_exact_ack(
    client: Client,
    listener: Listener,
    enqueued: list[str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = post(client, url(listener), envelope("04l000000000001AAA", "04l000000000002AAA"))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/xml")
    assert answer.content == ACK
    assert sim_soap.acknowledged(answer.content)
    rows = list(InboxMessage.objects.order_by("notification_id"))
    assert [(r.notification_id, r.record_id, r.status) for r in rows] == [
        ("04l000000000001AAA", OPP, InboxStatus.PENDING),
        ("04l000000000002AAA", OPP, InboxStatus.PENDING),
    ]
    assert rows[0].fields["StageName"] == "Closed Won" and rows[0].listener == listener
    # The drain is enqueued by an on_commit callback, never inside the request's transaction.
    assert len(callbacks) == 1 and enqueued == ["sync.tasks.inbox_drain"]


def test_it_acks_a_redelivery_again_without_a_duplicate(
    client: Client,
    listener: Listener,
    enqueued: list[str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    body = envelope("04l000000000001AAA")
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, url(listener), body)
    with django_capture_on_commit_callbacks(execute=True) as again:
        second = post(client, url(listener), body)
    assert first.content == ACK and second.content == ACK
    assert InboxMessage.objects.count() == 1
    assert again == [] and enqueued == ["sync.tasks.inbox_drain"]  # nothing new, nothing enqueued


def test_it_answers_404_for_an_unknown_token(client: Client, listener: Listener) -> None:
    answer = post(client, reverse("sync:inbound-outbound", args=["not-the-token"]), envelope("04l1"))
    assert answer.status_code == 404
    assert not InboxMessage.objects.exists()


def test_it_answers_403_for_another_org(client: Client, listener: Listener, enqueued: list[str]) -> None:
    answer = post(client, url(listener), envelope("04l000000000001AAA", org="00D5g000000XYZ1EAA"))
    assert answer.status_code == 403
    assert not InboxMessage.objects.exists() and enqueued == []


def test_it_accepts_the_org_id_in_its_15_character_form(
    client: Client, listener: Listener, enqueued: list[str]
) -> None:
    listener.allowed_org_id = DEFAULT_ORG_ID[:15]
    listener.save()
    assert post(client, url(listener), envelope("04l000000000001AAA")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<a><b></a>",
        b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<soapenv:Body/></soapenv:Envelope>",
        envelope("04l000000000001AAA", record="not-an-id"),
    ],
    ids=["text", "unbalanced", "no-notifications", "bad-record-id"],
)
def test_it_answers_400_for_a_malformed_body(
    client: Client, listener: Listener, enqueued: list[str], body: bytes
) -> None:
    answer = post(client, url(listener), body)
    assert answer.status_code == 400
    assert not InboxMessage.objects.exists() and enqueued == []


def test_it_refuses_an_external_entity(client: Client, listener: Listener, tmp_path: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        + envelope("04l000000000001AAA").decode().split("?>", 1)[1].replace("Closed Won", "&xxe;")
    ).encode()
    answer = post(client, url(listener), body)
    assert answer.status_code == 400
    assert b"refused XML construct" in answer.content
    assert b"TOP-SECRET" not in answer.content
    assert not InboxMessage.objects.exists()


def test_it_refuses_an_entity_expansion_bomb(client: Client, listener: Listener) -> None:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
    ]
    body = (
        '<?xml version="1.0"?><!DOCTYPE lolz ['
        + "".join(levels)
        + "]>"
        + envelope("04l000000000001AAA").decode().split("?>", 1)[1].replace("Closed Won", "&lol9;")
    ).encode()
    answer = post(client, url(listener), body)
    assert answer.status_code == 400
    assert b"refused XML construct" in answer.content
    assert not InboxMessage.objects.exists()


def test_it_answers_413_for_an_oversized_body(
    client: Client, listener: Listener, settings: Any, enqueued: list[str]
) -> None:
    settings.SYNC_INBOUND_MAX_BYTES = 2000
    body = envelope(*[f"04l0000000000{n:02d}AAA" for n in range(30)])
    assert len(body) > 2000
    answer = post(client, url(listener), body)
    assert answer.status_code == 413
    assert b"larger than 2000 bytes" in answer.content
    assert not InboxMessage.objects.exists()


def test_it_only_accepts_post(client: Client, listener: Listener) -> None:
    assert client.get(url(listener)).status_code == 405


def test_it_needs_no_login_or_csrf_token(listener: Listener, enqueued: list[str]) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, url(listener), envelope("04l000000000001AAA")).status_code == 200
