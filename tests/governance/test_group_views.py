"""Access groups: admins create them, add members and grant subsidiaries or flows; each change audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from governance import groups
from governance.access_grants import group_access_grant
from governance.models import AuditEntry
from sync.exceptions.models import Subsidiary
from sync.exceptions.permissions import exceptions_visible_to
from sync.mappings.models import Flow
from sync.mappings.permissions import flow_edit_allowed
from tests.governance.test_audit import last_pk, new_entries
from tests.sync.exceptions.support import raise_sample


@pytest.fixture
def emea(admin: User) -> Group:
    return groups.group_create(name="Finance EMEA", actor=admin)


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_it_creates_a_group_with_one_audit_entry(admin_client: Client, admin: User) -> None:
    mark = last_pk()
    response = admin_client.post(reverse("governance:groups"), {"name": "  Finance   EMEA "})
    group = Group.objects.get(name="Finance EMEA")
    assert response.status_code == 302 and response["Location"] == reverse(
        "governance:group", args=[group.pk]
    )
    (entry,) = new_entries(mark)
    assert (entry.action, entry.actor, entry.object_pk) == (AuditEntry.Action.CREATE, admin, str(group.pk))
    assert entry.changes == {"name": [None, "Finance EMEA"]}


@pytest.mark.parametrize(("name", "problem"), [("finance", "is a role"), ("Finance emea", "already")])
def test_it_refuses_a_taken_name(admin_client: Client, emea: Group, name: str, problem: str) -> None:
    response = admin_client.post(reverse("governance:groups"), {"name": name})
    assert response.status_code == 200 and problem in response.content.decode()
    assert Group.objects.filter(name__iexact=name).count() == 1  # nothing new


def test_it_gives_members_the_groups_subsidiaries(
    admin_client: Client, admin: User, finance: User, emea: Group
) -> None:
    Subsidiary.objects.create(key="SUB-A")
    item = raise_sample(subsidiary="SUB-A")
    sub_a = Subsidiary.objects.get(key="SUB-A")

    mark = last_pk()
    members_url = reverse("governance:group-members", args=[emea.pk])
    assert admin_client.post(members_url, {"user": finance.pk, "action": "add"}).status_code == 302
    access_url = reverse("governance:group-access", args=[emea.pk])
    data = {"kind": "subsidiary", "target": str(sub_a.pk), "action": "grant"}
    assert admin_client.post(access_url, data, HTTP_HX_REQUEST="true").status_code == 200
    joined, granted = new_entries(mark)
    assert (joined.object_pk, joined.actor) == (str(finance.pk), admin)
    assert joined.changes == {"groups": ["none", "Finance EMEA"]}
    assert (granted.object_pk, granted.actor) == (str(emea.pk), admin)
    assert granted.changes == {"subsidiary_grants": ["none", "SUB-A"]}
    assert exceptions_visible_to(_fresh(finance)).filter(pk=item.pk).exists()

    page = admin_client.get(reverse("governance:user", args=[finance.pk])).content.decode()
    assert "Finance EMEA: SUB-A" in page
    group_page = admin_client.get(reverse("governance:group", args=[emea.pk])).content.decode()
    assert "finance" in group_page and "SUB-A" in group_page

    mark = last_pk()
    admin_client.post(members_url, {"user": finance.pk, "action": "remove"})
    (left,) = new_entries(mark)
    assert left.changes == {"groups": ["Finance EMEA", "none"]}
    assert not exceptions_visible_to(_fresh(finance)).filter(pk=item.pk).exists()


def test_it_gives_members_the_groups_flows(admin: User, auditor: User, emea: Group) -> None:
    flow = Flow.objects.create(key="invoice_to_salesforce", source="invoice", direction="NS -> SF")
    group_access_grant(group=emea, kind="flow", target=flow, actor=admin)
    assert not flow_edit_allowed(_fresh(auditor), flow)
    groups.group_member_add(group=emea, user=auditor, actor=admin)
    assert flow_edit_allowed(_fresh(auditor), flow)


def test_it_keeps_role_groups_out_of_group_administration(admin: User, finance: User) -> None:
    role = Group.objects.get(name="Finance")
    with pytest.raises(ValidationError, match="is a role"):
        group_access_grant(group=role, kind="subsidiary", target=None, actor=admin)
    with pytest.raises(ValidationError, match="is a role"):
        groups.group_member_remove(group=role, user=finance, actor=admin)
    assert groups.access_group_get(user=admin, group_id=role.pk) is None


def test_it_lets_the_auditor_read_groups_but_not_change_them(
    auditor_client: Client, emea: Group, finance: User
) -> None:
    assert "Finance EMEA" in auditor_client.get(reverse("governance:groups")).content.decode()
    page = auditor_client.get(reverse("governance:group", args=[emea.pk])).content.decode()
    assert "Add member" not in page and 'name="action"' not in page
    assert auditor_client.post(reverse("governance:groups"), {"name": "Sneaky"}).status_code == 403
    url = reverse("governance:group-members", args=[emea.pk])
    assert auditor_client.post(url, {"user": finance.pk, "action": "add"}).status_code == 403
    assert not emea.user_set.exists() and not Group.objects.filter(name="Sneaky").exists()
