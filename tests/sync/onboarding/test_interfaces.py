"""Integrations through the console, the API and the commands: the same services, the same clear
refusals (a 400 with the message, a CommandError), and a person limited to one integration never sees
another (404)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from sync.connections.models import Connection
from sync.golive.models import GoLiveResult, GoLiveRun, GoLiveStatus
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.services.seed import mapping_seed_defaults
from sync.onboarding.services import integration_create, integration_update
from sync.pipeline.models import CrossReference, Listener
from tests.api_support import token_client
from tests.sync.connections.support import offline_connection_pair
from tests.sync.integrations.support import config_live

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Connection]:
    monkeypatch.setattr("sync.golive.services.async_task", lambda *args, **kwargs: None)
    sf_a, ns = offline_connection_pair("org-a")
    sf_b, _ = offline_connection_pair("org-b")
    integration_update(
        integration=primary_integration(), actor=None, salesforce_connection=sf_a, netsuite_connection=ns
    )
    return {"sf_a": sf_a, "ns": ns, "sf_b": sf_b}


@pytest.fixture
def acme(pairs: dict[str, Connection]) -> Integration:
    return integration_create(
        name="acme", namespace="ACQ", salesforce=pairs["sf_b"], netsuite=pairs["ns"], actor=None
    ).integration


def _login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def _ready_scan(acme: Integration) -> GoLiveRun:
    salesforce, netsuite = acme.salesforce_connection, acme.netsuite_connection
    assert salesforce is not None and netsuite is not None
    run = GoLiveRun.objects.create(
        salesforce_connection=salesforce,
        netsuite_connection=netsuite,
        status=GoLiveStatus.READY,
        shared=1,
    )
    GoLiveResult.objects.create(
        run=run,
        salesforce_type="Account",
        salesforce_id="0015S0000000001QAA",
        salesforce_name="Globex",
        netsuite_type="customer",
        outcome="shared",
        chosen_id="7",
        external_id="ACQ-0015S0000000001QAA",
        candidates=[{"netsuite_id": "7", "external_id": "0015S0000000001QAA", "name": "Globex"}],
        reasons=["same name and country"],
    )
    return run


# -- API --------------------------------------------------------------------------------------------------


def test_the_api_creates_an_integration_and_shows_its_listener_url_once(
    pairs: dict[str, Connection], admin: User
) -> None:
    api = token_client(admin)
    body = {"name": "acme", "namespace": "ACQ", "salesforce": "org-b-sf", "netsuite": "org-a-ns"}
    response = api.post(reverse("api:integration-list"), body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["namespace"] == "ACQ" and data["salesforce_connection"] == "org-b-sf"
    assert data["listener"] == "acme-closed-won" and "/sync/inbound/" in data["listener_url"]
    assert response["Cache-Control"] == "no-store"
    again = api.post(
        reverse("api:integration-list"), {**body, "name": "beta"}, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json()["namespace"] == ["namespace ACQ is already integration acme's"]
    reserved = api.post(
        reverse("api:integration-list"),
        {**body, "name": "gamma", "namespace": "SUB", "salesforce": "org-a-ns"},
        content_type="application/json",
    )
    assert reserved.status_code == 400
    assert "reserved" in reserved.json()["namespace"][0]
    assert "not salesforce" in reserved.json()["salesforce_connection"][0]


def test_the_api_onboards_scan_plan_apply(acme: Integration, admin: User, finance: User) -> None:
    api = token_client(admin)
    plan_url = reverse("api:integration-onboarding-plan", kwargs={"pk": acme.pk})
    assert api.get(plan_url).status_code == 400  # no scan yet: says so
    scan = api.post(reverse("api:integration-onboarding-scan", kwargs={"pk": acme.pk}))
    assert scan.status_code == 202 and scan.json()["status"] == "queued"
    run = _ready_scan(acme)
    plan = token_client(finance).get(plan_url).json()
    assert plan["run"] == run.pk and plan["counts"]["shared_link"] == 1
    [row] = plan["rows"]["shared_link"]
    assert (row["netsuite_id"], row["external_id"], row["shared_with"]) == (
        "7",
        "ACQ-0015S0000000001QAA",
        "primary",
    )
    refused = token_client(finance).post(reverse("api:integration-onboarding-apply", kwargs={"pk": acme.pk}))
    assert refused.status_code == 403
    applied = api.post(
        reverse("api:integration-onboarding-apply", kwargs={"pk": acme.pk}),
        {"run": run.pk},
        content_type="application/json",
    )
    assert applied.status_code == 202 and applied.json()["status"] == "applying"


def test_a_person_limited_to_one_integration_sees_only_it(acme: Integration, revops: User) -> None:
    assign_perm(ACCESS_INTEGRATION, revops, acme)
    api = token_client(revops)
    names = [row["name"] for row in api.get(reverse("api:integration-list")).json()["results"]]
    assert names == ["acme"]
    primary = primary_integration()
    assert api.get(reverse("api:integration-detail", kwargs={"pk": primary.pk})).status_code == 404
    page = _login(Client(), revops)
    assert page.get(reverse("sync:integration", kwargs={"integration_id": primary.pk})).status_code == 404
    listing = page.get(reverse("sync:integrations")).content.decode()
    assert "acme" in listing and "org-a-sf" not in listing


# -- console ---------------------------------------------------------------------------------------------


def test_the_console_creates_an_integration_and_shows_errors_inline(
    pairs: dict[str, Connection], admin: User
) -> None:
    client = _login(Client(), admin)
    form = {"name": "acme", "namespace": "CO", "salesforce": "org-b-sf", "netsuite": "org-a-ns"}
    refused = client.post(reverse("sync:integration-create"), form)
    assert refused.status_code == 400 and "is reserved" in refused.content.decode()
    created = client.post(reverse("sync:integration-create"), {**form, "namespace": "ACQ"})
    assert created.status_code == 200 and "/sync/inbound/" in created.content.decode()
    acme = Integration.objects.get(name="acme")
    detail = client.get(reverse("sync:integration", kwargs={"integration_id": acme.pk})).content.decode()
    assert "acme-closed-won" in detail and "Onboarding" in detail
    saved = client.post(
        reverse("sync:integration", kwargs={"integration_id": acme.pk}),
        {
            "label": "Acme GmbH",
            "namespace": "ACQ",
            "salesforce_connection": "org-b-sf",
            "netsuite_connection": "org-a-ns",
        },
    )
    assert saved.status_code == 302
    acme.refresh_from_db()
    assert acme.label == "Acme GmbH"


def test_the_console_onboarding_page_shows_the_plan_and_applies(
    acme: Integration, admin: User, auditor: User
) -> None:
    run = _ready_scan(acme)
    url = reverse("sync:integration-onboarding", kwargs={"integration_id": acme.pk})
    page = _login(Client(), auditor).get(url).content.decode()
    assert "Globex" in page and "shared with primary" in page and "Apply</button>" not in page
    client = _login(Client(), admin)
    assert "Apply</button>" in client.get(url).content.decode()
    apply_url = reverse("sync:integration-onboarding-apply", kwargs={"integration_id": acme.pk})
    assert client.post(apply_url, {}).status_code == 400  # the confirmation box is required
    assert client.post(apply_url, {"confirm": "on"}).status_code == 302
    run.refresh_from_db()
    assert run.status == GoLiveStatus.APPLYING and run.applied_by == admin


def test_deactivating_from_the_console_disables_the_listener_and_activating_enables_it(
    acme: Integration, admin: User
) -> None:
    client = _login(Client(), admin)
    answer = client.post(
        reverse("sync:integration-deactivate", kwargs={"integration_id": acme.pk}), follow=True
    )
    assert "deactivated: its listeners are disabled" in answer.content.decode()
    acme.refresh_from_db()
    assert not acme.is_active
    assert not Listener.objects.get(name="acme-closed-won").is_active
    # The next day: on again, through the same view.
    answer = client.post(
        reverse("sync:integration-activate", kwargs={"integration_id": acme.pk}), follow=True
    )
    assert "is active again" in answer.content.decode()
    acme.refresh_from_db()
    assert acme.is_active and Listener.objects.get(name="acme-closed-won").is_active


# -- commands --------------------------------------------------------------------------------------------


def test_the_commands_create_list_update_and_refuse_clearly(pairs: dict[str, Connection]) -> None:
    out = io.StringIO()
    call_command(
        "integration_create", "acme", namespace="ACQ", salesforce="org-b-sf", netsuite="org-a-ns", stdout=out
    )
    assert "Integration acme created (namespace ACQ)" in out.getvalue() and "token" in out.getvalue()
    with pytest.raises(CommandError, match="namespace: namespace ACQ is already integration acme's"):
        call_command(
            "integration_create", "beta", namespace="ACQ", salesforce="org-a-sf", netsuite="org-a-ns"
        )
    with pytest.raises(CommandError, match="no connection named 'nope'"):
        call_command("integration_create", "beta", namespace="BETA", salesforce="nope", netsuite="org-a-ns")
    listing = io.StringIO()
    call_command("integration_list", stdout=listing)
    lines = listing.getvalue().splitlines()
    assert lines[0].startswith("primary") and "[primary]" in lines[0]
    assert lines[1].startswith("acme\tnamespace ACQ\torg-b-sf -> org-a-ns")
    call_command("integration_update", "acme", label="Acme GmbH", stdout=io.StringIO())
    assert Integration.objects.get(name="acme").label == "Acme GmbH"
    call_command("integration_update", "acme", deactivate=True, stdout=io.StringIO())
    assert not Integration.objects.get(name="acme").is_active
    with pytest.raises(CommandError, match="nothing to change"):
        call_command("integration_update", "acme")
    with pytest.raises(CommandError, match="no integration named 'nope'"):
        call_command("integration_onboard", "nope")


def test_integration_onboard_prints_the_plan_of_an_earlier_scan(acme: Integration) -> None:
    run = _ready_scan(acme)
    out = io.StringIO()
    call_command("integration_onboard", "acme", run=run.pk, stdout=out)
    text = out.getvalue()
    assert "1 shared with another integration" in text
    assert "shared_link: Account Globex -> customer 7 (carries primary's external id)" in text
    assert f"--run {run.pk} --apply" in text
    with pytest.raises(CommandError, match="no onboarding scan #999"):
        call_command("integration_onboard", "acme", run=999)


def test_integration_onboard_applies_a_reviewed_scan(acme: Integration) -> None:
    run = _ready_scan(acme)
    out = io.StringIO()
    call_command("integration_onboard", "acme", run=run.pk, apply=True, yes=True, stdout=out)
    assert "Applied: 1 linked (shared ones included), 0 refused" in out.getvalue()
    reference = CrossReference.objects.get(integration=acme)
    assert (reference.external_id, reference.netsuite_id, reference.shared) == (
        "ACQ-0015S0000000001QAA",
        "7",
        True,
    )
    with pytest.raises(CommandError, match="is applied, not ready"):
        call_command("integration_onboard", "acme", run=run.pk, apply=True, yes=True)


def test_integration_onboard_says_what_is_missing(acme: Integration) -> None:
    with pytest.raises(
        CommandError,
        match="acme: flow 'opportunity_to_netsuite' of integration 'acme' has no published mapping",
    ):
        call_command("integration_onboard", "acme", stdout=io.StringIO())
    mapping_seed_defaults()
    config_live(primary_integration(), acme)
    with pytest.raises(CommandError, match="acme: connection 'org-b-sf' needs"):
        call_command("integration_onboard", "acme", stdout=io.StringIO())
