"""The release life cycle: evidence, two sign-offs by two people, atomic publish, one-step rollback."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from governance.releases import services
from governance.releases.models import Release, ReleaseStatus, ReleaseTestStatus, SignoffRole
from governance.releases.services import (
    release_create,
    release_items_set,
    release_publish,
    release_rollback,
    release_sign,
)
from governance.releases.testing import release_test_run_start
from sync.connections.models import Connection
from sync.mappings.models import MappingVersion
from sync.rules.models import RuleVersion
from tests.governance.releases.conftest import FLOW, OPPORTUNITY, approved_mapping, approved_rule, run_test

pytestmark = pytest.mark.django_db
Pair = tuple[Connection, Connection]


def published_ids() -> tuple[set[int], set[int]]:
    return (
        set(MappingVersion.objects.filter(status="published").values_list("pk", flat=True)),
        set(RuleVersion.objects.filter(status="published").values_list("pk", flat=True)),
    )


def signed_off(release: Release, revops: User, finance: User, pair: Pair) -> Release:
    run_test(release, revops, pair)
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE)
    release.refresh_from_db()
    return release


def events(release: Release) -> list[str]:
    entries = AuditEntry.objects.filter(object_pk=str(release.pk), content_type__model="release")
    return [e.additional_data.get("event") for e in entries.order_by("id") if e.additional_data]


# -- creating ------------------------------------------------------------------------------------------


def test_it_takes_only_approved_or_published_versions_one_per_flow(
    shipped: None, revops: User, finance: User
) -> None:
    draft = MappingVersion.objects.create(
        flow_id=MappingVersion.objects.get(flow__key=FLOW).flow_id, number=9
    )
    with pytest.raises(ValidationError, match="only approved or published"):
        release_create(user=revops, name="r", mapping_versions=[draft])
    published = MappingVersion.objects.get(flow__key=FLOW, status="published")
    approved = approved_mapping(maker=revops, approver=finance)
    with pytest.raises(ValidationError, match="Two versions of flow:opportunity_to_netsuite"):
        release_create(user=revops, name="r", mapping_versions=[published, approved])
    with pytest.raises(PermissionDenied):
        release_create(user=finance, name="r", mapping_versions=[approved])
    assert not Release.objects.exists()


# -- evidence --------------------------------------------------------------------------------------------


def test_a_passing_test_run_makes_it_tested_and_a_failing_one_does_not(
    release: Release, revops: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    fake_run.update(records_failed=1, failures=[{"opportunity": OPPORTUNITY, "message": "rule blocked"}])
    failed = run_test(release, revops, sandbox_pair)
    release.refresh_from_db()
    assert (failed.status, failed.passed, release.status) == (ReleaseTestStatus.FAILED, False, "draft")
    fake_run.update(records_failed=0, failures=[])
    passed = run_test(release, revops, sandbox_pair)
    release.refresh_from_db()
    assert (passed.status, passed.passed, release.status) == (ReleaseTestStatus.PASSED, True, "tested")
    assert (
        passed.configuration["mappings"][FLOW] == release.items.get(target=f"flow:{FLOW}").mapping_version_id
    )
    fake_run.update(mismatch_count=2)
    assert run_test(release, revops, sandbox_pair).passed is False  # a mismatch fails it too
    release.refresh_from_db()
    assert release.status == "draft"


def test_it_tests_only_in_a_sandbox(release: Release, revops: User, sandbox_pair: Pair) -> None:
    salesforce, netsuite = sandbox_pair
    salesforce.environment = "production"
    salesforce.save()
    with pytest.raises(ValidationError, match="production connection"):
        release_test_run_start(
            release=release,
            user=revops,
            salesforce=salesforce,
            netsuite=netsuite,
            opportunity_ids=[OPPORTUNITY],
        )
    with pytest.raises(ValidationError, match="sandbox-ns is not a Salesforce connection"):
        release_test_run_start(
            release=release,
            user=revops,
            salesforce=netsuite,
            netsuite=netsuite,
            opportunity_ids=[OPPORTUNITY],
        )
    salesforce.environment = "sandbox"
    salesforce.save()
    with pytest.raises(ValidationError, match="Not Salesforce ids"):
        release_test_run_start(
            release=release, user=revops, salesforce=salesforce, netsuite=netsuite, opportunity_ids=["x'--"]
        )
    assert not release.test_runs.exists()


# -- sign-off ---------------------------------------------------------------------------------------------


def test_it_needs_a_passing_run_before_anyone_signs(release: Release, revops: User) -> None:
    with pytest.raises(ValidationError, match="only a tested release is signed off"):
        release_sign(release=release, user=revops, role=SignoffRole.REVOPS)


def test_two_roles_need_two_people_and_finance_is_never_the_creator(
    shipped: None,
    revops: User,
    finance: User,
    admin: User,
    both_roles: User,
    sandbox_pair: Pair,
    fake_run: dict[str, Any],
) -> None:
    made_by_both = release_create(
        user=both_roles, name="rita's", rule_versions=[approved_rule(maker=revops, approver=finance)]
    )
    run_test(made_by_both, both_roles, sandbox_pair)
    with pytest.raises(PermissionDenied, match="Finance's sign-off must come from someone else"):
        release_sign(release=made_by_both, user=both_roles, role=SignoffRole.FINANCE)
    with pytest.raises(PermissionDenied, match="needs approve_releases"):
        release_sign(release=made_by_both, user=revops, role=SignoffRole.FINANCE)
    with pytest.raises(PermissionDenied, match="needs edit_mappings"):
        release_sign(release=made_by_both, user=admin, role=SignoffRole.REVOPS)

    release_sign(release=made_by_both, user=both_roles, role=SignoffRole.REVOPS)  # the creator may, as RevOps
    with pytest.raises(ValidationError, match="RevOps has already signed"):
        release_sign(release=made_by_both, user=revops, role=SignoffRole.REVOPS)
    release_sign(release=made_by_both, user=finance, role=SignoffRole.FINANCE)
    made_by_both.refresh_from_db()
    assert made_by_both.status == ReleaseStatus.SIGNED_OFF

    # Someone else's release: the person holding both roles still signs only once.
    other = release_create(
        user=revops, name="other", mapping_versions=[approved_mapping(maker=revops, approver=finance)]
    )
    run_test(other, revops, sandbox_pair)
    release_sign(release=other, user=both_roles, role=SignoffRole.FINANCE)
    with pytest.raises(PermissionDenied, match="needs another person"):
        release_sign(release=other, user=both_roles, role=SignoffRole.REVOPS)


def test_changing_items_after_the_test_voids_the_signatures(
    release: Release, revops: User, finance: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    signed_off(release, revops, finance, sandbox_pair)
    mapping = release.items.get(target=f"flow:{FLOW}").mapping_version
    assert mapping is not None
    release_items_set(release=release, user=revops, mapping_versions=[mapping])  # the rule is dropped
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT
    assert not release.signoffs.filter(invalidated_at__isnull=True).exists()
    assert set(release.signoffs.values_list("invalidated_reason", flat=True)) == {
        "the release's items changed after its test run"
    }
    with pytest.raises(ValidationError, match="only a signed-off release is published"):
        release_publish(release=release, user=finance)


# -- publish ------------------------------------------------------------------------------------------------


def test_it_refuses_to_publish_without_both_signatures_or_by_someone_without_approve_releases(
    release: Release, revops: User, finance: User, admin: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    run_test(release, revops, sandbox_pair)
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    with pytest.raises(ValidationError, match="only a signed-off release is published"):
        release_publish(release=release, user=finance)
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE)
    for who in (revops, admin):
        with pytest.raises(PermissionDenied, match="approve_releases"):
            release_publish(release=release, user=who)


def test_it_refuses_to_publish_when_production_changed_since_the_test(
    release: Release, revops: User, finance: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    signed_off(release, revops, finance, sandbox_pair)
    other_rule = approved_rule(maker=revops, approver=finance, key="discount_needs_approval")
    from sync.rules.services import rule_version_publish

    rule_version_publish(version=other_rule, user=finance)
    with pytest.raises(ValidationError, match="Production changed since the test run"):
        release_publish(release=release, user=finance)


def test_it_publishes_every_item_and_records_what_each_replaced(
    release: Release, revops: User, finance: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    before_mappings, before_rules = published_ids()
    old = MappingVersion.objects.get(flow__key=FLOW, status="published")
    signed_off(release, revops, finance, sandbox_pair)
    release_publish(release=release, user=finance, reason="month end")
    release.refresh_from_db()
    item = release.items.get(target=f"flow:{FLOW}")
    rule_item = release.items.get(target="rule:amount_matches_quote")
    assert release.status == ReleaseStatus.LIVE and release.published_by == finance
    assert item.replaced_mapping_version == old and rule_item.replaced_rule_version is None
    mappings, rules = published_ids()
    assert mappings == before_mappings - {old.pk} | {item.mapping_version_id}
    assert rules == before_rules | {rule_item.rule_version_id}
    old.refresh_from_db()
    assert old.status == "superseded"
    assert events(release)[-1] == "release_publish"


def test_a_failure_mid_publish_leaves_everything_as_it_was(
    release: Release,
    revops: User,
    finance: User,
    sandbox_pair: Pair,
    fake_run: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed_off(release, revops, finance, sandbox_pair)
    before = published_ids()
    real = services._publish_item
    calls: list[str] = []

    def second_fails(item: Any, **kwargs: Any) -> None:
        calls.append(item.target)
        if len(calls) == 2:
            raise RuntimeError("NetSuite lookup table vanished")
        real(item, **kwargs)

    monkeypatch.setattr(services, "_publish_item", second_fails)
    with pytest.raises(RuntimeError):
        release_publish(release=release, user=finance)
    assert len(calls) == 2
    assert published_ids() == before  # the first item's publish was rolled back with the rest
    release.refresh_from_db()
    assert release.status == ReleaseStatus.SIGNED_OFF and release.published_at is None
    assert not release.items.exclude(replaced_mapping_version=None).exists()


# -- rollback ------------------------------------------------------------------------------------------------


def test_rollback_restores_exactly_the_previous_release_in_one_step(
    shipped: None, revops: User, finance: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    first = release_create(
        user=revops,
        name="first",
        mapping_versions=[approved_mapping(maker=revops, approver=finance)],
        rule_versions=[approved_rule(maker=revops, approver=finance)],
    )
    release_publish(release=signed_off(first, revops, finance, sandbox_pair), user=finance)
    after_first = published_ids()

    rule = RuleVersion.objects.get(rule__key="amount_matches_quote", status="published")
    from sync.rules.services import rule_draft_start

    second_rule = rule_draft_start(rule=rule.rule, user=revops)
    second_rule = approved_rule(maker=revops, approver=finance)
    second = release_create(
        user=revops,
        name="second",
        mapping_versions=[approved_mapping(maker=revops, approver=finance)],
        rule_versions=[second_rule],
    )
    release_publish(release=signed_off(second, revops, finance, sandbox_pair), user=finance)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.previous_release) == ("superseded", "live", first)
    assert published_ids() != after_first

    with pytest.raises(ValidationError, match="Say why"):
        release_rollback(release=second, user=finance, reason=" ")
    with pytest.raises(PermissionDenied):
        release_rollback(release=second, user=revops, reason="wrong totals")
    release_rollback(release=second, user=finance, reason="wrong totals")
    assert published_ids() == after_first  # the very same version rows, published again
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.rolled_back_by) == ("live", "rolled_back", finance)
    assert events(second)[-1] == "release_rollback" and events(first)[-1] == "release_restored"

    # Rolling the first back too leaves what ran before any release: v1 of the flow, no published rule.
    release_rollback(release=first, user=finance, reason="back to the shipped set")
    mappings, rules = published_ids()
    assert MappingVersion.objects.get(pk__in=mappings, flow__key=FLOW).number == 1
    assert not RuleVersion.objects.filter(rule__key="amount_matches_quote", status="published").exists()
    with pytest.raises(ValidationError, match="only the live release is rolled back"):
        release_rollback(release=second, user=finance, reason="again")


def test_a_test_run_lost_with_its_worker_does_not_block_the_next(
    release: Release, revops: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    import datetime as dt

    from django.utils import timezone

    from governance.releases.models import ReleaseTestRun

    lost = release_test_run_start(
        release=release,
        user=revops,
        salesforce=sandbox_pair[0],
        netsuite=sandbox_pair[1],
        opportunity_ids=[OPPORTUNITY],
    )
    with pytest.raises(ValidationError, match="already under way"):
        release_test_run_start(
            release=release,
            user=revops,
            salesforce=sandbox_pair[0],
            netsuite=sandbox_pair[1],
            opportunity_ids=[OPPORTUNITY],
        )
    # Its task was lost before it started: queued for longer than the lease, never a heartbeat.
    ReleaseTestRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    assert run_test(release, revops, sandbox_pair).passed
    lost.refresh_from_db()
    assert lost.status == ReleaseTestStatus.INTERRUPTED and lost.error.startswith("Interrupted")


def test_a_failure_mid_rollback_leaves_the_release_live(
    release: Release,
    revops: User,
    finance: User,
    sandbox_pair: Pair,
    fake_run: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release_publish(release=signed_off(release, revops, finance, sandbox_pair), user=finance)
    live = published_ids()
    real = services._restore_item
    calls: list[str] = []

    def second_fails(item: Any, **kwargs: Any) -> None:
        calls.append(item.target)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        real(item, **kwargs)

    monkeypatch.setattr(services, "_restore_item", second_fails)
    with pytest.raises(RuntimeError):
        release_rollback(release=release, user=finance, reason="wrong totals")
    assert len(calls) == 2 and published_ids() == live
    release.refresh_from_db()
    assert release.status == ReleaseStatus.LIVE and release.rolled_back_at is None


def test_publishing_audits_the_release_and_each_version_with_the_reason(
    release: Release, revops: User, finance: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    release_publish(
        release=signed_off(release, revops, finance, sandbox_pair), user=finance, reason="month end"
    )
    item = release.items.get(target=f"flow:{FLOW}")
    entries = AuditEntry.objects.filter(
        content_type__model="mappingversion", object_pk=str(item.mapping_version_id)
    ).order_by("id")
    last = entries.last()
    assert last is not None and last.actor == finance
    assert last.additional_data["event"] == "release_publish"
    assert last.additional_data["reason"] == f"release {release.name}: month end"
    assert events(release) == ["release_tested", "release_signed_off", "release_publish"]
