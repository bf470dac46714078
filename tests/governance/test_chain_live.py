"""The chain verifies after the writes a running console makes (issue 18): sign-ins through the login
form, API-token calls and htmx edits, each going through the middleware that fills the actor and the remote
address of the entry after it is built. Before the fix the hash was taken before those fields were filled
and the chain broke at the first sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from governance.chain import CHAIN_FIELDS, HASHED_FIELDS, entry_hash_compute
from governance.chain_verify import chain_verify
from governance.models import AccessEvent, ApiToken, AuditEntry
from governance.services import token_create
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.django_db


def new_entries(after: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=after).order_by("id"))


def last_pk() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def assert_intact() -> None:
    report = chain_verify()
    assert report.first_break is None, report.first_break
    assert report.checked == AuditEntry.objects.count()


def test_it_hashes_every_stored_column() -> None:
    columns = {field.attname for field in AuditEntry._meta.concrete_fields}
    assert columns - set(CHAIN_FIELDS) == set(HASHED_FIELDS)


def test_it_verifies_after_sign_ins_through_the_login_form(revops: User) -> None:
    mark = last_pk()
    client = Client(REMOTE_ADDR="192.0.2.17")
    failed = client.post(reverse("login"), {"username": "revops", "password": "wrong"})
    assert failed.status_code == 200
    signed_in = client.post(reverse("login"), {"username": "revops", "password": PERSONA_PASSWORD})
    assert signed_in.status_code == 302
    client.post(reverse("logout"))
    entries = new_entries(mark)
    events = [(entry.additional_data or {}).get("event") for entry in entries]
    assert events == [AccessEvent.LOGIN_FAILED, AccessEvent.LOGIN, AccessEvent.LOGOUT]
    # The middleware's values are stored, and they are what was hashed.
    assert {entry.remote_addr for entry in entries} == {"192.0.2.17"}
    assert [entry.actor for entry in entries] == [None, revops, revops]
    for entry in entries:
        assert entry.entry_hash == entry_hash_compute(entry, entry.prev_hash)
    assert_intact()


def test_it_verifies_after_api_token_calls_from_an_ipv6_address(revops: User) -> None:
    _, secret = token_create(user=revops, name="script")
    mark = last_pk()
    # A non-canonical IPv6 address and a forwarded port: stored in the canonical form, hashed as stored.
    client = Client(
        REMOTE_ADDR="2001:0db8:0000:0000:0000:0000:0000:0042",
        headers={"Authorization": f"Bearer {secret}", "X-Forwarded-Port": "8443"},
    )
    created = client.post("/api/v1/tokens/", {"name": "ci"}, content_type="application/json")
    assert created.status_code == 201
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert client.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 200
    entries = new_entries(mark)
    assert len(entries) == 2
    assert {(e.actor, e.remote_addr, e.remote_port) for e in entries} == {(revops, "2001:db8::42", 8443)}
    assert_intact()


def test_it_verifies_after_htmx_edits(admin: User, finance: User) -> None:
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.force_login(admin)
    mark = last_pk()
    url = reverse("governance:user-access", args=[finance.pk])
    for action in ("grant", "revoke", "grant"):
        response = client.post(
            url, {"kind": "flow", "target": "all", "action": action}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
    entries = new_entries(mark)
    assert len(entries) >= 3
    assert {(entry.actor, entry.remote_addr) for entry in entries} == {(admin, "198.51.100.4")}
    assert len({entry.cid for entry in entries}) >= 3  # one correlation id per request
    assert_intact()
