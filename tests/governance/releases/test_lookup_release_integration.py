"""A lookup table change end to end against the seeded simulators over HTTPS: a pending draft does not
re-route the sync; once approved by someone else and published in a release, the next sync creates the
customer in the new subsidiary; the release's rollback routes the one after back to the old one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from governance.releases.models import ReleaseStatus, ReleaseTestStatus, SignoffRole
from governance.releases.services import release_create, release_publish, release_rollback, release_sign
from governance.releases.testing import release_test_run_start
from sync.connectors.netsuite import NetSuiteConnector
from sync.connectors.salesforce import SalesforceConnector
from sync.models import Connection, LookupTable, LookupVersion, RecordStatus
from sync.pipeline.runner import run_batch
from sync.services.lookup_versions import (
    lookup_draft_entry_set,
    lookup_entries,
    lookup_version_approve,
    lookup_version_create_draft,
    lookup_version_submit,
)
from sync.services.mapping_seed import mapping_seed_defaults
from tests.sync.pipeline.conftest import THREADED_DB, ns  # noqa: F401  (a fixture, used by name)

pytestmark = THREADED_DB
TABLE = "country_to_subsidiary"


def three_new_accounts(sf: SalesforceConnector) -> list[tuple[str, str, str]]:
    """Three won opportunities of three different accounts: (opportunity id, account id, billing country)."""
    rows = sf.query("SELECT Id, AccountId FROM Opportunity WHERE IsWon = true ORDER BY Id")
    by_account = {row["AccountId"]: row["Id"] for row in reversed(list(rows))}
    graphs = sf.fetch_opportunity_graphs(sorted(by_account.values())[:3])
    found = [
        (key, graph["Account"]["Id"], graph["Account"]["BillingCountry"]) for key, graph in graphs.items()
    ]
    assert len(found) == 3
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
    query = f"SELECT id FROM customer WHERE externalid = '{opportunity[1]}'"  # noqa: S608
    (row,) = list(netsuite_api.suiteql(query))
    return str(netsuite_api.get("customer", str(row["id"]))["subsidiary"]["id"])


def test_a_lookup_change_reroutes_only_once_published_and_a_release_rollback_restores_it(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    ns: NetSuiteConnector,  # noqa: F811
    revops: User,
    finance: User,
    fake_run: dict[str, Any],
) -> None:
    salesforce, netsuite = seeded_connections
    mapping_seed_defaults()
    first, second, third = three_new_accounts(sf)
    table = LookupTable.objects.get(name=TABLE)
    old = lookup_entries(table.versions.get(status="published"))
    # Each of the three countries moves to another (existing) subsidiary.
    new = {country: "2" if old[country] != "2" else "3" for _, _, country in (first, second, third)}

    draft = lookup_version_create_draft(table=table, user=revops, notes="subsidiaries move")
    for country, subsidiary in new.items():
        lookup_draft_entry_set(version=draft, key=country, value=subsidiary, user=revops)
    lookup_version_submit(version=draft, user=revops)
    # Pending: the live sync still routes by the published entries.
    assert customer_subsidiary(salesforce, netsuite, ns, first) == old[first[2]]

    draft = lookup_version_approve(version=draft, user=finance, reason="the entity moved")
    release = release_create(user=revops, name="subsidiary move", lookup_versions=[draft])
    run = release_test_run_start(
        release=release, user=revops, salesforce=salesforce, netsuite=netsuite, opportunity_ids=[second[0]]
    )
    run.refresh_from_db()
    assert run.status == ReleaseTestStatus.PASSED
    assert run.configuration["lookups"][TABLE] == draft.pk
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE)
    release_publish(release=release, user=finance)
    assert LookupVersion.objects.get(table=table, status="published") == draft
    assert customer_subsidiary(salesforce, netsuite, ns, second) == new[second[2]]

    release_rollback(release=release, user=finance, reason="the move is postponed")
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ROLLED_BACK
    assert LookupVersion.objects.get(table=table, status="published").number == 1
    assert customer_subsidiary(salesforce, netsuite, ns, third) == old[third[2]]
