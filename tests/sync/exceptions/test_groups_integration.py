"""Grouped by cause, end to end over the simulators (real HTTPS): an acquired org's country table lacks
a country, every deal of that country stops with its own exception, they form one group; the group's
lookup draft goes through four eyes, and one group retry syncs them all through the real retry path
(exception -> inbox -> worker -> NetSuite), each exception resolved in its own history."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.models import User

from sync.connections.models import Connection
from sync.connections.services import salesforce_connector
from sync.exceptions import group_actions, groups
from sync.exceptions.models import ExceptionAction, ExceptionItem, ExceptionStatus
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import LookupTable
from sync.mappings.services.lookup_versions import (
    lookup_version_approve,
    lookup_version_create_draft,
    lookup_version_publish,
    lookup_version_submit,
)
from sync.mappings.services.lookups import lookup_tables_seed_defaults, mapping_tables
from sync.pipeline.models import RecordStatus
from sync.pipeline.runner import run_batch
from tests.sync.full_graph import FULL_GRAPH
from tests.sync.pipeline.conftest import THREADED_DB

TABLE = "country_to_subsidiary"


@THREADED_DB
def test_one_group_per_missing_country_drafted_approved_and_synced_in_one_retry(
    seeded_connections: tuple[Connection, Connection], revops: User, finance: User
) -> None:
    salesforce, netsuite = seeded_connections
    sf = salesforce_connector(salesforce)
    won = [row["Id"] for row in sf.query("SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY Id")]
    graphs = sf.fetch_opportunity_graphs(won, FULL_GRAPH)
    countries = {opp: str(graph["Account"]["BillingCountry"]) for opp, graph in graphs.items()}
    missing, count = Counter(countries.values()).most_common(1)[0]
    assert count >= 2, countries
    stopped = sorted(opp for opp, country in countries.items() if country == missing)

    acme = Integration.objects.create(
        name="acme", namespace="ACQ", salesforce_connection=salesforce, netsuite_connection=netsuite
    )
    lookup_tables_seed_defaults(acme)
    shipped = mapping_tables(None, primary_integration())[TABLE]
    table = LookupTable.objects.get(integration=acme, name=TABLE)
    first = lookup_version_create_draft(
        table=table, user=revops, entries={c: v for c, v in shipped.items() if c != missing}
    )
    for step in (lookup_version_submit, lookup_version_approve, lookup_version_publish):
        step(version=first, user=revops if step is lookup_version_submit else finance)

    job = run_batch(salesforce=salesforce, netsuite=netsuite, opportunity_ids=stopped)
    assert {record.status for record in job.records.all()} == {RecordStatus.FAILED}
    (group,) = groups.exception_groups(user=revops)
    assert group.size == len(stopped) and group.lookup_miss is not None
    assert (group.lookup_miss.table, group.lookup_miss.key) == (TABLE, missing)
    assert group.sample.integration == acme

    draft = group_actions.exception_group_lookup_draft(
        key=group.key, user=revops, value=shipped[missing], reason="bills from the same subsidiary"
    )
    # A retry before the draft is published fails again, each exception on its own line.
    group_actions.exception_group_retry(key=group.key, user=revops, reason="too early")
    members = list(ExceptionItem.objects.filter(cause_key=group.key))
    assert len(members) == len(stopped)
    assert all(item.status == ExceptionStatus.OPEN for item in members)
    assert all(item.events.filter(action=ExceptionAction.RETRY_FAILED).count() == 1 for item in members)

    lookup_version_submit(version=draft.version, user=revops)
    lookup_version_approve(version=draft.version, user=finance)
    lookup_version_publish(version=draft.version, user=finance)
    report = group_actions.exception_group_retry(key=group.key, user=revops, reason="FR is mapped now")
    assert sorted(report.retried) == sorted(item.pk for item in members) and not report.skipped

    for item in members:
        item.refresh_from_db()
        assert item.status == ExceptionStatus.RESOLVED, item.events.values_list("action", "reason")
        actions = list(item.events.values_list("action", flat=True))
        assert actions.count(ExceptionAction.RETRY) == 2 and actions[-1] == ExceptionAction.AUTO_RESOLVED
    assert groups.exception_groups(user=revops) == []
