"""config_copy: a new integration's configuration starts as drafts copied from another's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from governance.models import AuditEntry as LogEntry
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.engine.defaults import DEFAULT_FLOWS, load_default_lookups
from sync.mappings.models import Flow, LookupTable, MappingVersion, VersionStatus
from sync.mappings.selectors import NoPublishedMapping, published_mapping
from sync.mappings.services.lookup_versions import (
    lookup_draft_entry_set,
    lookup_entries,
    lookup_version_approve,
    lookup_version_publish,
    lookup_version_submit,
)
from sync.mappings.services.seed import mapping_seed_defaults
from sync.mappings.services.specs import version_spec
from sync.mappings.services.versions import version_approve, version_publish, version_submit
from sync.onboarding.copying import ConfigCopyRefused, config_copy
from sync.rules.models import Rule, RuleStatus, RuleVersion
from sync.rules.services import (
    rule_version_approve,
    rule_version_publish,
    rule_version_submit,
    rules_shipped_install,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Integration:
    return Integration.objects.create(name="acme", label="Acme", namespace="ACQ")


@pytest.fixture
def configured(revops: User, finance: User) -> Integration:
    """The primary integration with the shipped mappings and tables published, and one published rule."""
    mapping_seed_defaults()
    made = rules_shipped_install(user=revops)
    rule_version_submit(version=made[0], user=revops)
    rule_version_approve(version=made[0], user=finance, reason="checked")
    rule_version_publish(version=made[0], user=finance)
    return primary_integration()


def test_a_copy_makes_a_draft_of_every_flow_table_and_rule_in_the_target(
    configured: Integration, acme: Integration, admin: User
) -> None:
    report = config_copy(configured, acme, admin)

    assert sorted(Flow.objects.filter(integration=acme).values_list("key", flat=True)) == sorted(
        DEFAULT_FLOWS
    )
    assert len(report.flows) == len(DEFAULT_FLOWS)
    for flow in Flow.objects.filter(integration=acme):
        (version,) = flow.versions.all()
        assert version.status == VersionStatus.DRAFT and version.number == 1
        assert version.created_by == admin
        original = MappingVersion.objects.get(
            flow__integration=configured, flow__key=flow.key, status=VersionStatus.PUBLISHED
        )
        assert version_spec(version) == version_spec(original)
    shipped = load_default_lookups()
    for table in LookupTable.objects.filter(integration=acme):
        (table_version,) = table.versions.all()
        assert table_version.status == VersionStatus.DRAFT
        assert lookup_entries(table_version) == shipped[table.name]
    source_rules = set(Rule.objects.filter(integration=configured).values_list("key", flat=True))
    assert set(Rule.objects.filter(integration=acme).values_list("key", flat=True)) == source_rules
    assert set(RuleVersion.objects.filter(rule__integration=acme).values_list("status", flat=True)) == {
        RuleStatus.DRAFT
    }
    acme.refresh_from_db()
    assert acme.based_on == configured
    entry = LogEntry.objects.filter(additional_data__event="config_copy").get()
    assert entry.actor == admin and entry.object_pk == str(acme.pk)
    assert entry.additional_data["source"] == "primary"


def test_the_copy_runs_nothing_until_someone_else_approves_it(
    configured: Integration, acme: Integration, revops: User, finance: User, admin: User
) -> None:
    config_copy(configured, acme, admin)
    with pytest.raises(NoPublishedMapping):
        published_mapping("opportunity_to_netsuite", acme)
    # The primary's published mapping is untouched and still the one the primary runs.
    primary_version, _ = published_mapping("opportunity_to_netsuite")
    assert primary_version.flow.integration == configured

    draft = MappingVersion.objects.get(flow__integration=acme, flow__key="opportunity_to_netsuite")
    version_submit(version=draft, user=revops)
    with pytest.raises(PermissionDenied, match="someone else must approve"):
        version_approve(version=draft, user=admin)  # who copied it is one of its makers
    version_approve(version=draft, user=finance)
    version_publish(version=draft, user=finance)
    version, _ = published_mapping("opportunity_to_netsuite", acme)
    assert version.pk == draft.pk and version.pk != primary_version.pk


def test_the_latest_version_is_copied_where_nothing_is_published(
    acme: Integration, revops: User, finance: User
) -> None:
    made = rules_shipped_install(user=revops)  # drafts only
    report = config_copy(primary_integration(), acme, revops)
    assert len(report.rules) == len(made)
    assert all("(draft) -> draft v1" in line for line in report.rules)


def test_a_second_copy_is_refused_and_changes_nothing(
    configured: Integration, acme: Integration, admin: User
) -> None:
    config_copy(configured, acme, admin)
    flows_before = Flow.objects.filter(integration=acme).count()
    versions_before = MappingVersion.objects.filter(flow__integration=acme).count()
    with pytest.raises(ConfigCopyRefused, match="already has its own configuration"):
        config_copy(configured, acme, admin)
    assert Flow.objects.filter(integration=acme).count() == flows_before
    assert MappingVersion.objects.filter(flow__integration=acme).count() == versions_before
    assert LogEntry.objects.filter(additional_data__event="config_copy").count() == 1


def test_an_integration_is_never_a_copy_of_itself(configured: Integration, admin: User) -> None:
    with pytest.raises(ConfigCopyRefused, match="itself"):
        config_copy(configured, configured, admin)


def test_a_copied_table_changed_in_the_target_leaves_the_source_alone(
    configured: Integration, acme: Integration, revops: User, finance: User
) -> None:
    config_copy(configured, acme, revops)
    draft = LookupTable.objects.get(integration=acme, name="country_to_subsidiary").versions.get()
    lookup_draft_entry_set(version=draft, key="DE", value="7", user=revops)
    lookup_version_submit(version=draft, user=revops)
    lookup_version_approve(version=draft, user=finance)
    lookup_version_publish(version=draft, user=finance)
    primary_table = LookupTable.objects.get(integration=configured, name="country_to_subsidiary")
    published = primary_table.versions.get(status=VersionStatus.PUBLISHED)
    assert lookup_entries(published)["DE"] == "3"
    draft.refresh_from_db()
    assert lookup_entries(draft)["DE"] == "7"
