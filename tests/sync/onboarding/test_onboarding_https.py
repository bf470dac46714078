"""Acquisition onboarding over HTTPS: org A has synced deals to the NetSuite simulator; org B (a second
Salesforce simulator with the same companies) is onboarded. The plan shows the customers both companies
sell to as shared links, a near duplicate as a suspect and the rest as creates; apply links the shared
ones without re-keying them, and a second scan finds them linked."""

from __future__ import annotations

from django.contrib.auth.models import User

from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.exceptions.models import ExceptionItem
from sync.golive.models import GoLiveStatus
from sync.integrations.selectors import primary_integration
from sync.mappings.services.seed import mapping_seed_defaults
from sync.onboarding.review import config_publish_all, config_submit_all
from sync.onboarding.selectors import onboarding_plan
from sync.onboarding.services import integration_create, integration_update, onboarding_apply, onboarding_scan
from sync.pipeline.models import CrossReference, JobStatus
from sync.pipeline.runner import run_batch
from tests.sync.integrations.support import persona
from tests.sync.pipeline.conftest import THREADED_DB
from tests.sync.pipeline.test_run_batch import one_per_account

pytestmark = THREADED_DB


def _external_ids(ns: NetSuiteConnector, record_type: str) -> dict[str, str]:
    rows = ns.suiteql_by_key(f"SELECT id, externalid FROM {record_type}")  # noqa: S608
    return {str(row["id"]): str(row.get("externalid") or "") for row in rows}


def test_it_onboards_an_acquired_org_against_the_first_orgs_records(
    seeded_connections: tuple[Connection, Connection],
    org_b: Connection,
    sf: SalesforceConnector,
    sf_b: SalesforceConnector,
    ns: NetSuiteConnector,
    admin: User,
) -> None:
    org_a, netsuite = seeded_connections
    mapping_seed_defaults()
    primary = integration_update(
        integration=primary_integration(),
        actor=admin,
        salesforce_connection=org_a,
        netsuite_connection=netsuite,
    )
    # Org A syncs three deals: their customers carry org A's external ids (the primary's, unprefixed).
    opportunity_ids = one_per_account(sf)[:3]
    job = run_batch(salesforce=org_a, netsuite=netsuite, opportunity_ids=opportunity_ids)
    assert job.status == JobStatus.SUCCEEDED
    synced = {
        ref.salesforce_id: ref.netsuite_id
        for ref in CrossReference.objects.filter(netsuite_connection=netsuite, netsuite_type="customer")
    }
    assert len(synced) == 3
    # Org B bills one of those companies from another country, its contacts at another domain: the same
    # name only, a near duplicate for a person to decide.
    near = sorted(synced)[0]
    country = sf_b.get_records("Account", [near], ["BillingCountry"])[near]["BillingCountry"]
    sf_b.update("Account", near, {"BillingCountry": "JP" if country != "JP" else "NZ"})
    for contact in sf_b.query(f"SELECT Id FROM Contact WHERE AccountId = '{near}'"):  # noqa: S608
        sf_b.update("Contact", contact["Id"], {"Email": f"buyer-{contact['Id']}@acquired.example"})
    accounts = list(sf_b.query("SELECT Id FROM Account ORDER BY Id"))

    setup = integration_create(
        name="acme",
        label="Acme (acquired)",
        namespace="ACQ",
        salesforce=org_b,
        netsuite=netsuite,
        copy_from=primary_integration(),
        actor=admin,
    )
    acme = setup.integration
    # The copy is drafts made by the admin: RevOps submits them, Finance approves and publishes.
    config_submit_all(integration=acme, user=persona("revops"))
    config_publish_all(integration=acme, user=persona("finance"), reason="the acquired org's configuration")
    assert setup.listener is not None and setup.listener_token
    assert setup.listener.salesforce_connection_id == org_b.pk

    before = {kind: _external_ids(ns, kind) for kind in ("customer", "contact")}
    run = onboarding_scan(integration=acme, actor=admin, run_now=True)
    assert run.status == GoLiveStatus.READY
    # The scan writes nothing.
    assert {kind: _external_ids(ns, kind) for kind in ("customer", "contact")} == before
    plan = onboarding_plan(run)
    shared = {row.salesforce_id: row for row in plan.rows["shared_link"] if row.netsuite_type == "customer"}
    assert set(shared) == set(synced) - {near}
    for salesforce_id, row in shared.items():
        assert row.netsuite_id == synced[salesforce_id]
        assert row.external_id == f"ACQ-{salesforce_id}" and row.shared_with == primary.name
    [suspect] = [row for row in plan.rows["duplicate_suspect"] if row.netsuite_type == "customer"]
    assert suspect.salesforce_id == near and [c["netsuite_id"] for c in suspect.candidates] == [synced[near]]
    customer_creates = [row for row in plan.rows["create"] if row.netsuite_type == "customer"]
    assert len(customer_creates) == len(accounts) - 3
    assert plan.counts["link"] == 0 and plan.counts["already_linked"] == 0
    assert plan.counts["shared_link"] == len(plan.rows["shared_link"]) >= 2

    run = onboarding_apply(run=run, actor=admin, run_now=True)
    assert run.status == GoLiveStatus.APPLIED and run.links_failed == 0
    # Shared links never re-key: every NetSuite record keeps org A's external id.
    assert {kind: _external_ids(ns, kind) for kind in ("customer", "contact")} == before
    links = CrossReference.objects.filter(integration=acme, netsuite_type="customer")
    assert {(ref.external_id, ref.netsuite_id, ref.shared) for ref in links} == {
        (f"ACQ-{salesforce_id}", synced[salesforce_id], True) for salesforce_id in shared
    }
    # Org A's own cross-references are untouched.
    first = CrossReference.objects.filter(netsuite_type="customer").exclude(integration=acme)
    assert {ref.salesforce_id: ref.netsuite_id for ref in first} == synced
    assert not first.filter(shared=True).exists()
    raised = run.results.get(salesforce_id=near, netsuite_type="customer").exception_id
    assert raised is not None and "Duplicate suspect" in ExceptionItem.objects.get(pk=raised).title

    # The second day: scanning again finds the shared customers linked, nothing left to link.
    again = onboarding_plan(onboarding_scan(integration=acme, actor=admin, run_now=True))
    assert again.counts["shared_link"] == 0 and again.counts["link"] == 0
    linked_again = {
        row.salesforce_id for row in again.rows["already_linked"] if row.netsuite_type == "customer"
    }
    assert linked_again == set(shared)
