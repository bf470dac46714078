"""Every URL of the project, tried by every persona, against a declared table of who may reach it.

A new view needs a line in ``ACCESS`` (keyed by its URL name, namespace included); a URL that is missing
from the table fails ``test_it_has_an_access_rule_for_every_url`` with its name. Path parameters are
filled from ``PATH_VALUES`` (add one when a new parameter name appears).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ROLES = frozenset({"revops", "finance", "admin", "auditor"})
EVERYONE = frozenset({*ROLES, "outsider", "anonymous"})
PERSONAS = ("revops", "finance", "admin", "auditor", "outsider", "anonymous")


@dataclass(frozen=True)
class Rule:
    method: str  # the method the view answers ("GET" or "POST"); the other is not tried
    allowed: frozenset[str]


# URL name -> who may use it. Everyone else must get 403 (or, when anonymous, the login page).
ACCESS: dict[str, Rule] = {
    "dashboard": Rule("GET", ROLES),
    "login": Rule("GET", EVERYONE),  # the sign-in page (signed-in users are sent on to the dashboard)
    "logout": Rule("POST", EVERYONE),
    "sync:index": Rule("GET", ROLES),
    "sync:exceptions": Rule("GET", ROLES),
    "reconciliation:index": Rule("GET", ROLES),
    "governance:index": Rule("GET", ROLES),
    "governance:users": Rule("GET", frozenset({"admin", "auditor"})),
    "governance:user-roles": Rule("POST", frozenset({"admin"})),
    "governance:user-active": Rule("POST", frozenset({"admin"})),
    "governance:audit": Rule("GET", frozenset({"auditor"})),
    "governance:audit-export": Rule("GET", frozenset({"auditor"})),
    "governance:audit-chain": Rule("GET", frozenset({"auditor"})),
}

# Path parameter name -> a value that exists in the test database (given the personas).
PATH_VALUES: dict[str, Callable[[], object]] = {
    "user_id": lambda: User.objects.get(username="revops").pk,
}


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def test_it_has_an_access_rule_for_every_url() -> None:
    names = {name for name, _ in url_names()}
    missing = sorted(names - ACCESS.keys())
    assert missing == [], (
        f"declare who may reach these URLs in tests/console/test_url_access.py ACCESS: {missing}"
    )
    stale = sorted(ACCESS.keys() - names)
    assert stale == [], f"ACCESS names URLs that no longer exist: {stale}"


def test_it_leaves_no_named_url_unnamed() -> None:
    # A pattern without a name could not be listed in ACCESS, so it would escape the walk below.
    unnamed = [
        str(p.pattern) for p in get_resolver().url_patterns if isinstance(p, URLPattern) and not p.name
    ]
    assert unnamed == []


def _url(name: str, pattern: URLPattern) -> str:
    kwargs = {}
    for parameter in pattern.pattern.regex.groupindex:
        if parameter not in PATH_VALUES:
            pytest.fail(f"no value for path parameter {parameter!r} of {name}: add it to PATH_VALUES")
        kwargs[parameter] = PATH_VALUES[parameter]()
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_lets_each_persona_reach_exactly_what_the_table_allows(
    persona: str, revops: User, finance: User, admin: User, auditor: User, outsider: User
) -> None:
    wrong: list[str] = []
    for name, pattern in sorted(url_names(), key=lambda item: item[0]):
        rule = ACCESS[name]
        client = Client()
        if persona != "anonymous":
            client.force_login(User.objects.get(username=persona))
        url = _url(name, pattern)
        response = client.post(url, {}) if rule.method == "POST" else client.get(url)
        login_page = reverse("login")
        refused = response.status_code == 403 or (
            response.status_code == 302 and response["Location"].startswith(login_page) and name != "logout"
        )
        allowed = persona in rule.allowed
        if allowed and (refused or response.status_code >= 400):
            wrong.append(f"{name} ({rule.method} {url}): {persona} should get in, got {response.status_code}")
        if not allowed and not refused:
            wrong.append(
                f"{name} ({rule.method} {url}): {persona} should be refused, got {response.status_code}"
            )
    assert wrong == []


def test_it_refuses_a_post_without_the_csrf_token(admin: User, revops: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(
        reverse("governance:user-roles", kwargs={"user_id": revops.pk}), {"roles": ["Finance"]}
    )
    assert response.status_code == 403
    assert not revops.groups.filter(name="Finance").exists()


def test_it_exempts_no_view_from_csrf() -> None:
    exempt = [name for name, pattern in url_names() if getattr(pattern.callback, "csrf_exempt", False)]
    assert exempt == []
