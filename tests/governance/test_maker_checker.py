"""Maker-checker around people: nobody grants themselves a role or access, granting an approving role is
flagged in the audit trail (and findable there), and deactivating a user revokes their API tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from governance import groups, services
from governance.access_grants import group_access_grant, user_access_grant
from governance.models import ApiToken, AuditEntry, AuditFlag
from sync.exceptions.models import Subsidiary
from tests.api_support import token_client
from tests.governance.test_audit import last_pk, new_entries

FLAG = AuditFlag.APPROVING_ROLE_GRANTED.value


def _roles(user: User) -> list[str]:
    return sorted(
        user.groups.filter(name__in=["RevOps", "Finance", "Admin", "Auditor"]).values_list("name", flat=True)
    )


# Nobody grants themselves a role or access ---------------------------------------------------------------


def test_an_admin_cannot_give_themselves_a_role_on_the_users_page(admin_client: Client, admin: User) -> None:
    mark = last_pk()
    url = reverse("governance:user-roles", args=[admin.pk])
    response = admin_client.post(url, {"roles": ["Admin", "Finance"]}, HTTP_HX_REQUEST="true")
    assert b"You cannot give yourself a role" in response.content
    assert _roles(admin) == ["Admin"] and new_entries(mark) == []
    with pytest.raises(ValidationError, match="give yourself a role"):
        services.user_roles_set(user=admin, roles=["Admin", "RevOps"], actor=admin)
    # Giving up a role of one's own is not a grant.
    second = services.user_create(username="second-admin", password="Copper-Meadow-7720")
    services.user_roles_set(user=second, roles=["Admin", "Auditor"])
    services.user_roles_set(user=second, roles=["Admin"], actor=second)
    assert _roles(second) == ["Admin"]


def test_an_admin_cannot_grant_themselves_access(admin_client: Client, admin: User) -> None:
    sub_a = Subsidiary.objects.create(key="SUB-A")
    url = reverse("governance:user-access", args=[admin.pk])
    response = admin_client.post(
        url, {"kind": "subsidiary", "target": str(sub_a.pk), "action": "grant"}, HTTP_HX_REQUEST="true"
    )
    assert b"You cannot grant access to yourself" in response.content
    with pytest.raises(ValidationError, match="grant access to yourself"):
        user_access_grant(user=admin, kind="subsidiary", target=None, actor=admin)
    assert not admin.user_permissions.exists()


def test_an_admin_cannot_join_a_group_nor_grant_access_to_their_own(
    admin_client: Client, admin: User, finance: User
) -> None:
    emea = groups.group_create(name="Finance EMEA", actor=admin)
    members = reverse("governance:group-members", args=[emea.pk])
    admin_client.post(members, {"user": admin.pk, "action": "add"})
    assert not emea.user_set.filter(pk=admin.pk).exists()
    with pytest.raises(ValidationError, match="add yourself to a group"):
        groups.group_member_add(group=emea, user=admin, actor=admin)
    # Put there by someone else, they still cannot widen the group's access themselves.
    other = services.user_create(username="other-admin", password="Copper-Meadow-7720")
    services.user_roles_set(user=other, roles=["Admin"])
    groups.group_member_add(group=emea, user=admin, actor=other)
    with pytest.raises(ValidationError, match="You are a member of Finance EMEA"):
        group_access_grant(group=emea, kind="subsidiary", target=None, actor=admin)
    group_access_grant(group=emea, kind="subsidiary", target=None, actor=other)  # another admin may


# Granting an approving role is flagged --------------------------------------------------------------------


def test_granting_an_approving_role_is_flagged_and_other_roles_are_not(
    admin_client: Client, admin: User, revops: User, auditor: User
) -> None:
    mark = last_pk()
    url = reverse("governance:user-roles", args=[revops.pk])
    admin_client.post(url, {"roles": ["RevOps", "Finance"]}, HTTP_HX_REQUEST="true")
    admin_client.post(reverse("governance:user-roles", args=[auditor.pk]), {"roles": ["Auditor", "RevOps"]})
    flagged, plain = new_entries(mark)
    assert (flagged.actor, flagged.object_pk) == (admin, str(revops.pk))
    assert flagged.additional_data == {"flag": FLAG, "approving_roles": ["Finance"]}
    assert flagged.flag_label == "Approving role granted"
    assert plain.object_pk == str(auditor.pk) and not (plain.additional_data or {}).get("flag")
    # Keeping an approving role while changing others is no new grant.
    mark = last_pk()
    admin_client.post(url, {"roles": ["Finance"]}, HTTP_HX_REQUEST="true")
    (kept,) = new_entries(mark)
    assert not (kept.additional_data or {}).get("flag")


@pytest.mark.django_db
def test_the_persona_command_flags_the_approving_roles_it_grants() -> None:
    mark = last_pk()
    call_command("seed_personas", "--quiet-logins")
    flagged = {
        entry.object_repr: entry.additional_data["approving_roles"]
        for entry in new_entries(mark)
        if (entry.additional_data or {}).get("flag") == FLAG
    }
    assert flagged == {"finance": ["Finance"], "admin": ["Admin"]}


def test_the_audit_browser_and_the_api_filter_on_the_flag_and_show_it(
    admin: User, revops: User, finance: User, auditor: User, auditor_client: Client
) -> None:
    services.user_roles_set(user=revops, roles=["RevOps", "Auditor"], actor=admin)
    services.user_roles_set(user=finance, roles=["Finance", "Admin"], actor=admin)
    flagged = AuditEntry.objects.filter(additional_data__flag=FLAG).order_by("-pk")
    page = auditor_client.get(reverse("governance:audit"), {"flag": FLAG})
    ids = [row.entry.pk for row in page.context["page"].rows]
    assert ids == list(flagged.values_list("pk", flat=True)) and ids
    assert AuditEntry.objects.get(pk=ids[0]).object_pk == str(finance.pk)
    assert "Flag: Approving role granted" in page.content.decode()
    everything = auditor_client.get(reverse("governance:audit")).content.decode()
    assert everything.count("Flag: Approving role granted") == flagged.count()
    api = token_client(auditor).get("/api/v1/audit-entries/", {"flag": FLAG}).json()["results"]
    assert [row["id"] for row in api] == ids
    assert all(row["additional_data"]["flag"] == FLAG for row in api)
    export = auditor_client.get(reverse("governance:audit-export"), {"flag": FLAG}).getvalue()
    assert export.decode().count("Approving role granted") == len(ids)


# Deactivation revokes API tokens --------------------------------------------------------------------------


def test_deactivating_a_user_revokes_their_tokens_for_good(
    admin_client: Client, admin: User, revops: User
) -> None:
    _, secret = services.token_create(user=revops, name="nightly")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/flows/").status_code == 200
    admin_client.post(reverse("governance:user-active", args=[revops.pk]), {})
    assert api.get("/api/v1/flows/").status_code == 401
    token = ApiToken.objects.get(name="nightly")
    assert token.revoked_at is not None and token.revoked_by == admin
    entry = AuditEntry.objects.get_for_object(token).get(additional_data__event="api_token_revoked")
    assert entry.actor == admin and entry.additional_data["reason"] == "account deactivated"

    admin_client.post(reverse("governance:user-active", args=[revops.pk]), {"is_active": "on"})
    revops.refresh_from_db()
    assert revops.is_active
    assert api.get("/api/v1/flows/").status_code == 401  # reactivation does not revive the token
    _, fresh = services.token_create(user=revops, name="after")
    assert Client(headers={"Authorization": f"Bearer {fresh}"}).get("/api/v1/flows/").status_code == 200


def test_reactivation_revokes_a_token_left_open_by_an_earlier_deactivation(admin: User, revops: User) -> None:
    _, secret = services.token_create(user=revops, name="old")
    User.objects.filter(pk=revops.pk).update(is_active=False)  # deactivated before tokens went with it
    revops.refresh_from_db()
    services.user_set_active(user=revops, is_active=True, actor=admin)
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/flows/").status_code == 401
    entry = AuditEntry.objects.get(additional_data__event="api_token_revoked")
    assert entry.additional_data["reason"] == "issued before the account was deactivated"
