"""The listener pages: every role reads a listener and its setup steps (the URL's token masked); an admin
creates one (URL and steps shown once, no-store), rotates, disables and enables it, and tests it."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from governance.models import AuditEntry
from simulators.salesforce.org import DEFAULT_ORG_ID
from sync.connections.models import Connection
from sync.pipeline.listener.setup import MASK
from sync.pipeline.models import Listener
from tests.sync.pipeline.listener.support import url_token

URL = re.compile(r"http://testserver/sync/inbound/outbound-message/([\w-]+)/")


def _detail(listener: Listener) -> str:
    return reverse("sync:listener", args=[listener.pk])


def test_every_role_reads_the_setup_steps_with_the_token_masked(
    revops_client: Client, auditor_client: Client, listener: Listener
) -> None:
    for client in (revops_client, auditor_client):
        page = client.get(_detail(listener))
        assert page.status_code == 200
        html = page.content.decode()
        assert url_token(listener) not in html
        assert f"/sync/inbound/outbound-message/{MASK}/" in html and "Rotate to get a new URL" in html
        assert "created, and any time it&#x27;s edited to subsequently meet criteria" in html
        assert "Opportunity: Stage equals Closed Won" in html and "StageName Equals Closed Won" in html
        assert "Only when a record is updated to meet the condition requirements" in html
        assert "Send Session ID: unticked" in html and DEFAULT_ORG_ID in html
        # Reading is not acting: no buttons, no test form.
        assert reverse("sync:listener-disable", args=[listener.pk]) not in html
        assert reverse("sync:listener-test", args=[listener.pk]) not in html
    listing = revops_client.get(reverse("sync:listeners")).content.decode()
    assert _detail(listener) in listing and "never" in listing  # no notification yet


def test_an_admin_creates_a_listener_and_sees_its_url_and_steps_once(
    admin_client: Client, connections: tuple[Connection, Connection]
) -> None:
    sf, ns = connections
    answer = admin_client.post(
        reverse("sync:listeners"),
        {
            "name": "won",
            "kind": "outbound_message",
            "salesforce_connection": sf.pk,
            "netsuite_connection": ns.pk,
            "allowed_org_id": DEFAULT_ORG_ID,
        },
    )
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    html = answer.content.decode()
    tokens = set(URL.findall(html))
    assert len(tokens) == 1  # the same URL in the banner, the steps and the test form
    (token,) = tokens
    assert f'value="http://testserver/sync/inbound/outbound-message/{token}/"' in html  # test form filled
    assert f"Endpoint URL: http://testserver/sync/inbound/outbound-message/{token}/" in html
    # Afterwards: masked.
    listener = Listener.objects.get(name="won")
    later = admin_client.get(_detail(listener))
    assert token not in later.content.decode() and "no-store" not in later.get("Cache-Control", "")


def test_an_admin_disables_and_enables_from_the_page(
    admin_client: Client, admin: User, listener: Listener
) -> None:
    answer = admin_client.post(reverse("sync:listener-disable", args=[listener.pk]), follow=True)
    html = answer.content.decode()
    assert "disabled: it answers 503" in html and "Salesforce retries each notification for 24 hours" in html
    assert Listener.objects.get(pk=listener.pk).is_active is False
    assert reverse("sync:listener-enable", args=[listener.pk]) in html
    admin_client.post(reverse("sync:listener-enable", args=[listener.pk]))
    assert Listener.objects.get(pk=listener.pk).is_active is True
    assert AuditEntry.objects.filter(actor=admin, additional_data__event="listener_enabled").count() == 1


def test_rotating_shows_the_new_url_with_the_steps(admin_client: Client, listener: Listener) -> None:
    old = url_token(listener)
    answer = admin_client.post(reverse("sync:listener-rotate", args=[listener.pk]))
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    (new,) = set(URL.findall(answer.content.decode()))
    assert new != old and "Endpoint URL: http://testserver" in answer.content.decode()


def test_a_test_with_a_url_that_is_not_the_listeners_is_refused_clearly(
    admin_client: Client, listener: Listener
) -> None:
    test = reverse("sync:listener-test", args=[listener.pk])
    stale = "https://concord.example/sync/inbound/outbound-message/an-old-token/"
    answer = admin_client.post(test, {"url": stale})
    assert answer.status_code == 400 and answer["Cache-Control"] == "no-store"
    assert "not this listener&#x27;s current URL: was it rotated?" in answer.content.decode()
    wrong_kind = f"https://concord.example/sync/inbound/webhook/{url_token(listener)}/"
    assert (
        "Not a URL of this kind of listener" in admin_client.post(test, {"url": wrong_kind}).content.decode()
    )
    assert admin_client.post(test, {"url": "concord.example"}).status_code == 400
    assert Listener.objects.get(pk=listener.pk).last_test_at is None


def test_the_webhook_page_shows_the_signature_and_an_example(
    revops_client: Client, webhook_listener: Listener
) -> None:
    html = revops_client.get(_detail(webhook_listener)).content.decode()
    assert "X-Concord-Timestamp" in html and "X-Concord-Signature: sha256=" in html
    assert "openssl dgst -sha256 -hmac" in html and "/sync/inbound/webhook/********/" in html
    assert url_token(webhook_listener) not in html
