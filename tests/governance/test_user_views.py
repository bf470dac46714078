"""A user's page: roles, activation, the last-admin guard, subsidiary and flow grants, each change audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from governance import services
from governance.access_grants import user_access, user_access_grant
from governance.models import AuditEntry
from sync.exceptions.models import Subsidiary, SubsidiaryUserPermission
from sync.exceptions.permissions import exceptions_visible_to
from sync.mappings.models import Flow
from sync.mappings.permissions import flow_edit_allowed
from tests.governance.test_audit import last_pk, new_entries
from tests.sync.exceptions.support import raise_sample


@pytest.fixture
def subsidiaries(db: None) -> tuple[Subsidiary, Subsidiary]:
    return Subsidiary.objects.create(key="SUB-A", name="Acme EMEA"), Subsidiary.objects.create(key="SUB-B")


@pytest.fixture
def flow(db: None) -> Flow:
    return Flow.objects.create(key="opportunity_to_netsuite", source="Opportunity", direction="SF -> NS")


def _access(client: Client, user: User, **data: str) -> int:
    url = reverse("governance:user-access", args=[user.pk])
    return client.post(url, data, HTTP_HX_REQUEST="true").status_code


# Deactivation and reactivation -------------------------------------------------------------------------


def test_it_ends_a_deactivated_users_sessions(
    admin_client: Client, revops: User, revops_client: Client
) -> None:
    assert revops_client.get(reverse("dashboard")).status_code == 200
    mark = last_pk()
    admin_client.post(reverse("governance:user-active", args=[revops.pk]), {})
    response = revops_client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert revops_client.get(reverse("sync:mappings")).status_code == 302
    (entry,) = new_entries(mark)
    assert entry.changes == {"is_active": ["True", "False"]}
    assert entry.actor is not None and entry.actor.username == "admin"
    assert User.objects.filter(pk=revops.pk).exists()  # never deleted

    mark = last_pk()
    admin_client.post(reverse("governance:user-active", args=[revops.pk]), {"is_active": "on"})
    (reactivated,) = new_entries(mark)
    assert reactivated.changes == {"is_active": ["False", "True"]}
    revops_client.force_login(revops)
    assert revops_client.get(reverse("dashboard")).status_code == 200


@pytest.fixture
def user_manager(db: None) -> User:
    """Someone who manages users without holding the Admin role (manage_users given directly)."""
    manager = services.user_create(username="people-ops", password="Quill-Harbour-5512")
    services.user_roles_set(user=manager, roles=["Auditor"])
    manager.user_permissions.add(Permission.objects.get(codename="manage_users"))
    return manager


def test_it_refuses_to_deactivate_the_last_admin(admin: User, user_manager: User) -> None:
    client = Client()
    client.force_login(user_manager)
    mark = last_pk()
    response = client.post(reverse("governance:user-active", args=[admin.pk]), {}, HTTP_HX_REQUEST="true")
    assert b"they are the last admin" in response.content
    admin.refresh_from_db()
    assert admin.is_active and new_entries(mark) == []
    with pytest.raises(ValidationError, match="last admin"):
        services.user_set_active(user=admin, is_active=False)


def test_it_refuses_to_remove_the_admin_role_from_the_last_admin(admin: User, user_manager: User) -> None:
    with pytest.raises(ValidationError, match="last admin"):
        services.user_roles_set(user=admin, roles=["RevOps"], actor=user_manager)
    assert admin.groups.filter(name="Admin").exists()


def test_it_lets_an_admin_go_when_another_can_sign_in(admin: User, admin_client: Client) -> None:
    second = services.user_create(username="second-admin", password="Copper-Meadow-7720")
    services.user_roles_set(user=second, roles=["Admin"])
    invitee = services.user_create(username="invited-admin")  # no password yet: does not count
    services.user_roles_set(user=invitee, roles=["Admin"])
    services.user_set_active(user=admin, is_active=False, actor=second)
    with pytest.raises(ValidationError, match="last admin"):
        services.user_set_active(user=second, is_active=False)


def test_it_audits_a_role_change_made_on_the_users_page(
    admin_client: Client, admin: User, finance: User
) -> None:
    mark = last_pk()
    url = reverse("governance:user-roles", args=[finance.pk])
    admin_client.post(url, {"roles": ["Finance", "Auditor"]}, HTTP_HX_REQUEST="true")
    (entry,) = new_entries(mark)
    assert (entry.actor, entry.object_pk) == (admin, str(finance.pk))
    assert entry.changes == {"roles": ["Finance", "Auditor, Finance"]}


# The user's page -----------------------------------------------------------------------------------------


def test_it_shows_a_users_roles_and_grants(
    admin_client: Client, finance: User, subsidiaries: tuple[Subsidiary, Subsidiary], flow: Flow
) -> None:
    user_access_grant(user=finance, kind="subsidiary", target=subsidiaries[0], actor=None)
    user_access_grant(user=finance, kind="flow", target=flow, actor=None)
    page = admin_client.get(reverse("governance:user", args=[finance.pk])).content.decode()
    assert "Frances Finance" in page
    assert 'value="Finance" checked' in page
    assert "SUB-A" in page and "Acme EMEA" in page and "opportunity_to_netsuite" in page
    assert "Revoke" in page and "Grant" in page


def test_it_shows_the_auditor_the_page_without_any_form(
    auditor_client: Client, revops: User, subsidiaries: tuple[Subsidiary, Subsidiary]
) -> None:
    page = auditor_client.get(reverse("governance:user", args=[revops.pk])).content.decode()
    assert "all subsidiaries, through a role" in page and "all flows, through a role" in page
    assert 'name="action"' not in page and "Save roles" not in page and "Deactivate" not in page
    assert "History" in page


def test_it_answers_404_for_a_missing_user(admin_client: Client) -> None:
    assert admin_client.get(reverse("governance:user", args=[999_999])).status_code == 404


# Subsidiary and flow grants ---------------------------------------------------------------------------


def test_it_grants_and_revokes_a_subsidiary_with_one_audit_entry_each(
    admin_client: Client, admin: User, finance: User, subsidiaries: tuple[Subsidiary, Subsidiary]
) -> None:
    sub_a, sub_b = subsidiaries
    item = raise_sample(subsidiary="SUB-A")
    assert not exceptions_visible_to(finance).filter(pk=item.pk).exists()

    mark = last_pk()
    assert _access(admin_client, finance, kind="subsidiary", target=str(sub_a.pk), action="grant") == 200
    (granted,) = new_entries(mark)
    assert (granted.actor, granted.object_pk, granted.action) == (
        admin,
        str(finance.pk),
        AuditEntry.Action.UPDATE,
    )
    assert granted.changes == {"subsidiary_grants": ["none", "SUB-A"]}
    assert granted.additional_data == {"event": "subsidiary_grant", "subsidiary": "SUB-A"}
    finance = User.objects.get(pk=finance.pk)
    assert exceptions_visible_to(finance).filter(pk=item.pk).exists()

    mark = last_pk()
    _access(admin_client, finance, kind="subsidiary", target="all", action="grant")
    (everything,) = new_entries(mark)
    assert everything.changes == {"subsidiary_grants": ["SUB-A", "all, SUB-A"]}

    mark = last_pk()
    _access(admin_client, finance, kind="subsidiary", target=str(sub_a.pk), action="revoke")
    _access(admin_client, finance, kind="subsidiary", target="all", action="revoke")
    assert [e.changes for e in new_entries(mark)] == [
        {"subsidiary_grants": ["all, SUB-A", "all"]},
        {"subsidiary_grants": ["all", "none"]},
    ]
    assert not SubsidiaryUserPermission.objects.filter(user=finance).exists()
    assert not exceptions_visible_to(User.objects.get(pk=finance.pk)).filter(pk=item.pk).exists()


def test_it_writes_nothing_when_a_grant_changes_nothing(
    admin_client: Client, finance: User, subsidiaries: tuple[Subsidiary, Subsidiary]
) -> None:
    _access(admin_client, finance, kind="subsidiary", target=str(subsidiaries[1].pk), action="grant")
    mark = last_pk()
    _access(admin_client, finance, kind="subsidiary", target=str(subsidiaries[1].pk), action="grant")
    _access(admin_client, finance, kind="subsidiary", target=str(subsidiaries[0].pk), action="revoke")
    assert new_entries(mark) == []


def test_it_grants_and_revokes_a_flow(admin_client: Client, admin: User, finance: User, flow: Flow) -> None:
    assert not flow_edit_allowed(finance, flow)
    mark = last_pk()
    _access(admin_client, finance, kind="flow", target=str(flow.pk), action="grant")
    (granted,) = new_entries(mark)
    assert granted.actor == admin
    assert granted.changes == {"flow_grants": ["none", "opportunity_to_netsuite"]}
    assert flow_edit_allowed(User.objects.get(pk=finance.pk), flow)
    assert [str(f) for f in user_access(user=finance).flows.objects] == ["opportunity_to_netsuite"]

    mark = last_pk()
    _access(admin_client, finance, kind="flow", target=str(flow.pk), action="revoke")
    (revoked,) = new_entries(mark)
    assert revoked.changes == {"flow_grants": ["opportunity_to_netsuite", "none"]}
    assert not flow_edit_allowed(User.objects.get(pk=finance.pk), flow)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "subsidiary", "target": "999999", "action": "grant"},
        {"kind": "team", "target": "all", "action": "grant"},
        {"kind": "flow", "target": "all", "action": "delete"},
    ],
)
def test_it_refuses_a_malformed_grant(admin_client: Client, finance: User, data: dict[str, str]) -> None:
    mark = last_pk()
    assert admin_client.post(reverse("governance:user-access", args=[finance.pk]), data).status_code == 400
    assert new_entries(mark) == []


def test_it_refuses_to_grant_to_a_deactivated_user(
    admin_client: Client, finance: User, subsidiaries: tuple[Subsidiary, Subsidiary]
) -> None:
    services.user_set_active(user=finance, is_active=False)
    url = reverse("governance:user-access", args=[finance.pk])
    data = {"kind": "subsidiary", "target": str(subsidiaries[0].pk), "action": "grant"}
    response = admin_client.post(url, data, HTTP_HX_REQUEST="true")
    assert b"reactivate them first" in response.content
    assert not SubsidiaryUserPermission.objects.filter(user=finance).exists()


@pytest.mark.parametrize("username", ["revops", "finance", "auditor"])
def test_it_refuses_grants_to_non_admins(
    request: pytest.FixtureRequest, username: str, finance: User, subsidiaries: tuple[Subsidiary, Subsidiary]
) -> None:
    client: Client = request.getfixturevalue(f"{username}_client")
    data = {"kind": "subsidiary", "target": "all", "action": "grant"}
    assert client.post(reverse("governance:user-access", args=[finance.pk]), data).status_code == 403
    assert not finance.user_permissions.exists()
