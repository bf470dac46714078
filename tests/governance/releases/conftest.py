"""Versions ready for a release (approved by someone other than their maker), sandbox connections, and a
way to give a release passing evidence without the simulators (the integration test uses them)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from governance.releases.models import Release, ReleaseTestRun
from governance.releases.selectors import release_configuration
from governance.releases.services import release_create
from governance.releases.testing import release_test_run_execute, release_test_run_start
from sync.connections.models import Connection
from sync.mappings.models import Flow, MappingVersion
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.versions import version_approve, version_create_draft, version_submit
from sync.rules.models import Rule, RuleVersion
from sync.rules.services import rule_version_approve, rule_version_submit, rules_shipped_install
from tests.sync.conftest import (  # noqa: F401  (the integration test's simulators and connections)
    netsuite_sim,
    salesforce_sim,
    seeded_connections,
    seeded_simulators,
    simulator_dir,
)
from tests.sync.connections.support import offline_connection_pair
from tests.sync.pipeline.conftest import sf  # noqa: F401

FLOW = "opportunity_to_netsuite"
OPPORTUNITY = "0065S0000000001QAA"


def approved_mapping(*, maker: User, approver: User, flow_key: str = FLOW) -> MappingVersion:
    """A new version of ``flow_key`` (a copy of the published one), submitted by ``maker``, approved."""
    draft = version_create_draft(flow=Flow.objects.get(key=flow_key), user=maker, notes="for a release")
    version_submit(version=draft, user=maker)
    return version_approve(version=draft, user=approver)


def approved_rule(*, maker: User, approver: User, key: str = "amount_matches_quote") -> RuleVersion:
    version = RuleVersion.objects.get(rule=Rule.objects.get(key=key), status="draft")
    rule_version_submit(version=version, user=maker)
    return rule_version_approve(version=version, user=approver, reason="checked")


@pytest.fixture
def shipped(revops: User) -> None:
    """Version 1 of every shipped flow published; the shipped rules as RevOps's drafts."""
    mapping_seed_defaults()
    rules_shipped_install(user=revops)


@pytest.fixture
def sandbox_pair(db: None) -> tuple[Connection, Connection]:
    return offline_connection_pair("sandbox")


@pytest.fixture
def release(shipped: None, revops: User, finance: User) -> Release:
    """RevOps's draft release of a new opportunity mapping version and one rule, both approved by Finance."""
    return release_create(
        user=revops,
        name="2026.11 quote amounts",
        notes="New mapping copy and the amount rule",
        mapping_versions=[approved_mapping(maker=revops, approver=finance)],
        rule_versions=[approved_rule(maker=revops, approver=finance)],
    )


@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Test runs that skip the systems: the evidence ``_try`` returns is this dict's (clean by default)."""
    outcome: dict[str, Any] = {"records_failed": 0, "mismatch_count": 0}

    def fake_try(run: ReleaseTestRun) -> dict[str, Any]:
        _, configuration = release_configuration(run.release)
        return {
            "configuration": configuration,
            "sync_job_ids": [],
            "records_total": len(run.opportunity_ids),
            "records_synced": len(run.opportunity_ids) - outcome["records_failed"],
            **outcome,
        }

    monkeypatch.setattr("governance.releases.testing._try", fake_try)
    return outcome


def run_test(release: Release, user: User, pair: tuple[Connection, Connection]) -> ReleaseTestRun:
    """Start a test run and execute it here (the queued task only runs after a real commit)."""
    run = release_test_run_start(
        release=release, user=user, salesforce=pair[0], netsuite=pair[1], opportunity_ids=[OPPORTUNITY]
    )
    executed = release_test_run_execute(run_id=run.pk)
    assert executed is not None
    return executed


@pytest.fixture
def both_roles(db: None) -> User:
    """Someone holding RevOps and Finance at once: may sign either way, never both."""
    user = User.objects.create_user("rita", password="x")
    user.groups.add(Group.objects.get(name="RevOps"), Group.objects.get(name="Finance"))
    return user
