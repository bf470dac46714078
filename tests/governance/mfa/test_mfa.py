"""TOTP two-factor authentication: required of Admin and Finance when set, enrolment, verification, resets.

Codes are computed here with django-otp's own TOTP function from the device's key, as an authenticator
app would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from governance.models import AuditEntry
from governance.services import token_create, user_create, user_roles_set
from tests.conftest import PERSONA_PASSWORD

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def mfa_for_admin_and_finance(settings: Any) -> Any:
    cache.clear()
    settings.MFA_REQUIRED_ROLES = ["Admin", "Finance"]
    return settings


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows (``steps_ahead`` 30-second steps later: within the tolerance)."""
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{value:0{device.digits}d}"


def password_sign_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PERSONA_PASSWORD})
    assert response.status_code == 302
    return client


def enrol(client: Client, user: User) -> TOTPDevice:
    assert client.get("/accounts/mfa/enrol/").status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/mfa/enrol/", {"token": code(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    return TOTPDevice.objects.get(user=user, confirmed=True)


def test_an_admin_enrols_then_verifies_at_each_sign_in(admin: User) -> None:
    client = password_sign_in("admin")
    response = client.get("/setup/")
    assert response.status_code == 302 and response["Location"] == "/accounts/mfa/enrol/?next=%2Fsetup%2F"
    page = client.get(response["Location"]).content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert "otpauth://totp/Concord%3Aadmin?secret=" in page
    assert client.get("/accounts/mfa/enrol/").status_code == 200  # a reload keeps the same secret
    assert TOTPDevice.objects.filter(user=admin).count() == 1
    # A wrong code: 400, nothing confirmed, audited.
    response = client.post(
        "/accounts/mfa/enrol/", {"token": "000000" if code(device) != "000000" else "111111"}
    )
    assert response.status_code == 400 and b"That code is not right" in response.content
    assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    assert AuditEntry.objects.filter(object_pk=str(admin.pk), additional_data__event="mfa_failed").exists()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    response = client.post("/accounts/mfa/enrol/", {"token": code(device), "next": "/setup/"})
    assert response.status_code == 302 and response["Location"] == "/setup/"
    assert client.get("/setup/").status_code == 200
    entry = AuditEntry.objects.filter(object_pk=str(admin.pk), changes__has_key="second_factor").get()
    assert entry.changes_dict["second_factor"] == ["none", "TOTP device"]
    # The next sign-in asks for a code, not a new enrolment; a replayed code is refused.
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    second = password_sign_in("admin")
    response = second.get("/")
    assert response["Location"] == "/accounts/mfa/verify/?next=%2F"
    assert second.get("/accounts/mfa/enrol/")["Location"] == "/accounts/mfa/verify/"
    assert second.post("/accounts/mfa/verify/", {"token": code(device)}).status_code == 400  # used already
    time.sleep(1.1)  # django-otp refuses any code for 1 s after a failure (doubling with each one)
    assert second.post("/accounts/mfa/verify/", {"token": code(device, 1)}).status_code == 302
    assert second.get("/").status_code == 200
    assert AuditEntry.objects.filter(object_pk=str(admin.pk), additional_data__event="mfa_verified").exists()


def test_roles_not_listed_sign_in_with_a_password_alone(revops: User, auditor: User) -> None:
    assert password_sign_in("revops").get("/").status_code == 200
    assert password_sign_in("auditor").get("/").status_code == 200


def test_nobody_needs_it_when_no_role_is_listed(admin: User, mfa_for_admin_and_finance: Any) -> None:
    mfa_for_admin_and_finance.MFA_REQUIRED_ROLES = []
    assert password_sign_in("admin").get("/").status_code == 200


def test_api_tokens_are_not_affected_but_an_unverified_session_is_refused(finance: User) -> None:
    _token, secret = token_create(user=finance, name="script")
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/flows/").status_code == 200
    response = password_sign_in("finance").get("/api/v1/flows/")
    assert response.status_code == 403 and "second factor" in response.json()["detail"]


@pytest.fixture
def second_admin(admin: User) -> User:
    other = user_create(username="admin2", password=PERSONA_PASSWORD)
    return user_roles_set(user=other, roles=["Admin"])


def test_an_admin_resets_anothers_lost_device_and_they_enrol_again(admin: User, second_admin: User) -> None:
    enrol(password_sign_in("admin"), admin)
    helper = password_sign_in("admin2")
    enrol(helper, second_admin)
    page = helper.get(f"/governance/users/{admin.pk}/").content.decode()
    assert "Reset second factor" in page and "enrolled" in page
    response = helper.post(f"/governance/users/{admin.pk}/mfa/reset/", {"reason": "phone lost"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=admin).exists()
    entry = AuditEntry.objects.filter(object_pk=str(admin.pk), additional_data__event="mfa_reset").get()
    assert entry.actor == second_admin and entry.additional_data["reason"] == "phone lost"
    assert entry.changes_dict["second_factor"] == ["TOTP device", "none"]
    # The next sign-in starts a new enrolment with a new secret.
    assert password_sign_in("admin").get("/")["Location"].startswith("/accounts/mfa/enrol/")


def test_nobody_resets_their_own_device(admin: User, second_admin: User) -> None:
    client = password_sign_in("admin")
    enrol(client, admin)
    client.post(f"/governance/users/{admin.pk}/mfa/reset/", {})
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()
    assert "Reset second factor" not in client.get(f"/governance/users/{admin.pk}/").content.decode()


def test_the_api_resets_a_device_for_admins_only(admin: User, finance: User) -> None:
    enrol(password_sign_in("finance"), finance)
    _token, finance_secret = token_create(user=finance, name="f")
    url = f"/api/v1/users/{admin.pk}/mfa-reset/"
    assert Client(headers={"Authorization": f"Bearer {finance_secret}"}).post(url).status_code == 403
    _token, secret = token_create(user=admin, name="a")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    response = api.post(f"/api/v1/users/{finance.pk}/mfa-reset/", {"reason": "new phone"}, "application/json")
    assert response.status_code == 200 and response.json() == {"removed": 1}
    again = api.post(f"/api/v1/users/{finance.pk}/mfa-reset/", {}, "application/json")
    assert again.json() == {"removed": 0}  # nothing left
    assert api.post("/api/v1/users/999999/mfa-reset/").status_code == 404
    assert (
        AuditEntry.objects.filter(object_pk=str(finance.pk), additional_data__event="mfa_reset").count() == 2
    )


def test_the_command_resets_a_device_and_names_a_bad_username(admin: User, finance: User) -> None:
    enrol(password_sign_in("finance"), finance)
    out = StringIO()
    call_command("mfa_reset", "finance", "--user", "admin", "--reason", "ticket 12", stdout=out)
    assert "second factor of finance reset" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=finance).exists()
    entry = AuditEntry.objects.filter(object_pk=str(finance.pk), additional_data__event="mfa_reset").get()
    assert entry.actor == admin and entry.additional_data["reason"] == "ticket 12"
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("mfa_reset", "nobody")
    with pytest.raises(CommandError, match="cannot reset your own"):
        call_command("mfa_reset", "admin", "--user", "admin")


def test_production_requires_it_of_admin_and_finance_and_the_demo_of_nobody() -> None:
    script = "from django.conf import settings; print(','.join(settings.MFA_REQUIRED_ROLES))"
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEYS": "W8YC5k1K8S5gq1gzVx0sepaZF-jbReo19Tg0Y95EO5U=",
    }
    env.pop("MFA_REQUIRED_ROLES", None)
    env["DJANGO_SETTINGS_MODULE"] = "console.settings"
    found = {}
    for debug in ("0", "1"):
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {script}"],
            env={**env, "DEBUG": debug},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        found[debug] = result.stdout.strip()
    assert found == {"0": "Admin,Finance", "1": ""}
