"""The connections API: every role reads, admins create and change; no secret ever comes back."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from governance.models import AuditEntry
from sync.connections.models import Connection
from sync.connections.services import connection_secrets
from tests.api_support import token_client

SECRETS = {
    "consumer_secret": "api-consumer-secret-91",
    "token_id": "api-token-id-17",
    "token_secret": "api-token-secret-5d",
}


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "ns-sandbox",
        "kind": "netsuite",
        "environment": "sandbox",
        "base_url": "https://1234567-sb1.suitetalk.api.netsuite.com",
        "auth_method": "ns_token",
        "account_id": "1234567_SB1",
        "client_id": "consumer-key-1",
        "secrets": SECRETS,
    }
    body.update(overrides)
    return body


def _no_secret_in(content: bytes) -> bool:
    return not any(value.encode() in content for value in SECRETS.values())


def test_it_lets_an_admin_create_a_connection_and_never_returns_its_secrets(admin: User) -> None:
    client = token_client(admin)
    response = client.post("/api/v1/connections/", _body(), content_type="application/json")
    assert response.status_code == 201, response.content
    connection = Connection.objects.get(name="ns-sandbox")
    assert connection_secrets(connection) == SECRETS
    body = response.json()
    assert body["secret_keys"] == sorted(SECRETS) and "secrets" not in body
    assert _no_secret_in(response.content)
    for url in ("/api/v1/connections/", f"/api/v1/connections/{connection.pk}/"):
        read = client.get(url)
        assert read.status_code == 200 and _no_secret_in(read.content)
    # Audited under the token's user, without the values.
    entry = AuditEntry.objects.get_for_object(connection).get(action=AuditEntry.Action.CREATE)
    assert entry.actor == admin and _no_secret_in(str(entry.changes).encode())


def test_it_changes_a_connection_keeping_secrets_left_out(admin: User) -> None:
    client = token_client(admin)
    pk = client.post("/api/v1/connections/", _body(), content_type="application/json").json()["id"]
    response = client.patch(
        f"/api/v1/connections/{pk}/",
        {"concurrency_limit": 3, "secrets": {"token_secret": "rotated-secret-42"}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert b"rotated-secret-42" not in response.content
    connection = Connection.objects.get(pk=pk)
    assert connection.concurrency_limit == 3
    assert connection_secrets(connection) == {**SECRETS, "token_secret": "rotated-secret-42"}


def test_it_refuses_an_auth_method_of_the_other_system_with_400(admin: User) -> None:
    response = token_client(admin).post(
        "/api/v1/connections/", _body(auth_method="sf_password", secrets={}), content_type="application/json"
    )
    assert response.status_code == 400 and "auth_method" in response.json()
    assert not Connection.objects.exists()


def test_it_refuses_a_secret_the_auth_method_does_not_use(admin: User) -> None:
    response = token_client(admin).post(
        "/api/v1/connections/", _body(secrets={"password": "x"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert not Connection.objects.exists()


def test_it_lets_other_roles_read_but_not_write(admin: User, revops: User) -> None:
    token_client(admin).post("/api/v1/connections/", _body(), content_type="application/json")
    client = token_client(revops)
    listed = client.get("/api/v1/connections/")
    assert listed.status_code == 200 and [row["name"] for row in listed.json()["results"]] == ["ns-sandbox"]
    assert _no_secret_in(listed.content)
    assert (
        client.post("/api/v1/connections/", _body(name="other"), content_type="application/json").status_code
        == 403
    )


def test_it_filters_connections(admin: User) -> None:
    client = token_client(admin)
    client.post("/api/v1/connections/", _body(), content_type="application/json")
    client.post(
        "/api/v1/connections/",
        _body(
            name="sf-prod", kind="salesforce", environment="production", auth_method="sf_password", secrets={}
        ),
        content_type="application/json",
    )

    def names(query: str) -> list[str]:
        return [row["name"] for row in client.get(f"/api/v1/connections/?{query}").json()["results"]]

    assert names("kind=salesforce") == ["sf-prod"]
    assert names("environment=sandbox") == ["ns-sandbox"]
    assert client.get("/api/v1/connections/?kind=oracle").status_code == 400


def test_it_marks_a_netsuite_account_without_oneworld_as_a_single_entity(admin: User) -> None:
    client = token_client(admin)
    pk = client.post("/api/v1/connections/", _body(), content_type="application/json").json()["id"]
    assert Connection.objects.get(pk=pk).single_entity is False  # OneWorld unless told
    response = client.patch(
        f"/api/v1/connections/{pk}/", {"single_entity": True}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["single_entity"] is True and Connection.objects.get(pk=pk).single_entity
    entry = AuditEntry.objects.get_for_object(Connection.objects.get(pk=pk)).filter(
        action=AuditEntry.Action.UPDATE
    )
    assert any("single_entity" in e.changes for e in entry)


def test_a_connection_name_with_a_nul_is_not_found_not_a_server_error(revops: User) -> None:
    """PostgreSQL refuses a NUL in a string literal: an input naming a connection says "not found"."""
    body = {"salesforce": "sf\x00prod", "reason": "refresh"}
    answer = token_client(revops).post("/api/v1/catalogue/sync/", body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert "salesforce" in answer.json()
