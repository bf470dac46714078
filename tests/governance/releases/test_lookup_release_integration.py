"""A lookup table change end to end against the seeded simulators over HTTPS: a pending draft does not
re-route the sync; the release's sandbox test maps and reconciles with it; once published in the release,
the next sync creates the customer in the new subsidiary and the reconciliation expects it there; the
release's rollback routes the one after back to the old one."""

from __future__ import annotations

from django.contrib.auth.models import User

from governance.releases.models import ReleaseStatus, ReleaseTestStatus, SignoffRole
from governance.releases.services import release_create, release_publish, release_rollback, release_sign
from governance.releases.testing import release_test_run_start
from reconciliation.models import RunStatus
from reconciliation.services import reconciliation_run
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.mappings.models import LookupTable, LookupVersion
from sync.mappings.services.lookup_versions import (
    lookup_draft_entry_set,
    lookup_entries,
    lookup_version_approve,
    lookup_version_create_draft,
    lookup_version_submit,
)
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import RecordStatus
from sync.pipeline.runner import run_batch
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB, ns  # noqa: F401  (a fixture, used by name)

pytestmark = THREADED_DB
TABLE = "country_to_subsidiary"


def four_new_accounts(sf: SalesforceConnector) -> list[tuple[str, str, str]]:
    """Four won opportunities of four different accounts: (opportunity id, account id, billing country)."""
    rows = sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id")
    by_account = {row["AccountId"]: row["Id"] for row in reversed(list(rows))}
    graphs = sf.fetch_opportunity_graphs(sorted(by_account.values())[:4], FULL_GRAPH)
    found = [
        (key, graph["Account"]["Id"], graph["Account"]["BillingCountry"]) for key, graph in graphs.items()
    ]
    assert len(found) == 4
    return sorted(found)


def customer_subsidiary(
    salesforce: Connection,
    netsuite: Connection,
    netsuite_api: NetSuiteConnector,
    opportunity: tuple[str, str, str],
) -> str:
    """Sync the opportunity, then read the subsidiary NetSuite created its account's customer in."""
    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity[0]])
    record = job.records.get()
    assert record.status == RecordStatus.SYNCED, record.message
    return subsidiary_of(netsuite_api, opportunity)


def subsidiary_of(netsuite_api: NetSuiteConnector, opportunity: tuple[str, str, str]) -> str:
    query = f"SELECT id FROM customer WHERE externalid = '{opportunity[1]}'"  # noqa: S608
    (row,) = list(netsuite_api.suiteql(query))
    return str(netsuite_api.get("customer", str(row["id"]))["subsidiary"]["id"])


def test_a_lookup_change_reroutes_only_once_published_and_a_release_rollback_restores_it(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,  # noqa: F811
    revops: User,
    finance: User,
) -> None:
    salesforce, netsuite = seeded_connections
    mapping_seed_defaults()
    first, trial, second, third = four_new_accounts(sf)
    table = LookupTable.objects.get(name=TABLE)
    old = lookup_entries(table.versions.get(status="published"))
    # Each of the three countries moves to another (existing) subsidiary.
    new = {country: "2" if old[country] != "2" else "3" for _, _, country in (first, trial, second, third)}

    draft = lookup_version_create_draft(table=table, user=revops, notes="subsidiaries move")
    for country, subsidiary in new.items():
        lookup_draft_entry_set(version=draft, key=country, value=subsidiary, user=revops)
    lookup_version_submit(version=draft, user=revops)
    # Pending: the live sync still routes by the published entries.
    assert customer_subsidiary(salesforce, netsuite, ns, first) == old[first[2]]

    draft = lookup_version_approve(version=draft, user=finance, reason="the entity moved")
    release = release_create(user=revops, name="subsidiary move", lookup_versions=[draft])
    run = release_test_run_start(
        release=release, user=revops, salesforce=salesforce, netsuite=netsuite, opportunity_ids=[trial[0]]
    )
    run.refresh_from_db()
    # The sandbox test mapped with the release's entries and reconciled against them: clean.
    assert run.status == ReleaseTestStatus.PASSED, (run.error, run.failures, run.mismatch_count)
    assert subsidiary_of(ns, trial) == new[trial[2]]
    assert run.configuration["lookups"][TABLE] == draft.pk
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE)
    release_publish(release=release, user=finance)
    assert LookupVersion.objects.get(table=table, status="published") == draft
    assert customer_subsidiary(salesforce, netsuite, ns, second) == new[second[2]]
    # Reconciliation expects what the published tables say, not the shipped ones.
    recon = reconciliation_run(check="accounts", scope=[second[1]])
    assert recon.status == RunStatus.SUCCEEDED and not recon.mismatches.exists()

    release_rollback(release=release, user=finance, reason="the move is postponed")
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ROLLED_BACK
    assert LookupVersion.objects.get(table=table, status="published").number == 1
    assert customer_subsidiary(salesforce, netsuite, ns, third) == old[third[2]]
