"""Login throttling: a username tried from one address is blocked after too many failures, and audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from governance.models import AuditEntry
from tests.conftest import PERSONA_PASSWORD


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    cache.clear()


def sign_in(client: Client, password: str) -> int:
    response = client.post("/accounts/login/", {"username": "revops", "password": password})
    return response.status_code


def test_it_blocks_a_username_and_address_after_five_failures(revops: User, settings: object) -> None:
    client = Client(REMOTE_ADDR="192.0.2.50")
    for _ in range(5):
        assert sign_in(client, "wrong-guess") == 200
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # Even the right password is refused now, and the refusal is audited (no password in it).
    response = client.post("/accounts/login/", {"username": "revops", "password": PERSONA_PASSWORD})
    assert response.status_code == 200 and b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    (entry,) = AuditEntry.objects.filter(pk__gt=mark)
    assert entry.additional_data == {"event": "login_throttled", "username": "revops"}
    assert entry.remote_addr == "192.0.2.50"
    # Another address is not blocked.
    assert sign_in(Client(REMOTE_ADDR="192.0.2.51"), PERSONA_PASSWORD) == 302


def test_it_forgets_failures_after_a_successful_sign_in(revops: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.60")
    for _ in range(4):
        sign_in(client, "wrong-guess")
    assert sign_in(client, PERSONA_PASSWORD) == 302
    client.logout()
    for _ in range(4):
        sign_in(client, "wrong-guess")
    assert sign_in(client, PERSONA_PASSWORD) == 302


def test_it_blocks_one_username_tried_from_many_addresses(revops: User, settings: object) -> None:
    settings.LOGIN_THROTTLE_USERNAME_FAILURES = 6  # type: ignore[attr-defined]
    for n in range(6):  # one failure each from six addresses: no pair reaches five
        assert sign_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), "wrong-guess") == 200
    response = Client(REMOTE_ADDR="198.51.100.99").post(
        "/accounts/login/", {"username": "revops", "password": PERSONA_PASSWORD}
    )
    assert b"Too many failed sign-in attempts" in response.content
    # Another account is not blocked from those addresses.
    other = Client(REMOTE_ADDR="198.51.100.1")
    assert other.post(
        "/accounts/login/", {"username": "finance", "password": PERSONA_PASSWORD}
    ).status_code in (
        200,
        302,
    )
    assert b"Too many" not in other.post("/accounts/login/", {"username": "nobody", "password": "x"}).content


def test_it_blocks_one_address_trying_many_usernames(revops: User, settings: object) -> None:
    settings.LOGIN_THROTTLE_ADDRESS_FAILURES = 6  # type: ignore[attr-defined]
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(6):  # password spraying: a different username each time
        response = client.post("/accounts/login/", {"username": f"guess{n}", "password": "Summer2026!"})
        assert b"Too many" not in response.content
    # Now even a real account with its right password is refused from that address...
    response = client.post("/accounts/login/", {"username": "revops", "password": PERSONA_PASSWORD})
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    # ...but not from another address, and a success elsewhere does not reset the address's count.
    assert sign_in(Client(REMOTE_ADDR="203.0.113.8"), PERSONA_PASSWORD) == 302
    assert b"Too many" in client.post("/accounts/login/", {"username": "revops", "password": "x"}).content
