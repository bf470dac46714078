"""API tokens: made by each person for themselves, kept only hashed, revoked by their owner or an admin."""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.models import User
from django.test import Client

from governance.models import ApiToken, AuditEntry
from governance.services import token_create
from tests.api_support import token_client


def _secret(html: str) -> str:
    found = re.search(r'<code class="secret">([^<]+)</code>', html)
    assert found, "the new token's secret is shown once"
    return found.group(1)


def test_it_shows_a_new_tokens_secret_once_and_keeps_only_its_hash(
    revops_client: Client, revops: User
) -> None:
    response = revops_client.post("/governance/tokens/", {"name": "nightly export"})
    assert response.status_code == 200
    secret = _secret(response.content.decode())
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (revops, "nightly export", secret[:16])
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    page = revops_client.get("/governance/tokens/").content.decode()
    assert token.prefix in page and secret not in page
    entry = AuditEntry.objects.get_for_object(token).get()
    assert entry.actor == revops and entry.action == AuditEntry.Action.CREATE
    assert secret not in str(entry.changes) + str(entry.additional_data)
    assert token.key_hash not in str(entry.changes) + str(entry.additional_data)


def test_it_refuses_a_token_without_a_name(revops_client: Client) -> None:
    assert revops_client.post("/governance/tokens/", {"name": ""}).status_code == 400
    assert not ApiToken.objects.exists()


def test_it_lists_ones_own_tokens_and_an_admin_everyones(
    revops: User, finance: User, finance_client: Client, admin_client: Client
) -> None:
    token_create(user=revops, name="revops-script")
    token_create(user=finance, name="finance-script")
    assert "revops-script" not in finance_client.get("/governance/tokens/").content.decode()
    everyone = admin_client.get("/governance/tokens/").content.decode()
    assert "revops-script" in everyone and "finance-script" in everyone


def test_it_lets_the_owner_and_an_admin_revoke_but_nobody_else(
    revops: User, admin: User, revops_client: Client, finance_client: Client, admin_client: Client
) -> None:
    own, _ = token_create(user=revops, name="one")
    other, _ = token_create(user=revops, name="two")
    assert finance_client.post(f"/governance/tokens/{own.pk}/revoke/").status_code == 404
    assert revops_client.post(f"/governance/tokens/{own.pk}/revoke/").status_code == 302
    assert admin_client.post(f"/governance/tokens/{other.pk}/revoke/").status_code == 302
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.revoked_by == revops and other.revoked_by == admin
    entry = AuditEntry.objects.get_for_object(other).get(action=AuditEntry.Action.UPDATE)
    assert entry.actor == admin and entry.additional_data["event"] == "api_token_revoked"


def test_it_creates_and_revokes_tokens_through_the_api(revops: User, finance: User) -> None:
    client = token_client(revops)
    created = client.post("/api/v1/tokens/", {"name": "ci"}, content_type="application/json")
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/flows/").status_code == 200
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert {row["name"] for row in listed} == {"tests", "ci"} and all("secret" not in row for row in listed)
    token_id = created.json()["id"]
    assert token_client(finance).post(f"/api/v1/tokens/{token_id}/revoke/").status_code == 404
    assert client.post(f"/api/v1/tokens/{token_id}/revoke/").json()["revoked_by"] == "revops"
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/flows/").status_code == 401
