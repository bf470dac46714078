"""The shipped flows and lookup tables installed as drafts for review (a new installation's first run)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client

from sync.mappings.engine.defaults import DEFAULT_FLOWS, load_default_lookups
from sync.mappings.models import Flow, LookupTable, LookupVersion, MappingVersion, VersionStatus
from sync.mappings.services.seed import mapping_seed_defaults, mapping_shipped_install
from tests.api_support import token_client

pytestmark = pytest.mark.django_db


def test_it_makes_a_draft_of_each_shipped_table_and_flow_by_the_maker(revops: User) -> None:
    made = mapping_shipped_install(user=revops)
    assert len(made) == len(DEFAULT_FLOWS) + len(load_default_lookups())
    assert {version.status for version in made} == {VersionStatus.DRAFT}
    assert {version.created_by for version in made} == {revops}
    lookups = LookupVersion.objects.get(table__name=next(iter(load_default_lookups())))
    assert lookups.entries.count() == len(next(iter(load_default_lookups().values())))
    opportunity = MappingVersion.objects.get(flow__key="opportunity_to_netsuite")
    assert opportunity.object_mappings.exists()


def test_it_leaves_what_exists_alone(revops: User) -> None:
    mapping_seed_defaults()  # e.g. an operator ran the command first
    assert mapping_shipped_install(user=revops) == []
    assert not MappingVersion.objects.filter(status=VersionStatus.DRAFT).exists()
    assert not LookupVersion.objects.filter(status=VersionStatus.DRAFT).exists()


def test_it_refuses_who_may_not_edit_mappings(admin: User) -> None:
    with pytest.raises(PermissionDenied):
        mapping_shipped_install(user=admin)
    assert not Flow.objects.exists() and not LookupTable.objects.exists()


def test_the_page_button_installs_and_says_so(revops_client: Client, admin_client: Client) -> None:
    assert admin_client.post("/sync/mappings/install-shipped/").status_code == 403
    response = revops_client.post("/sync/mappings/install-shipped/", follow=True)
    assert "Installed" in response.content.decode()
    response = revops_client.post("/sync/mappings/install-shipped/", follow=True)
    assert "exists already" in response.content.decode()
    assert Flow.objects.count() == len(DEFAULT_FLOWS)


def test_the_command_installs_as_the_named_user(revops: User, admin: User) -> None:
    out = io.StringIO()
    call_command("mapping_install_shipped", "--user", "revops", stdout=out)
    assert f"{len(DEFAULT_FLOWS) + len(load_default_lookups())} draft(s) installed" in out.getvalue()
    with pytest.raises(CommandError, match="edit_mappings"):
        call_command("mapping_install_shipped", "--user", "admin", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no active user"):
        call_command("mapping_install_shipped", "--user", "nobody", stdout=io.StringIO())


def test_the_api_installs_as_the_caller_once(revops: User, admin: User) -> None:
    assert token_client(admin).post("/api/v1/flows/install-shipped/").status_code == 403
    assert not Flow.objects.exists()
    api = token_client(revops)
    answer = api.post("/api/v1/flows/install-shipped/")
    assert answer.status_code == 201
    drafts = answer.json()["drafts"]
    assert len(drafts) == len(DEFAULT_FLOWS) + len(load_default_lookups())
    assert {"kind": "mapping", "name": "opportunity_to_netsuite", "number": 1}.items() <= next(
        draft for draft in drafts if draft["name"] == "opportunity_to_netsuite"
    ).items()
    assert MappingVersion.objects.get(pk=drafts[-1]["id"]).created_by == revops
    again = api.post("/api/v1/flows/install-shipped/")
    assert again.status_code == 200 and again.json() == {"drafts": []}
