"""The audit trail: one entry per change, with the actor and remote address when a person made it."""

from __future__ import annotations

import json

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.test import Client

from governance import services
from governance.audit import NOT_CHANGED_BY_PEOPLE
from governance.models import AccessEvent, AuditEntry
from tests.conftest import PERSONA_PASSWORD

LOCAL_APPS = ("console", "sync", "reconciliation", "governance")


def new_entries(since: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(pk__gt=since).order_by("pk"))


def last_pk() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_it_follows_every_model_a_person_can_change() -> None:
    models: list[type[Model]] = [User, Group]
    models += [model for app in LOCAL_APPS for model in apps.get_app_config(app).get_models()]
    unaudited = [
        m._meta.label
        for m in models
        if not auditlog.contains(m) and m._meta.label not in NOT_CHANGED_BY_PEOPLE
    ]
    assert unaudited == [], "register these in the audit trail, or list them in NOT_CHANGED_BY_PEOPLE"


@pytest.mark.django_db
def test_it_writes_one_entry_per_change_made_through_a_service() -> None:
    mark = last_pk()
    user = services.user_create(username="dana", email="dana@concord.example")
    (created,) = new_entries(mark)
    assert (created.action, created.object_pk) == (AuditEntry.Action.CREATE, str(user.pk))

    mark = last_pk()
    services.user_update(user=user, email="dana@example.org", first_name="Dana", last_name="Doe")
    (updated,) = new_entries(mark)
    assert updated.action == AuditEntry.Action.UPDATE
    assert updated.changes["email"] == ["dana@concord.example", "dana@example.org"]

    mark = last_pk()
    services.user_roles_set(user=user, roles=["Finance", "Auditor"])
    (granted,) = new_entries(mark)
    assert granted.changes == {"roles": ["none", "Auditor, Finance"]}

    mark = last_pk()
    services.user_roles_set(user=user, roles=["RevOps"])
    (swapped,) = new_entries(mark)
    assert swapped.changes == {"roles": ["Auditor, Finance", "RevOps"]}

    mark = last_pk()
    services.user_set_active(user=user, is_active=False)
    (deactivated,) = new_entries(mark)
    assert deactivated.changes == {"is_active": ["True", "False"]}


@pytest.mark.django_db
def test_it_writes_nothing_when_nothing_changed() -> None:
    user = services.user_create(username="erin")
    services.user_roles_set(user=user, roles=["Auditor"])
    mark = last_pk()
    services.user_roles_set(user=user, roles=["Auditor"])
    services.user_set_active(user=user, is_active=True)
    assert new_entries(mark) == []


@pytest.mark.django_db
def test_it_never_records_a_password() -> None:
    mark = last_pk()
    user = services.user_create(username="frank", password="correct horse battery staple")
    user.set_password("another secret value")
    user.save()
    stored = json.dumps([e.changes for e in new_entries(mark)])
    assert "password" not in stored and "pbkdf2" not in stored and "md5" not in stored


def test_it_records_who_changed_what_from_where_through_the_console(admin: User, revops: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    client.force_login(admin)
    mark = last_pk()
    response = client.post(
        f"/governance/users/{revops.pk}/roles/", {"roles": ["RevOps", "Auditor"]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    (entry,) = new_entries(mark)
    assert entry.actor == admin
    assert entry.remote_addr == "203.0.113.7"
    assert entry.cid == response.headers["X-Correlation-ID"]
    assert entry.changes == {"roles": ["RevOps", "Auditor, RevOps"]}
    assert b'value="Auditor" checked>' in response.content


def test_it_believes_x_forwarded_for_only_behind_a_proxy(
    admin: User, revops: User, settings: pytest.FixtureRequest
) -> None:
    client = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.9")
    client.force_login(admin)
    mark = last_pk()
    client.post(f"/governance/users/{revops.pk}/active/", {})
    assert new_entries(mark)[-1].remote_addr == "10.0.0.5"

    settings.BEHIND_PROXY = True  # type: ignore[attr-defined]
    mark = last_pk()
    client.post(f"/governance/users/{revops.pk}/active/", {"is_active": "on"})
    assert new_entries(mark)[-1].remote_addr == "198.51.100.9"


def test_it_audits_logins_and_logouts(revops: User) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    mark = last_pk()
    client.post("/accounts/login/", {"username": "revops", "password": PERSONA_PASSWORD})
    client.post("/accounts/logout/")
    login, logout = new_entries(mark)
    assert login.action == logout.action == AuditEntry.Action.ACCESS
    assert [login.additional_data["event"], logout.additional_data["event"]] == ["login", "logout"]
    assert login.actor == logout.actor == revops
    assert login.remote_addr == logout.remote_addr == "192.0.2.10"
    assert login.object_pk == str(revops.pk)


@pytest.mark.parametrize("username", ["revops", "nobody-by-this-name"])
def test_it_audits_failed_logins_without_the_password(revops: User, username: str) -> None:
    client = Client(REMOTE_ADDR="192.0.2.66")
    mark = last_pk()
    response = client.post("/accounts/login/", {"username": username, "password": "Wrong-Guess-123"})
    assert response.status_code == 200
    (entry,) = new_entries(mark)
    assert entry.additional_data == {"event": AccessEvent.LOGIN_FAILED.value, "username": username}
    assert entry.actor is None
    assert entry.remote_addr == "192.0.2.66"
    assert entry.object_pk == (str(revops.pk) if username == "revops" else "")
    flattened = json.dumps([entry.object_repr, entry.changes, entry.additional_data, entry.changes_text])
    assert "Wrong-Guess-123" not in flattened


def test_it_refuses_to_let_an_admin_lock_themselves_out(admin: User) -> None:
    with pytest.raises(ValidationError):
        services.user_roles_set(user=admin, roles=["RevOps"], actor=admin)
    with pytest.raises(ValidationError):
        services.user_set_active(user=admin, is_active=False, actor=admin)


def test_it_shows_the_refusal_in_the_row(admin_client: Client, admin: User) -> None:
    response = admin_client.post(f"/governance/users/{admin.pk}/active/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"You cannot deactivate your own account." in response.content
    admin.refresh_from_db()
    assert admin.is_active


def test_it_redirects_a_plain_form_post_back_to_the_list(admin_client: Client, finance: User) -> None:
    response = admin_client.post(f"/governance/users/{finance.pk}/roles/", {"roles": ["Finance"]})
    assert response.status_code == 302 and response["Location"] == "/governance/users/"


@pytest.mark.parametrize("username", ["revops", "finance", "auditor"])
def test_it_refuses_user_changes_to_non_admins(
    request: pytest.FixtureRequest, username: str, revops: User
) -> None:
    client: Client = request.getfixturevalue(f"{username}_client")
    mark = last_pk()
    assert client.post(f"/governance/users/{revops.pk}/roles/", {"roles": ["Admin"]}).status_code == 403
    assert client.post(f"/governance/users/{revops.pk}/active/", {}).status_code == 403
    revops.refresh_from_db()
    assert revops.is_active and not revops.groups.filter(name="Admin").exists()
    assert new_entries(mark) == []
