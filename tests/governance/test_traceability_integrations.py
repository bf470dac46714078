"""Traceability across integrations: two orgs hand out the same Salesforce ids, so a search by a raw
opportunity id finds one chain per integration (labelled with it), never one merged chain, and only the
integrations the person may see; on the page, its exports, the API and the command."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from governance.traceability import SeveralChains, trace_chain, trace_chains
from sync.connections.models import Connection, ConnectionAuth, ConnectionEnvironment, ConnectionKind
from sync.integrations.access import integration_access_grant
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.pipeline.models import CrossReference
from tests.api_support import token_client
from tests.governance.conftest import OPPORTUNITY, World, build_chain


@pytest.fixture
def acme(trace_world: World) -> Integration:
    """An acquired org feeding the same NetSuite account, whose deal has the primary's opportunity id."""
    primary_integration()
    sf = Connection.objects.create(
        name="trace-acme-sf",
        kind=ConnectionKind.SALESFORCE,
        environment=ConnectionEnvironment.SANDBOX,
        base_url="https://acme.invalid",
        auth_method=ConnectionAuth.SF_PASSWORD,
    )
    acme = Integration.objects.create(
        name="acme",
        label="Acme",
        namespace="ACQ",
        salesforce_connection=sf,
        netsuite_connection=trace_world.netsuite,
    )
    build_chain(
        sf,
        trace_world.netsuite,
        OPPORTUNITY,
        "801",
        ["901"],
        mapping_version=trace_world.mapping_version,
        rule_version=trace_world.rule_version,
        cid="cid-acme",
        notification="msg-acme",
    )
    CrossReference.objects.filter(netsuite_id="801").update(
        integration=acme, external_id=f"ACQ-SO-{OPPORTUNITY}"
    )
    return acme


def _refs(chain: object) -> set[str]:
    return {link.ref for link in chain.links}  # type: ignore[attr-defined]


def test_a_raw_opportunity_id_gives_one_chain_per_integration(acme: Integration, auditor: User) -> None:
    primary, acquired = trace_chains(user=auditor, key=OPPORTUNITY)
    assert (primary.integration, acquired.integration, acquired.integration_label) == (
        "primary",
        "acme",
        "Acme",
    )
    assert {"sales_order:501", "invoice:601", "payment:9601"} <= _refs(primary)
    assert not {"sales_order:801", "invoice:901", "payment:9901"} & _refs(primary)
    assert _refs(acquired) == {f"opportunity:{OPPORTUNITY}", "sales_order:801", "invoice:901", "payment:9901"}
    # Each timeline holds its own org's syncs only.
    assert {e.job_id for e in acquired.timeline if e.job_id}.isdisjoint(
        {e.job_id for e in primary.timeline if e.job_id}
    )
    # An id only one org's records have finds that chain alone; a shared one must be named.
    assert [chain.integration for chain in trace_chains(user=auditor, key="9901")] == ["acme"]
    with pytest.raises(SeveralChains):
        trace_chain(user=auditor, key=OPPORTUNITY)
    assert _refs(trace_chain(user=auditor, key=OPPORTUNITY, integration="acme")) == _refs(acquired)


def test_a_person_limited_to_one_integration_traces_only_its_chain(acme: Integration, revops: User) -> None:
    integration_access_grant(holder=revops, integration=acme)
    (only,) = trace_chains(user=revops, key=OPPORTUNITY)
    assert only.integration == "acme" and "sales_order:501" not in _refs(only)
    assert trace_chains(user=revops, key="9601") == []  # the primary's payment does not exist for them
    answer = token_client(revops).get(reverse("api:trace-list"), {"q": OPPORTUNITY}).json()
    assert [chain["integration"] for chain in answer["chains"]] == ["acme"]
    assert "sales_order:501" not in json.dumps(answer)


def test_the_page_labels_each_chain_and_exports_one(acme: Integration, auditor: User) -> None:
    client = Client()
    client.force_login(auditor)
    page = client.get(reverse("governance:trace"), {"q": OPPORTUNITY}).content.decode()
    assert "integration Primary" in page and "integration Acme" in page
    assert f"?q={OPPORTUNITY}&amp;integration=acme" in page
    export = reverse("governance:trace-export", args=["json"])
    refused = client.get(export, {"q": OPPORTUNITY})
    assert refused.status_code == 400 and b"several integrations" in refused.content
    chosen = client.get(export, {"q": OPPORTUNITY, "integration": "acme"}).json()
    assert chosen["integration"] == "acme"
    assert {f"{link['kind']}:{link['key']}" for link in chosen["links"]} == {
        f"opportunity:{OPPORTUNITY}",
        "sales_order:801",
        "invoice:901",
        "payment:9901",
    }


def test_the_command_prints_each_integration_s_chain(acme: Integration, auditor: User) -> None:
    out = io.StringIO()
    call_command("trace", OPPORTUNITY, "--as", auditor.username, "--format", "json", stdout=out)
    assert [chain["integration"] for chain in json.loads(out.getvalue())["chains"]] == ["primary", "acme"]
    with pytest.raises(CommandError, match="several integrations"):
        call_command("trace", OPPORTUNITY, "--as", auditor.username, "--format", "csv", stdout=io.StringIO())
    text = io.StringIO()
    call_command("trace", OPPORTUNITY, "--as", auditor.username, "--integration", "acme", stdout=text)
    assert "integration acme (Acme)" in text.getvalue() and "sales_order:801" in text.getvalue()
