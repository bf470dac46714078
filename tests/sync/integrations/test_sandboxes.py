"""Which sandbox an integration's dry run and SKU-cache refresh read: its own (the connection its drafts
are checked against, when that is a sandbox), never the install's first sandbox, never another
integration's, never a production system."""

from __future__ import annotations

import pytest
from django.test import Client

from sync.connections.models import Connection, ConnectionEnvironment
from sync.integrations.models import Integration
from sync.integrations.sandboxes import reading_sandbox
from sync.pipeline.preview import PreviewUnavailable, opportunity_search, sandbox_connection
from tests.sync.connections.support import offline_connection_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs() -> dict[str, tuple[Connection, Connection]]:
    """Two sandbox pairs: "a-acme" (named by acme, and first by name) and "b-install" (named by nobody)."""
    return {"acme": offline_connection_pair("a-acme"), "install": offline_connection_pair("b-install")}


def test_each_integration_reads_its_own_sandbox(pairs: dict[str, tuple[Connection, Connection]]) -> None:
    acme_sf, acme_ns = pairs["acme"]
    acme = Integration.objects.create(
        name="acme",
        namespace="ACQ",
        sandbox_salesforce_connection=acme_sf,
        sandbox_netsuite_connection=acme_ns,
    )
    assert (reading_sandbox(acme, "salesforce"), reading_sandbox(acme, "netsuite")) == pairs["acme"]
    # The primary reads the sandboxes nobody else names, not acme's (first by name).
    assert (reading_sandbox(None, "salesforce"), reading_sandbox(None, "netsuite")) == pairs["install"]
    assert sandbox_connection("netsuite", acme) == acme_ns


def test_an_integration_without_a_sandbox_is_refused_a_dry_run(
    pairs: dict[str, tuple[Connection, Connection]],
) -> None:
    production, _ = offline_connection_pair("beta-prod")
    Connection.objects.filter(pk=production.pk).update(environment=ConnectionEnvironment.PRODUCTION)
    production.refresh_from_db()
    beta = Integration.objects.create(name="beta", namespace="BET", salesforce_connection=production)
    assert reading_sandbox(beta, "salesforce") is None  # never its production org
    with pytest.raises(PreviewUnavailable, match="integration beta has no sandbox Salesforce connection"):
        sandbox_connection("salesforce", beta)
    with pytest.raises(PreviewUnavailable, match="integration beta has no sandbox Salesforce"):
        opportunity_search(term="Acme", integration=beta)
    # A test org as its production connection is a sandbox all the same.
    Connection.objects.filter(pk=production.pk).update(environment=ConnectionEnvironment.SANDBOX)
    beta = Integration.objects.get(pk=beta.pk)
    assert sandbox_connection("salesforce", beta) == production


def test_the_sku_refresh_asks_the_chosen_integration_s_own_account(
    revops_client: Client, pairs: dict[str, tuple[Connection, Connection]]
) -> None:
    # Neither NetSuite sandbox has credentials: the refusal names the account that was asked.
    acme = Integration.objects.create(
        name="acme", namespace="ACQ", sandbox_netsuite_connection=pairs["acme"][1]
    )
    url = "/sync/mappings/lookups/refresh/"
    said = revops_client.post(url, {"integration": "acme"}, follow=True).content.decode()
    assert "Not refreshed: connection &#x27;a-acme-ns&#x27;" in said
    said = revops_client.post(url, follow=True).content.decode()
    assert "Not refreshed: connection &#x27;b-install-ns&#x27;" in said
    Integration.objects.filter(pk=acme.pk).update(sandbox_netsuite_connection=None)
    said = revops_client.post(url, {"integration": "acme"}, follow=True).content.decode()
    assert "integration acme has no sandbox NetSuite connection" in said
