"""The listeners page: every role reads it without any URL; an admin makes a listener or gives it a new
URL, and sees that URL once (never again on the page, never in the audit trail)."""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.models import User
from django.test import Client

from governance.models import AuditEntry
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.pipeline.models import Listener

SECRET = re.compile(
    r'<code class="secret">(http://testserver/sync/inbound/outbound-message/([^/<]+)/)</code>'
)


def _connections() -> tuple[Connection, Connection]:
    sf = Connection.objects.create(
        name="sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://sf.example",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    ns = Connection.objects.create(
        name="ns",
        kind=ConnectionKind.NETSUITE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://ns.example",
        auth_method=ConnectionAuth.NS_TOKEN,
    )
    return sf, ns


def test_it_shows_a_new_listeners_url_once(admin_client: Client, revops_client: Client, admin: User) -> None:
    sf, ns = _connections()
    data = {
        "name": "closed-won",
        "kind": "outbound_message",
        "salesforce_connection": sf.pk,
        "netsuite_connection": ns.pk,
        "allowed_org_id": "00D5g000000ABCDEAA",
    }
    response = admin_client.post("/sync/listeners/", data)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    found = SECRET.search(response.content.decode())
    assert found, "the URL is shown once"
    url, token = found.groups()
    listener = Listener.objects.get(name="closed-won")
    assert listener.path_token_hash == hashlib.sha256(token.encode()).hexdigest()
    for client in (admin_client, revops_client):
        page = client.get("/sync/listeners/").content.decode()
        assert "closed-won" in page and token not in page
    trail = str([(e.changes, e.additional_data) for e in AuditEntry.objects.get_for_object(listener)])
    assert token not in trail

    rotated = admin_client.post(f"/sync/listeners/{listener.pk}/rotate/")
    new = SECRET.search(rotated.content.decode())
    assert new and new.group(2) != token
    listener.refresh_from_db()
    assert listener.path_token_hash == hashlib.sha256(new.group(2).encode()).hexdigest()
    assert AuditEntry.objects.filter(additional_data__event="listener_token_rotated", actor=admin).exists()


def test_it_refuses_a_listener_to_other_roles_and_names_bad_input(
    admin_client: Client, revops_client: Client
) -> None:
    sf, ns = _connections()
    data = {
        "name": "closed-won",
        "kind": "outbound_message",
        "salesforce_connection": ns.pk,
        "netsuite_connection": ns.pk,
    }
    assert revops_client.post("/sync/listeners/", data).status_code == 403
    refused = admin_client.post("/sync/listeners/", data)
    assert refused.status_code == 400 and b"Select a valid choice" in refused.content
    assert not Listener.objects.exists()
