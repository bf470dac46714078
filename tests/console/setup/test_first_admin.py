"""The first administrator of an empty installation, through the browser with the server's setup code."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from core.roles import MANAGE_USERS
from governance.first_admin import first_admin_create, setup_code_path
from governance.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/setup/first-admin/"
PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture(autouse=True)
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def _code() -> str:
    return setup_code_path().read_text().strip()


def _form(code: str, **changes: str) -> dict[str, str]:
    return {
        "code": code,
        "username": "ada",
        "email": "ada@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **changes,
    }


def test_an_empty_install_sends_the_visitor_from_login_to_the_first_admin_page() -> None:
    client = Client()
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == URL
    page = response.content.decode()
    assert str(setup_code_path()) in page
    assert stat.S_IMODE(setup_code_path().stat().st_mode) == 0o600
    assert len(_code()) >= 40


def test_the_code_stays_the_same_across_visits() -> None:
    client = Client()
    client.get(URL)
    first = _code()
    client.get(URL)
    assert _code() == first


def test_the_right_code_makes_an_admin_signed_in_and_deletes_the_code() -> None:
    client = Client()
    client.get(URL)
    response = client.post(URL, _form(_code()))
    assert response.status_code == 302 and response["Location"] == "/setup/"
    ada = User.objects.get(username="ada")
    assert ada.has_perm(MANAGE_USERS) and ada.email == "ada@example.com"
    assert list(ada.groups.values_list("name", flat=True)) == ["Admin"]
    assert not ada.is_superuser
    assert not setup_code_path().exists()
    assert client.get("/setup/").status_code == 200  # signed in, with the role
    entry = AuditEntry.objects.get(additional_data__event="first_admin_created")
    assert entry.actor == ada


def test_a_wrong_code_is_refused_and_audited() -> None:
    client = Client()
    client.get(URL)
    response = client.post(URL, _form("not-the-code"))
    assert response.status_code == 400
    assert "not the setup code" in response.content.decode()
    assert not User.objects.exists()
    assert AuditEntry.objects.filter(additional_data__event="first_admin_refused").count() == 1
    assert setup_code_path().exists()  # the right code still works


def test_a_weak_password_is_refused_and_nothing_is_made() -> None:
    client = Client()
    client.get(URL)
    response = client.post(URL, _form(_code(), password1="password", password2="password"))
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    assert not User.objects.exists()


def test_differing_passwords_are_refused() -> None:
    client = Client()
    client.get(URL)
    response = client.post(URL, _form(_code(), password2=PASSWORD + "x"))
    assert response.status_code == 400 and "differ" in response.content.decode()
    assert not User.objects.exists()


def test_the_page_is_gone_once_a_user_exists(admin: User) -> None:
    client = Client()
    assert client.get(URL).status_code == 404
    assert client.post(URL, _form("anything")).status_code == 404
    assert not setup_code_path().exists()
    assert client.get("/accounts/login/").status_code == 200  # the ordinary sign-in page


def test_a_second_attempt_after_the_first_admin_is_gone() -> None:
    client = Client()
    client.get(URL)
    code = _code()
    assert client.post(URL, _form(code)).status_code == 302
    other = Client()
    assert other.post(URL, _form(code, username="mallory")).status_code == 404
    with pytest.raises(Exception, match="already has users"):
        first_admin_create(code=code, username="mallory", email="m@example.com", password=PASSWORD)
    assert list(User.objects.values_list("username", flat=True)) == ["ada"]


def test_createsuperuser_still_works_and_closes_the_page() -> None:
    call_command("createsuperuser", interactive=False, username="root", email="root@example.com", verbosity=0)
    assert Client().get(URL).status_code == 404
