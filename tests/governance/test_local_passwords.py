"""LOCAL_PASSWORDS=0: no password form, a password POST refused and audited; break-glass excepted."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from governance.models import AuditEntry
from tests.conftest import PERSONA_PASSWORD


@pytest.fixture(autouse=True)
def passwords_off(settings: Any) -> Any:
    cache.clear()
    settings.LOCAL_PASSWORDS = False
    settings.LOCAL_PASSWORDS_BREAK_GLASS = ["admin"]
    return settings


def test_the_login_page_has_no_password_form(revops: User) -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert 'name="password"' not in page
    assert "single sign-on is not set up" in page  # and no SSO either here: the page says so


def test_a_password_sign_in_is_refused_with_a_clear_message_and_audited(revops: User) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "revops", "password": PERSONA_PASSWORD})
    assert response.status_code == 200
    assert b"Password sign-in is turned off on this installation: sign in with SSO." in response.content
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.filter(additional_data__event="login_refused").get()
    assert entry.additional_data["username"] == "revops"


def test_a_break_glass_account_still_signs_in_with_its_password(admin: User) -> None:
    page = Client().get("/accounts/login/?local=1").content.decode()
    assert 'name="password"' in page
    client = Client()
    response = client.post("/accounts/login/", {"username": "admin", "password": PERSONA_PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(admin.pk)


def test_turned_back_on_the_form_returns(revops: User, passwords_off: Any) -> None:
    passwords_off.LOCAL_PASSWORDS = True
    client = Client()
    assert 'name="password"' in client.get("/accounts/login/").content.decode()
    assert (
        client.post("/accounts/login/", {"username": "revops", "password": PERSONA_PASSWORD}).status_code
        == 302
    )
