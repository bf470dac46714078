"""SSO sign-in against a real OpenID Connect provider: the authorization code flow over HTTP, end to end.

Concord runs in the test client; the provider (panva's oidc-provider, tests/governance/sso/conftest.py)
runs in Node on loopback. A requests.Session plays the browser at the provider (its sign-in form, its
redirects) and hands the way back (``/accounts/sso/callback/?code=...&state=...``) to the test client;
Concord then calls the provider's token, JWKS and userinfo endpoints itself.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client

from governance.models import AuditEntry, SsoIdentity
from governance.sso.config import role_map_parse
from tests.governance.sso.conftest import USERS, OidcProvider

pytestmark = pytest.mark.django_db


def provider_sign_in(client: Client, username: str, password: str) -> tuple[HttpResponseBase, list[str]]:
    """Start at Concord, sign in at the provider, come back: Concord's last answer, the provider's pages."""
    start = client.get("/accounts/sso/")
    assert start.status_code == 302, start
    browser = requests.Session()
    url, pages = start["Location"], list[str]()
    response = browser.get(url, allow_redirects=False, timeout=10)
    for _ in range(12):
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if urlsplit(url).netloc == "testserver":  # back to Concord: the test client takes over
                parts = urlsplit(url)
                return client.get(f"{parts.path}?{parts.query}"), pages
            response = browser.get(url, allow_redirects=False, timeout=10)
            continue
        pages.append(response.text)
        action = re.search(r'<form method="post" action="([^"]+)"', response.text)
        if action is None:
            break
        url = urljoin(url, action.group(1))
        response = browser.post(
            url, data={"username": username, "password": password}, allow_redirects=False, timeout=10
        )
        if not response.is_redirect:  # the provider refused the password and shows its form again
            pages.append(response.text)
            break
    return HttpResponse(status=599), pages


def role_names(user: User) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def test_it_signs_in_through_the_provider_and_maps_the_groups_claim_to_roles(
    sso_settings: Any, oidc_provider: OidcProvider
) -> None:
    client = Client()
    response, _pages = provider_sign_in(client, "fin", USERS["fin"]["password"])
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="fin")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert role_names(user) == ["Finance"]  # "everyone" maps to nothing
    assert user.email == "fin@example.com" and not user.has_usable_password()
    (identity,) = SsoIdentity.objects.filter(user=user)
    assert (identity.issuer, identity.subject) == (oidc_provider.issuer, "fin")
    # The role change is audited, says where it came from, and is flagged (Finance approves).
    entry = AuditEntry.objects.filter(object_pk=str(user.pk), changes__has_key="roles").get()
    assert entry.changes_dict["roles"] == ["none", "Finance"]
    assert entry.additional_data["reason"] == f"SSO sign-in: groups claim of {oidc_provider.issuer}"
    assert entry.additional_data["flag"] == "approving_role_granted"
    assert AuditEntry.objects.filter(object_pk=str(user.pk), additional_data__event="login").exists()
    assert client.get("/").status_code == 200


def test_a_second_sign_in_follows_the_groups_changed_at_the_provider(
    sso_settings: Any, oidc_provider: OidcProvider
) -> None:
    oidc_provider.set_groups("rev", ["concord-revops"])
    try:
        provider_sign_in(Client(), "rev", USERS["rev"]["password"])
        user = User.objects.get(username="rev")
        assert role_names(user) == ["RevOps"]
        oidc_provider.set_groups("rev", ["concord-admins", "concord-audit"])
        response, _ = provider_sign_in(Client(), "rev", USERS["rev"]["password"])
        assert response.status_code == 302
        assert User.objects.filter(sso_identities__subject="rev").count() == 1  # the same account
        assert role_names(user) == ["Admin", "Auditor"]
        oidc_provider.set_groups("rev", [])
        client = Client()
        provider_sign_in(client, "rev", USERS["rev"]["password"])
        assert role_names(user) == []  # every role removed: signed in, sees nothing
        assert client.get("/").status_code == 403
        changes = [
            e.changes_dict["roles"]
            for e in AuditEntry.objects.filter(object_pk=str(user.pk), changes__has_key="roles").order_by(
                "id"
            )
        ]
        assert changes == [["none", "RevOps"], ["RevOps", "Admin, Auditor"], ["Admin, Auditor", "none"]]
    finally:
        oidc_provider.set_groups("rev", ["concord-revops"])


def test_a_wrong_password_at_the_provider_signs_nobody_in(sso_settings: Any) -> None:
    client = Client()
    response, pages = provider_sign_in(client, "ada", "wrong")
    assert "Wrong username or password" in pages[-1]
    assert not User.objects.filter(username="ada").exists()
    assert "_auth_user_id" not in client.session


def test_a_deactivated_account_is_refused_and_the_refusal_audited(sso_settings: Any) -> None:
    provider_sign_in(Client(), "ada", USERS["ada"]["password"])
    user = User.objects.get(username="ada")
    user.is_active = False
    user.save()
    client = Client()
    response, _ = provider_sign_in(client, "ada", USERS["ada"]["password"])
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(object_pk=str(user.pk), additional_data__event="login_refused").exists()
    page = client.get(response["Location"])
    assert b"Single sign-on did not sign you in" in page.content


def test_a_forged_callback_signs_nobody_in(sso_settings: Any) -> None:
    client = Client()
    client.get("/accounts/sso/")
    response = client.get("/accounts/sso/callback/?code=made-up&state=made-up")
    assert response.status_code in (302, 400)
    assert "_auth_user_id" not in client.session


def test_the_login_page_offers_sso_only_when_it_is_set_up(sso_settings: Any, admin: User) -> None:
    assert b"Sign in with SSO" in Client().get("/accounts/login/").content
    sso_settings.OIDC_RP_CLIENT_ID = ""  # as console/settings.py then leaves the backend out
    sso_settings.AUTHENTICATION_BACKENDS = sso_settings.AUTHENTICATION_BACKENDS[:-1]
    assert b"Sign in with SSO" not in Client().get("/accounts/login/").content


def test_a_role_map_that_is_not_group_equals_role_is_refused_with_its_item() -> None:
    assert role_map_parse("a=Admin, b=Finance,") == {"a": "Admin", "b": "Finance"}
    with pytest.raises(ImproperlyConfigured, match="'admins' is not group=Role"):
        role_map_parse("admins,b=Finance")


def test_an_sso_admin_still_passes_a_second_factor(sso_settings: Any) -> None:
    sso_settings.MFA_REQUIRED_ROLES = ["Admin", "Finance"]
    client = Client()
    response, _ = provider_sign_in(client, "ada", USERS["ada"]["password"])
    assert response.status_code == 302  # signed in...
    assert client.get("/")["Location"] == "/accounts/mfa/enrol/?next=%2F"  # ...but not into the console yet
