"""Listeners through the API: admins create one and rotate its URL; the URL is in that answer only."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import User

from governance.models import AuditEntry
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.pipeline.models import Listener
from tests.api_support import token_client

JSON = "application/json"
PREFIX = "https://concord.example/sync/inbound/outbound-message/"


def _connections() -> None:
    Connection.objects.create(
        name="sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    Connection.objects.create(
        name="ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )


def test_it_shows_a_new_listeners_url_once_and_keeps_its_hash(admin: User, revops: User) -> None:
    _connections()
    client = token_client(admin)
    body = {
        "name": "closed-won",
        "salesforce_connection": "sf",
        "netsuite_connection": "ns",
        "base_url": "https://concord.example",
    }
    created = client.post("/api/v1/listeners/", body, content_type=JSON)
    assert created.status_code == 201, created.content
    url = created.json()["url"]
    assert url.startswith(PREFIX)
    token = url.removeprefix(PREFIX).rstrip("/")
    listener = Listener.objects.get(name="closed-won")
    assert listener.path_token_hash == hashlib.sha256(token.encode()).hexdigest()
    # Read back by anyone with a role: never the URL.
    for reader in (client, token_client(revops)):
        detail = reader.get(f"/api/v1/listeners/{listener.pk}/")
        assert (
            detail.status_code == 200 and "url" not in detail.json() and token not in detail.content.decode()
        )
    assert token not in token_client(revops).get("/api/v1/listeners/").content.decode()

    rotated = client.post(f"/api/v1/listeners/{listener.pk}/rotate-token/", {}, content_type=JSON)
    assert rotated.status_code == 200
    new_url = rotated.json()["url"]
    assert new_url.startswith("http://testserver/sync/inbound/outbound-message/") and token not in new_url
    listener.refresh_from_db()
    new_token = new_url.rstrip("/").rsplit("/", 1)[1]
    assert listener.path_token_hash == hashlib.sha256(new_token.encode()).hexdigest()
    entry = AuditEntry.objects.get(additional_data__event="listener_token_rotated")
    assert entry.actor == admin


def test_it_refuses_listener_changes_to_non_admins_and_bad_input(admin: User, revops: User) -> None:
    _connections()
    body = {"name": "x", "salesforce_connection": "sf", "netsuite_connection": "ns"}
    assert token_client(revops).post("/api/v1/listeners/", body, content_type=JSON).status_code == 403
    wrong = {**body, "salesforce_connection": "ns"}  # a NetSuite connection where Salesforce's belongs
    assert token_client(admin).post("/api/v1/listeners/", wrong, content_type=JSON).status_code == 400
    assert not Listener.objects.exists()


def test_the_answers_that_show_a_url_carry_the_setup_steps_and_are_not_stored(admin: User) -> None:
    _connections()
    client = token_client(admin)
    body = {
        "name": "won",
        "salesforce_connection": "sf",
        "netsuite_connection": "ns",
        "allowed_org_id": "00D5g",
    }
    created = client.post(
        "/api/v1/listeners/", {**body, "base_url": "https://concord.example"}, content_type=JSON
    )
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    data = created.json()
    steps = {step["title"]: step["lines"] for step in data["setup"]}
    (outbound,) = [lines for title, lines in steps.items() if "Outbound Messages" in title]
    assert f"Endpoint URL: {data['url']}" in outbound and "Object: Opportunity" in outbound
    assert (data["last_received_at"], data["last_test_at"], data["is_active"]) == (None, None, True)
    listener = Listener.objects.get(name="won")
    rotated = client.post(f"/api/v1/listeners/{listener.pk}/rotate-token/", {}, content_type=JSON)
    assert rotated["Cache-Control"] == "no-store"
    assert any(f"Endpoint URL: {rotated.json()['url']}" in step["lines"] for step in rotated.json()["setup"])


def test_an_admin_disables_and_enables_through_the_api(admin: User, revops: User) -> None:
    _connections()
    client = token_client(admin)
    created = client.post(
        "/api/v1/listeners/",
        {"name": "won", "salesforce_connection": "sf", "netsuite_connection": "ns"},
        content_type=JSON,
    ).json()
    path = f"/api/v1/listeners/{created['id']}/"
    assert token_client(revops).post(path + "disable/", {}, content_type=JSON).status_code == 403
    disabled = client.post(path + "disable/", {"reason": "NetSuite upgrade"}, content_type=JSON)
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    assert Listener.objects.get(pk=created["id"]).is_active is False
    entry = AuditEntry.objects.get(additional_data__event="listener_disabled")
    assert entry.actor == admin and entry.additional_data["reason"] == "NetSuite upgrade"
    enabled = client.post(path + "enable/", {}, content_type=JSON)
    assert enabled.json()["is_active"] is True and Listener.objects.get(pk=created["id"]).is_active
    assert client.post(path + "test/", {}, content_type=JSON).status_code == 400  # no URL
