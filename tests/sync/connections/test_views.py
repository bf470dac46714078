"""Connection pages: admins create, edit and test; every other role reads; secrets never come back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sync.connections.models import Connection
from sync.connections.services import connection_create, connection_secrets

TOKEN_SECRET = "view-token-secret-5c2a"


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "ns-sandbox",
        "kind": "netsuite",
        "environment": "sandbox",
        "base_url": "https://1234567-sb1.suitetalk.api.netsuite.com",
        "auth_method": "ns_token",
        "account_id": "1234567_SB1",
        "client_id": "consumer-key-1",
        "username": "",
        "certificate_id": "",
        "api_version": "60.0",
        "ca_bundle": "",
        "connect_timeout": "10",
        "read_timeout": "120",
        "concurrency_limit": "5",
        "secret_consumer_secret": "view-consumer-secret",
        "secret_token_id": "view-token-id",
        "secret_token_secret": TOKEN_SECRET,
    }
    data.update(overrides)
    return data


@pytest.fixture
def stored(admin: User) -> Connection:
    return connection_create(
        actor=admin,
        secrets={
            "consumer_secret": "view-consumer-secret",
            "token_id": "view-token-id",
            "token_secret": TOKEN_SECRET,
        },
        **{k: v for k, v in _form().items() if not k.startswith("secret_")},
    )


def test_it_lets_an_admin_create_a_connection(admin_client: Client) -> None:
    response = admin_client.post("/sync/connections/new/", _form())
    connection = Connection.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sync/connections/{connection.pk}/"
    assert connection_secrets(connection)["token_secret"] == TOKEN_SECRET
    assert connection.concurrency_limit == 5


def test_it_answers_htmx_with_a_client_redirect_or_the_form_with_errors(admin_client: Client) -> None:
    bad = admin_client.post("/sync/connections/new/", _form(base_url="nope"), HTTP_HX_REQUEST="true")
    html = bad.content.decode()
    assert bad.status_code == 200 and 'id="connection-form"' in html and "<html" not in html
    assert "Enter a valid URL" in html and TOKEN_SECRET not in html
    good = admin_client.post("/sync/connections/new/", _form(), HTTP_HX_REQUEST="true")
    assert good.status_code == 200 and good["HX-Redirect"].startswith("/sync/connections/")


def test_it_lets_an_admin_edit_keeping_blank_secrets(admin_client: Client, stored: Connection) -> None:
    data = _form(read_timeout="33", secret_token_secret="", secret_consumer_secret="", secret_token_id="")
    response = admin_client.post(f"/sync/connections/{stored.pk}/", data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "Saved." in html
    stored.refresh_from_db()
    assert stored.read_timeout == 33 and connection_secrets(stored)["token_secret"] == TOKEN_SECRET
    response = admin_client.post(f"/sync/connections/{stored.pk}/", _form(secret_token_secret="new-one"))
    assert response.status_code == 302
    stored.refresh_from_db()
    assert connection_secrets(stored)["token_secret"] == "new-one"


def test_it_reports_an_auth_method_of_the_other_system(admin_client: Client) -> None:
    response = admin_client.post("/sync/connections/new/", _form(auth_method="sf_password"))
    assert response.status_code == 200 and not Connection.objects.exists()
    assert "does not sign in to" in response.content.decode()


@pytest.mark.parametrize("persona", ["revops", "finance", "auditor", "outsider"])
def test_it_refuses_changes_from_everyone_but_admins(
    persona: str, persona_client: Callable[[str], Client], stored: Connection
) -> None:
    client = persona_client(persona)
    assert client.get("/sync/connections/new/").status_code == 403
    assert client.post("/sync/connections/new/", _form(name="other")).status_code == 403
    assert client.post(f"/sync/connections/{stored.pk}/", _form(read_timeout="5")).status_code == 403
    assert client.post(f"/sync/connections/{stored.pk}/test/").status_code == 403
    assert client.post(f"/sync/connections/{stored.pk}/deactivate/").status_code == 403
    stored.refresh_from_db()
    assert Connection.objects.count() == 1 and stored.read_timeout == 120 and stored.is_active


@pytest.mark.parametrize("persona", ["revops", "finance", "auditor"])
def test_other_roles_read_without_a_form(
    persona: str, persona_client: Callable[[str], Client], stored: Connection
) -> None:
    client = persona_client(persona)
    listing = client.get("/sync/connections/").content.decode()
    assert "ns-sandbox" in listing and "New connection" not in listing
    page = client.get(f"/sync/connections/{stored.pk}/").content.decode()
    assert 'token_secret: <span class="badge badge-ok">set</span>' in page
    body, metadata_panel = page.split("</header>")[1].split('id="connection-metadata"')
    assert "<form" not in body and "Test connection</button>" not in page
    # The one form a non-admin may get: RevOps refresh the metadata (can_refresh_metadata).
    assert ("<form" in metadata_panel) == ("Refresh metadata" in page) == (persona == "revops")


def test_the_outsider_sees_no_connection(outsider_client: Client, stored: Connection) -> None:
    assert outsider_client.get("/sync/connections/").status_code == 403
    assert outsider_client.get(f"/sync/connections/{stored.pk}/").status_code == 403


def test_no_page_ever_shows_a_secret(
    admin_client: Client, auditor_client: Client, stored: Connection
) -> None:
    ciphertext = Connection.objects.values_list("secrets", flat=True).get()
    pages = [
        client.get(url).content.decode()
        for client in (admin_client, auditor_client)
        for url in ("/sync/connections/", f"/sync/connections/{stored.pk}/", "/governance/")
    ]
    pages.append(admin_client.get("/sync/connections/new/").content.decode())
    pages.append(
        admin_client.post(f"/sync/connections/{stored.pk}/", _form(), HTTP_HX_REQUEST="true").content.decode()
    )
    for html in pages:
        for secret in ("view-consumer-secret", "view-token-id", TOKEN_SECRET, ciphertext, "fernet:"):
            assert secret not in html
    edit = pages[1]
    assert 'type="password" name="secret_token_secret"' in edit and "set (leave blank to keep)" in edit
    assert 'name="secret_password"' in edit and "not set" in edit


def test_the_admin_tests_a_connection_with_htmx(
    admin_client: Client, netsuite_connection: Connection
) -> None:
    page = admin_client.get(f"/sync/connections/{netsuite_connection.pk}/").content.decode()
    assert "Test connection</button>" in page and "Not tested yet." in page
    response = admin_client.post(f"/sync/connections/{netsuite_connection.pk}/test/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<div id="connection-test">')
    assert "works" in html and "1-row SuiteQL" in html
    netsuite_connection.refresh_from_db()
    assert netsuite_connection.last_test_ok is True


def test_the_admin_deactivates(admin_client: Client, stored: Connection) -> None:
    assert admin_client.post(f"/sync/connections/{stored.pk}/deactivate/").status_code == 302
    stored.refresh_from_db()
    assert not stored.is_active
    assert "inactive" in admin_client.get("/sync/connections/").content.decode()
