"""Integration grants: an admin limits a person (or a group's members) to integrations on the user's and the
group's pages, over the API and with ``manage.py integration_grant``; each change is one audit entry."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from governance.access_grants import (
    GrantChoice,
    flow_grant_choices,
    group_access_grant,
    user_access,
    user_access_grant,
)
from sync.integrations.access import integration_scope
from sync.integrations.models import Integration, IntegrationUserPermission
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow
from tests.api_support import token_client
from tests.governance.test_audit import last_pk, new_entries


@pytest.fixture
def acme(db: None) -> Integration:
    return Integration.objects.create(name="acme", label="Acme", namespace="ACQ")


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_it_limits_a_person_to_the_integration_granted_on_their_page(
    admin_client: Client, finance: User, acme: Integration
) -> None:
    assert not integration_scope(_fresh(finance)).limited
    mark = last_pk()
    url = reverse("governance:user-access", args=[finance.pk])
    data = {"kind": "integration", "target": str(acme.pk), "action": "grant"}
    response = admin_client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"acme" in response.content
    (granted,) = new_entries(mark)
    assert granted.changes == {"integration_grants": ["none", "acme"]}
    assert granted.additional_data == {"event": "integration_grant", "integration": "acme"}
    scope = integration_scope(_fresh(finance))
    assert scope.limited and scope.integration_ids == {acme.pk}

    mark = last_pk()
    admin_client.post(url, {**data, "action": "revoke"}, HTTP_HX_REQUEST="true")
    assert [entry.changes for entry in new_entries(mark)] == [{"integration_grants": ["acme", "none"]}]
    assert not integration_scope(_fresh(finance)).limited


def test_it_refuses_every_integration_as_a_grant(admin: User, finance: User, acme: Integration) -> None:
    # Holding none is what "every integration" means: there is nothing to grant.
    with pytest.raises(ValidationError, match="names one integration"):
        user_access_grant(user=finance, kind="integration", target=None, actor=admin)
    assert not IntegrationUserPermission.objects.exists()


def test_it_limits_the_members_of_a_group(admin: User, finance: User, acme: Integration) -> None:
    group = Group.objects.create(name="Acme finance")
    finance.groups.add(group)
    group_access_grant(group=group, kind="integration", target=acme, actor=admin)
    scope = integration_scope(_fresh(finance))
    assert scope.limited and scope.integration_ids == {acme.pk}
    assert user_access(user=_fresh(finance)).integrations.through_groups == ["Acme finance: acme"]


def test_it_refuses_self_grants(admin: User, acme: Integration) -> None:
    with pytest.raises(ValidationError, match="yourself"):
        user_access_grant(user=admin, kind="integration", target=acme, actor=admin)


def test_it_grants_and_revokes_over_the_api(
    admin: User, finance: User, auditor: User, acme: Integration
) -> None:
    url = reverse("api:integration-grant-list")
    client = token_client(admin)
    response = client.post(url, {"integration": "acme", "user": "finance"}, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    assert response.json() == [
        {"integration": "acme", "integration_label": "Acme", "user": "finance", "group": None}
    ]
    assert integration_scope(_fresh(finance)).integration_ids == {acme.pk}
    listed = token_client(auditor).get(url)
    assert listed.status_code == 200 and listed.json()[0]["user"] == "finance"
    refused = token_client(finance).post(
        url, {"integration": "acme", "user": "auditor"}, content_type="application/json"
    )
    assert refused.status_code == 403
    unknown = client.post(url, {"integration": "nope", "user": "finance"}, content_type="application/json")
    assert unknown.status_code == 400
    revoked = client.post(
        url, {"integration": "acme", "user": "finance", "revoke": True}, content_type="application/json"
    )
    assert revoked.json() == []
    assert not integration_scope(_fresh(finance)).limited


def test_the_command_grants_to_a_user_and_a_group(
    admin: User, finance: User, acme: Integration, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("integration_grant", "finance", "acme", "--as", "admin")
    assert "finance now holds: acme" in capsys.readouterr().out
    assert integration_scope(_fresh(finance)).integration_ids == {acme.pk}
    Group.objects.create(name="Acme team")
    call_command("integration_grant", "--group", "Acme team", "acme")
    assert "Acme team now holds: acme" in capsys.readouterr().out
    call_command("integration_grant", "finance", "acme", "--revoke")
    assert not integration_scope(_fresh(finance)).limited
    with pytest.raises(CommandError, match="no integration 'nope'"):
        call_command("integration_grant", "finance", "nope")
    with pytest.raises(CommandError, match="USER INTEGRATION"):
        call_command("integration_grant", "acme")
    with pytest.raises(CommandError, match="only admins"):
        call_command("integration_grant", "finance", "acme", "--as", "finance")


def test_a_limited_person_is_refused_the_audit_trail_and_user_administration(
    admin: User, auditor: User, acme: Integration, admin_client: Client, auditor_client: Client
) -> None:
    for person in (admin, auditor):
        user_access_grant(user=person, kind="integration", target=acme, actor=None)
    assert admin_client.get(reverse("governance:users")).status_code == 403
    assert auditor_client.get(reverse("governance:audit")).status_code == 403


def test_the_flow_pickers_name_each_flow_s_integration_and_offer_only_the_admin_s(
    admin_client: Client, admin: User, finance: User, acme: Integration
) -> None:
    """Every integration has its own flows under the same keys: the pickers and the grants say whose."""
    fields = {
        "key": "opportunity_to_netsuite",
        "source": "Opportunity",
        "direction": "Salesforce -> NetSuite",
    }
    ours = Flow.objects.create(integration=primary_integration(), **fields)
    theirs = Flow.objects.create(integration=acme, **fields)
    page = admin_client.get(reverse("governance:user", args=[finance.pk])).content.decode()
    assert f'value="{ours.pk}">primary · opportunity_to_netsuite<' in page
    assert f'value="{theirs.pk}">acme · opportunity_to_netsuite<' in page
    mark = last_pk()
    url = reverse("governance:user-access", args=[finance.pk])
    card = admin_client.post(
        url, {"kind": "flow", "target": str(theirs.pk), "action": "grant"}, HTTP_HX_REQUEST="true"
    )
    # The badge says what the flow moves, the key beside it (core/labels.py); the audit keeps the key.
    assert (
        'acme · Closed Won deals to NetSuite <span class="label-key">opportunity_to_netsuite</span>'
        in card.content.decode()
    )
    (granted,) = new_entries(mark)
    assert granted.changes == {"flow_grants": ["none", "acme · opportunity_to_netsuite"]}

    # An admin limited to acme is offered acme's flows only, and cannot grant the primary's.
    limited_admin = User.objects.create_user("acme-admin", password="x")
    limited_admin.groups.add(Group.objects.get(name="Admin"))
    user_access_grant(user=limited_admin, kind="integration", target=acme, actor=admin)
    limited_admin = _fresh(limited_admin)
    assert flow_grant_choices(user=limited_admin) == [
        GrantChoice(theirs.pk, "acme · opportunity_to_netsuite")
    ]
    with pytest.raises(ValidationError, match="primary · opportunity_to_netsuite is not a flow of your"):
        user_access_grant(user=finance, kind="flow", target=ours, actor=limited_admin)
    assert [flow.pk for flow in user_access(user=finance).flows.objects] == [theirs.pk]
