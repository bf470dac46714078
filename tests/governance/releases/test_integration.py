"""A release end to end against the seeded simulators over HTTPS: its test run syncs a real opportunity
through the sandbox pair with the release's versions, reconciles it clean, and is kept as evidence;
then two people sign, Finance publishes, and one rollback restores what ran before."""

from __future__ import annotations

from django.contrib.auth.models import User

from governance.releases.models import ReleaseStatus, ReleaseTestStatus, SignoffRole
from governance.releases.services import release_create, release_publish, release_rollback, release_sign
from governance.releases.testing import release_test_run_start
from reconciliation.models import Mismatch, ReconciliationRun, RunStatus, RunTrigger
from sync.connections.connectors.salesforce import SalesforceConnector
from sync.connections.models import Connection
from sync.connections.services import netsuite_connector
from sync.exceptions.models import ExceptionItem
from sync.mappings.models import MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults
from sync.pipeline.models import SyncJob, SyncRecord
from sync.rules.models import RuleVersion
from sync.rules.services import rule_create, rule_version_approve, rule_version_submit, rules_shipped_install
from tests.governance.releases.conftest import FLOW, approved_mapping, approved_rule
from tests.sync.pipeline.conftest import THREADED_DB, won_ids

pytestmark = THREADED_DB


def test_a_release_is_tested_in_the_sandbox_signed_published_and_rolled_back(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    revops: User,
    finance: User,
) -> None:
    salesforce, netsuite = seeded_connections
    mapping_seed_defaults()
    rules_shipped_install(user=revops)
    v1 = MappingVersion.objects.get(flow__key=FLOW, status="published")
    mapping = approved_mapping(maker=revops, approver=finance)
    rule = approved_rule(maker=revops, approver=finance)
    release = release_create(
        user=revops, name="2026.11", mapping_versions=[mapping], rule_versions=[rule], notes="amount rule"
    )
    opportunity = won_ids(sf)[0]

    # Queued, and (tasks run inline in the tests) run as soon as the request's transaction commits.
    run = release_test_run_start(
        release=release, user=revops, salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity]
    )
    run.refresh_from_db()
    assert run.status == ReleaseTestStatus.PASSED, (run.error, run.failures)
    assert (run.records_total, run.records_synced, run.records_failed, run.mismatch_count) == (1, 1, 0, 0)
    # It ran the release's versions, not the published ones, and says so.
    job = SyncJob.objects.get(pk=run.sync_job_ids[0])
    assert job.mapping_version_id == mapping.pk != v1.pk and job.trigger == "release_test"
    assert SyncRecord.objects.get(job=job).status == "synced"
    assert run.configuration["rules"] == {"amount_matches_quote": rule.pk}
    query = f"SELECT id FROM transaction WHERE externalid = '{opportunity}'"  # noqa: S608
    order = list(netsuite_connector(netsuite).suiteql(query))
    assert len(order) == 1
    # Reconciled for exactly that opportunity and its account, clean, with no exception opened.
    recon = ReconciliationRun.objects.filter(pk__in=run.reconciliation_run_ids).order_by("check_name")
    assert [(r.check_name, r.status, r.trigger) for r in recon] == [
        ("accounts", RunStatus.SUCCEEDED, RunTrigger.RELEASE_TEST),
        ("opportunities", RunStatus.SUCCEEDED, RunTrigger.RELEASE_TEST),
    ]
    opportunities_run = recon.get(check_name="opportunities")
    assert opportunities_run.scope == [opportunity] and opportunities_run.counts["matched"] == 1
    assert not Mismatch.objects.filter(run__in=recon).exists()
    assert not ExceptionItem.objects.filter(category__key="reconciliation").exists()
    release.refresh_from_db()
    assert release.status == ReleaseStatus.TESTED

    release_sign(release=release, user=revops, role=SignoffRole.REVOPS, note="looked at the order")
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE, note="totals agree")
    release_publish(release=release, user=finance)
    assert MappingVersion.objects.get(flow__key=FLOW, status="published") == mapping
    assert RuleVersion.objects.get(rule__key="amount_matches_quote", status="published") == rule

    release_rollback(release=release, user=finance, reason="try again next month")
    assert MappingVersion.objects.get(flow__key=FLOW, status="published") == v1
    assert not RuleVersion.objects.filter(rule__key="amount_matches_quote", status="published").exists()
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ROLLED_BACK


def test_a_release_whose_rule_blocks_the_record_fails_its_test_though_production_would_pass(
    seeded_connections: tuple[Connection, Connection],
    sf: SalesforceConnector,
    revops: User,
    finance: User,
) -> None:
    salesforce, netsuite = seeded_connections
    mapping_seed_defaults()
    draft = rule_create(
        user=revops,
        key="big_deals_only",
        name="Only deals over a billion",
        subject="opportunity",
        placement="pre_sale",
        severity="block",
        message="Too small for this test",
        condition="Amount > 1000000000",
    )
    rule_version_submit(version=draft, user=revops)
    rule = rule_version_approve(version=draft, user=finance, reason="test")
    release = release_create(user=revops, name="blocking", rule_versions=[rule])
    opportunity = won_ids(sf)[0]

    run = release_test_run_start(
        release=release, user=revops, salesforce=salesforce, netsuite=netsuite, opportunity_ids=[opportunity]
    )
    run.refresh_from_db()
    assert run.status == ReleaseTestStatus.FAILED and not run.passed
    assert run.records_failed == 1
    assert [(f["opportunity"], f["category"]) for f in run.failures] == [(opportunity, "rule")]
    assert "Too small for this test" in run.failures[0]["message"]
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT
    assert not RuleVersion.objects.filter(status="published").exists()  # production rules never changed
