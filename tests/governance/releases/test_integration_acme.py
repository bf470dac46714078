"""A release of the acquired org's integration end to end over HTTPS (two orgs, one NetSuite account): it
is refused org A's sandbox, tested on org B's own pair with acme's version, published to acme only (the
primary keeps what it runs), and rolled back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from governance.releases.models import ReleaseStatus, ReleaseTestStatus, SignoffRole
from governance.releases.services import release_create, release_publish, release_rollback, release_sign
from governance.releases.testing import release_test_run_start
from sync.mappings.models import Flow, MappingVersion
from sync.mappings.services.versions import version_approve, version_create_draft, version_submit
from sync.pipeline.models import SyncJob
from tests.sync.integrations.conftest import (  # noqa: F401 - fixtures, used by name
    FLOW_KEY,
    TwoOrgs,
    acme_simulator,
    two_orgs,
)
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = THREADED_DB


def test_acme_s_release_is_tested_on_org_b_and_published_to_acme_only(
    two_orgs: TwoOrgs,  # noqa: F811
    revops: User,
    finance: User,
) -> None:
    acme_flow = Flow.objects.get(integration=two_orgs.acme, key=FLOW_KEY)
    before_primary = MappingVersion.objects.get(
        flow__integration=two_orgs.primary, flow__key=FLOW_KEY, status="published"
    )
    before_acme = MappingVersion.objects.get(flow=acme_flow, status="published")
    draft = version_create_draft(flow=acme_flow, user=revops, notes="acme's next version")
    version_submit(version=draft, user=revops)
    version = version_approve(version=draft, user=finance)
    release = release_create(user=revops, name="acme 2026.12", mapping_versions=[version])
    assert release.integration == two_orgs.acme
    deal = two_orgs.b.closed_won("Muster Maschinenbau", country="DE")

    with pytest.raises(ValidationError, match="not a sandbox of integration acme"):
        release_test_run_start(
            release=release,
            user=revops,
            salesforce=two_orgs.a.connection,
            netsuite=two_orgs.netsuite_connection,
            opportunity_ids=[deal.opportunity],
        )
    run = release_test_run_start(
        release=release,
        user=revops,
        salesforce=two_orgs.b.connection,
        netsuite=two_orgs.netsuite_connection,
        opportunity_ids=[deal.opportunity],
    )
    run.refresh_from_db()
    assert run.status == ReleaseTestStatus.PASSED, (run.error, run.failures, run.mismatch_count)
    job = SyncJob.objects.get(pk=run.sync_job_ids[0])
    assert job.mapping_version_id == version.pk and job.salesforce_connection_id == two_orgs.b.connection.pk

    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE)
    release_publish(release=release, user=finance)
    published = MappingVersion.objects.filter(flow__key=FLOW_KEY, status="published")
    assert set(published) == {version, before_primary}
    release_rollback(release=release, user=finance, reason="back to the copy")
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ROLLED_BACK
    assert set(MappingVersion.objects.filter(flow__key=FLOW_KEY, status="published")) == {
        before_acme,
        before_primary,
    }
