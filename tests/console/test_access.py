"""Login is required on every page, and a user outside every role sees nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.conftest import ROLE_PERSONAS

AREA_PAGES = ["/", "/sync/", "/exceptions/", "/reconciliation/", "/governance/"]
EVERY_PAGE = [*AREA_PAGES, "/governance/users/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", EVERY_PAGE)
def test_it_sends_anonymous_visitors_to_the_login_page(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", EVERY_PAGE)
def test_it_shows_a_user_without_a_role_nothing(outsider_client: Client, path: str) -> None:
    response = outsider_client.get(path)
    assert response.status_code == 403
    assert b"no role in Concord" in response.content
    assert b'href="/sync/"' not in response.content


def test_it_lets_a_user_without_a_role_log_out(outsider_client: Client) -> None:
    response = outsider_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert outsider_client.get("/").status_code == 302


@pytest.mark.parametrize("username", ROLE_PERSONAS)
@pytest.mark.parametrize("path", AREA_PAGES)
def test_it_shows_every_area_to_every_role(
    persona_client: Callable[[str], Client], username: str, path: str
) -> None:
    assert persona_client(username).get(path).status_code == 200


@pytest.mark.parametrize(
    ("username", "status", "can_change"),
    [("admin", 200, True), ("auditor", 200, False), ("revops", 403, False), ("finance", 403, False)],
)
def test_it_shows_the_user_list_to_admins_and_auditors_and_changes_to_admins(
    persona_client: Callable[[str], Client], username: str, status: int, can_change: bool
) -> None:
    response = persona_client(username).get("/governance/users/")
    assert response.status_code == status
    assert (b"Save roles" in response.content) is can_change


@pytest.mark.parametrize(("username", "sees_audit"), [("auditor", True), ("admin", False), ("revops", False)])
def test_it_shows_the_audit_trail_to_auditors_only(
    persona_client: Callable[[str], Client], username: str, sees_audit: bool
) -> None:
    response = persona_client(username).get("/governance/")
    assert (b"Recent audit entries" in response.content) is sees_audit


def test_it_serves_the_login_page_to_anyone(client: Client, outsider: object) -> None:
    # Once any user exists; an empty installation sends the visitor to the first-admin page instead.
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_it_signs_a_persona_in_through_the_login_form(revops: object, client: Client) -> None:
    from tests.conftest import PERSONA_PASSWORD

    response = client.post("/accounts/login/", {"username": "revops", "password": PERSONA_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
