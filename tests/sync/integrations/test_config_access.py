"""Mappings, lookup tables and rules per integration in the console and the API: the integration selector
(``?integration=<name>``, the primary by default) and the person's integration scope (404 outside it)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow, LookupTable, LookupVersion, MappingVersion, VersionStatus
from sync.mappings.services.seed import mapping_seed_defaults
from sync.onboarding.copying import config_copy
from sync.pipeline.flow_state import flow_paused
from sync.rules.models import RuleVersion
from sync.rules.services import rules_shipped_install
from tests.api_support import token_client

pytestmark = pytest.mark.django_db
JSON = "application/json"
FLOW = "opportunity_to_netsuite"


@pytest.fixture
def acme(revops: User, admin: User) -> Integration:
    """The primary with the shipped configuration; acme with a copy of it (drafts)."""
    mapping_seed_defaults()
    rules_shipped_install(user=revops)
    acme = Integration.objects.create(name="acme", label="Acme", namespace="ACQ")
    config_copy(primary_integration(), acme, admin)
    return acme


@pytest.fixture
def limited(revops: User, acme: Integration) -> User:
    """RevOps granted only acme: limited to it."""
    assign_perm(ACCESS_INTEGRATION, revops, acme)
    return revops


def _primary_version() -> MappingVersion:
    return MappingVersion.objects.get(flow__integration__is_primary=True, flow__key=FLOW, status="published")


def test_the_api_lists_the_primarys_flows_by_default_and_another_integrations_when_named(
    acme: Integration, finance: User
) -> None:
    client = token_client(finance)
    primary = client.get("/api/v1/flows/").json()["results"]
    assert primary and {row["integration"] for row in primary} == {"primary"}
    named = client.get("/api/v1/flows/?integration=acme").json()["results"]
    assert named and {row["integration"] for row in named} == {"acme"}
    assert sorted(row["key"] for row in named) == sorted(row["key"] for row in primary)
    assert client.get(f"/api/v1/flows/{FLOW}/?integration=acme").json()["integration"] == "acme"
    assert client.get("/api/v1/flows/?integration=nowhere").status_code == 404
    versions = client.get("/api/v1/mapping-versions/?integration=acme").json()["results"]
    assert versions and {row["integration"] for row in versions} == {"acme"}
    assert {row["status"] for row in versions} == {"draft"}
    tables = client.get("/api/v1/lookup-tables/?integration=acme").json()["results"]
    assert tables and {row["integration"] for row in tables} == {"acme"}
    rules = client.get("/api/v1/rules/?integration=acme").json()["results"]
    assert rules and {row["integration"] for row in rules} == {"acme"}


def test_a_person_limited_to_one_integration_never_sees_anothers_configuration(
    limited: User, acme: Integration
) -> None:
    client = token_client(limited)
    # The default is their own integration; the primary's is 404 by name, by key and by id.
    flows = client.get("/api/v1/flows/").json()["results"]
    assert flows and {row["integration"] for row in flows} == {"acme"}
    assert client.get("/api/v1/flows/?integration=primary").status_code == 404
    assert client.get(f"/api/v1/flows/{FLOW}/?integration=primary").status_code == 404
    versions = client.get("/api/v1/mapping-versions/").json()["results"]
    assert versions and {row["integration"] for row in versions} == {"acme"}
    assert client.get(f"/api/v1/mapping-versions/{_primary_version().pk}/").status_code == 404
    primary_table = LookupVersion.objects.filter(table__integration__is_primary=True).first()
    assert primary_table is not None
    assert client.get(f"/api/v1/lookup-versions/{primary_table.pk}/").status_code == 404
    assert {row["integration"] for row in client.get("/api/v1/lookup-versions/").json()["results"]} == {
        "acme"
    }
    primary_rule = RuleVersion.objects.filter(rule__integration__is_primary=True).first()
    assert primary_rule is not None
    assert client.get(f"/api/v1/rule-versions/{primary_rule.pk}/").status_code == 404
    assert client.get(f"/api/v1/rules/{primary_rule.rule.key}/?integration=primary").status_code == 404
    assert client.get(f"/api/v1/rules/{primary_rule.rule.key}/").json()["integration"] == "acme"
    # Nor may they write there.
    made = client.post(
        "/api/v1/mapping-versions/", {"flow": FLOW, "integration": "primary"}, content_type=JSON
    )
    assert made.status_code == 404
    assert MappingVersion.objects.filter(flow__integration__is_primary=True, status="draft").count() == 0


def test_the_console_pages_follow_the_selector_and_the_scope(
    limited: User, acme: Integration, finance_client: Client
) -> None:
    page = finance_client.get(reverse("sync:mappings") + "?integration=acme")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="integration"' in text and "Acme" in text
    assert {flow.integration.name for flow in page.context["flows"]} == {"acme"}
    lookups = finance_client.get(reverse("sync:mapping-lookups") + "?integration=acme")
    assert {table.integration.name for table, _, _ in lookups.context["tables"]} == {"acme"}
    rules = finance_client.get(reverse("sync:rules") + "?integration=acme")
    assert {row.rule.integration.name for row in rules.context["rows"]} == {"acme"}
    acme_version = MappingVersion.objects.get(flow__integration=acme, flow__key=FLOW)
    version_page = finance_client.get(reverse("sync:mapping-version", args=[acme_version.pk]))
    assert version_page.status_code == 200 and "?integration=acme" in version_page.content.decode()

    client = Client()
    client.force_login(limited)
    assert client.get(reverse("sync:mappings") + "?integration=primary").status_code == 404
    own = client.get(reverse("sync:mappings"))
    assert own.status_code == 200 and {flow.integration.name for flow in own.context["flows"]} == {"acme"}
    assert client.get(reverse("sync:mapping-version", args=[_primary_version().pk])).status_code == 404
    primary_rule = RuleVersion.objects.filter(rule__integration__is_primary=True).first()
    assert primary_rule is not None
    assert (
        client.get(reverse("sync:rule", args=[primary_rule.rule.key]) + "?integration=primary").status_code
        == 404
    )
    assert client.get(reverse("sync:rule", args=[primary_rule.rule.key])).context["rule"].integration == acme
    # A draft started from the console lands in the integration the page was on.
    client.post(reverse("sync:mapping-draft-create", args=[FLOW]), {"integration": "acme", "notes": "x"})
    acme_flow = Flow.objects.get(integration=acme, key=FLOW)
    assert acme_flow.versions.count() == 2
    assert Flow.objects.get(integration__is_primary=True, key=FLOW).versions.count() == 1
    table = LookupTable.objects.get(integration=acme, name="country_to_subsidiary")
    assert table.versions.filter(status=VersionStatus.DRAFT).count() == 1


def test_flows_are_operated_per_integration(acme: Integration, admin: User) -> None:
    client = token_client(admin)
    listed = client.get("/api/v1/flow-settings/?integration=acme")
    assert listed.status_code == 200, listed.content
    paused = client.post(
        f"/api/v1/flow-settings/{FLOW}/pause/?integration=acme",
        {"reason": "acme not live"},
        content_type=JSON,
    )
    assert paused.status_code == 200, paused.content
    assert flow_paused(FLOW, acme) and not flow_paused(FLOW)
    states = {row["key"]: row for row in client.get("/api/v1/flow-settings/").json()}
    assert states[FLOW]["paused"] is False
    page = Client()
    page.force_login(admin)
    assert page.get(reverse("sync:flows") + "?integration=acme").context["integration"] == acme
    page.post(reverse("sync:flow-resume", args=[FLOW]), {"integration": "acme"})
    assert not flow_paused(FLOW, acme)
