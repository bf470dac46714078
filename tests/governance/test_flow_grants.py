"""Flow grants beside the integration grants: an admin lets a person (or a group) edit one integration's
flow ("acme · opportunity_to_netsuite") over the API and with ``manage.py flow_grant``, through the same
service as the user's and the group's pages (one audit entry per change)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from governance.access_grants import user_access
from governance.models import AuditEntry
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow, FlowUserPermission
from sync.mappings.permissions import flow_edit_allowed
from tests.api_support import token_client
from tests.governance.test_audit import last_pk, new_entries

URL = "/api/v1/flow-grants/"
KEY = "opportunity_to_netsuite"
FIELDS = {"key": KEY, "source": "Opportunity", "direction": "Salesforce -> NetSuite"}


@pytest.fixture
def flows(db: None) -> tuple[Flow, Flow]:
    """The same flow key in the primary integration and in acme's."""
    acme = Integration.objects.create(name="acme", label="Acme", namespace="ACQ")
    return Flow.objects.create(integration=primary_integration(), **FIELDS), Flow.objects.create(
        integration=acme, **FIELDS
    )


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(URL, body, content_type="application/json")


def test_it_grants_revokes_and_grants_again_over_the_api(
    admin: User, auditor: User, outsider: User, flows: tuple[Flow, Flow]
) -> None:
    ours, theirs = flows
    outsider.groups.add(Group.objects.get(name="Auditor"))  # a role, no flow of their own
    client = token_client(admin)
    mark = last_pk()
    granted = post(client, {"flow": f"acme · {KEY}", "user": outsider.username})
    assert granted.status_code == 200, granted.content
    row = {
        "flow": KEY,
        "integration": "acme",
        "flow_label": f"acme · {KEY}",
        "user": "outsider",
        "group": None,
    }
    assert granted.json() == [row]
    (entry,) = new_entries(mark)
    assert entry.changes == {"flow_grants": ["none", f"acme · {KEY}"]}
    person = _fresh(outsider)
    assert flow_edit_allowed(person, theirs) and not flow_edit_allowed(person, ours)
    listed = token_client(auditor).get(URL)
    assert listed.status_code == 200 and listed.json() == [row]

    # The second day: revoked, then granted again by key in the primary integration, and to a group.
    assert post(client, {"flow": f"acme · {KEY}", "user": "outsider", "revoke": True}).json() == []
    assert not flow_edit_allowed(_fresh(outsider), theirs)
    again = post(client, {"flow": KEY, "user": "outsider"})
    assert [r["flow_label"] for r in again.json()] == [f"primary · {KEY}"]
    assert [flow.pk for flow in user_access(user=_fresh(outsider)).flows.objects] == [ours.pk]
    Group.objects.create(name="Deal desk")
    every = post(client, {"flow": "all", "group": "Deal desk"})
    assert every.json() == [
        {"flow": "all", "integration": None, "flow_label": "every flow", "user": None, "group": "Deal desk"}
    ]


def test_bad_input_is_a_400_and_grants_nothing(admin: User, finance: User, flows: tuple[Flow, Flow]) -> None:
    client, refused = token_client(admin), token_client(finance)
    mark = last_pk()
    unknown = post(client, {"flow": "nope", "integration": "acme", "user": "finance"})
    assert unknown.status_code == 400 and "No flow 'nope' in integration acme" in unknown.content.decode()
    no_integration = post(client, {"flow": f"beta · {KEY}", "user": "finance"})
    assert no_integration.status_code == 400 and "No integration 'beta'" in no_integration.content.decode()
    assert post(client, {"flow": KEY, "user": "finance", "group": "Finance"}).status_code == 400
    assert post(client, {"flow": KEY, "user": "ghost"}).status_code == 400
    role = post(client, {"flow": KEY, "group": "Finance"})  # a role group: roles_sync owns it
    assert role.status_code == 400 and "is a role" in role.content.decode()
    assert post(refused, {"flow": KEY, "user": "admin"}).status_code == 403
    assert not FlowUserPermission.objects.exists() and new_entries(mark) == []


def test_the_command_grants_a_flow_of_one_integration(
    admin: User, finance: User, flows: tuple[Flow, Flow], capsys: pytest.CaptureFixture[str]
) -> None:
    ours, theirs = flows
    call_command("flow_grant", KEY, "--integration", "acme", "--user", "finance", "--as", "admin")
    assert f"finance now holds: acme · {KEY}" in capsys.readouterr().out
    assert [flow.pk for flow in user_access(user=_fresh(finance)).flows.objects] == [theirs.pk]
    # The second day: revoked, then the primary's flow granted by its label to a group.
    call_command("flow_grant", f"acme · {KEY}", "--user", "finance", "--revoke")
    assert "finance now holds: no flow of their own" in capsys.readouterr().out
    Group.objects.create(name="Deal desk")
    call_command("flow_grant", f"primary · {KEY}", "--group", "Deal desk")
    assert f"Deal desk now holds: {KEY}" in capsys.readouterr().out
    entries = AuditEntry.objects.filter(additional_data__event__in=["flow_grant", "flow_revoke"])
    assert entries.count() == 3
    with pytest.raises(CommandError, match="No flow 'nope' in integration primary"):
        call_command("flow_grant", "nope", "--user", "finance")
    with pytest.raises(CommandError, match="one of them"):
        call_command("flow_grant", KEY)
    with pytest.raises(CommandError, match="only admins"):
        call_command("flow_grant", KEY, "--user", "admin", "--as", "finance")
    assert entries.count() == 3
