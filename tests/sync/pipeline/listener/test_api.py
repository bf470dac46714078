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
