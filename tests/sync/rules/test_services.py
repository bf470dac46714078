"""Rule versions: validation on save, draft -> submitted -> approved -> published with four-eyes,
immutability after submission, the audit trail, and the pipeline's evaluation call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance import services
from governance.models import AuditEntry
from sync.rules.models import Rule, RuleStatus, RuleVersion
from sync.rules.services import (
    rule_create,
    rule_draft_start,
    rule_version_approve,
    rule_version_publish,
    rule_version_send_back,
    rule_version_submit,
    rule_version_test,
    rule_version_update,
    rules_evaluate,
    rules_published_ruleset,
    rules_shipped_install,
)
from tests.sync.mappings.engine.graphs import dataset_graphs

TODAY = dt.date(2026, 3, 15)
CONTENT: dict[str, Any] = {
    "name": "Amount positive",
    "subject": "opportunity",
    "placement": "pre_sale",
    "severity": "block",
    "message": "The amount must be positive.",
    "owner": "Finance",
    "condition": "Amount > 0",
}


def _published(revops: User, finance: User, **content: Any) -> RuleVersion:
    version = rule_create(user=revops, key=content.pop("key", "amount_positive"), **{**CONTENT, **content})
    rule_version_submit(version=version, user=revops, reason="new gate")
    rule_version_approve(version=version, user=finance, reason="agreed with sales ops")
    return rule_version_publish(version=version, user=finance, reason="go live")


@pytest.mark.django_db
def test_it_refuses_a_condition_that_does_not_check_pointing_at_the_token(revops: User) -> None:
    with pytest.raises(ValidationError) as caught:
        rule_create(user=revops, key="broken", **{**CONTENT, "condition": "Amount >\n  and x"})
    message = caught.value.message_dict["condition"][0]
    assert message.startswith("line 2, column 3: expected a value")
    assert message.endswith("  and x\n  ^")
    assert not Rule.objects.exists()


@pytest.mark.django_db
def test_it_walks_a_version_through_approval_with_four_eyes(revops: User, finance: User, admin: User) -> None:
    version = rule_create(user=revops, key="amount_positive", **CONTENT)
    with pytest.raises(PermissionDenied):
        rule_version_submit(version=version, user=User.objects.create(username="nobody"))
    rule_version_submit(version=version, user=revops, reason="ready")
    with pytest.raises(PermissionDenied):  # RevOps may edit, not approve
        rule_version_approve(version=version, user=revops, reason="mine")
    with pytest.raises(ValidationError):  # submitted text is frozen
        rule_version_update(version=version, user=revops, condition="Amount >= 0")
    rule_version_approve(version=version, user=finance, reason="checked against Q3 deals")
    published = rule_version_publish(version=version, user=admin, reason="release 12")
    assert (published.status, published.approved_by, published.published_by) == ("published", finance, admin)
    with pytest.raises(ValidationError):
        rule_version_update(version=published, user=revops, condition="Amount >= 0")

    events = AuditEntry.objects.filter(object_pk=str(version.pk), additional_data__event__startswith="rule_")
    assert sorted(
        (e.additional_data["event"], e.additional_data["reason"], e.actor) for e in events
    ) == sorted(
        [
            ("rule_submit", "ready", revops),
            ("rule_approve", "checked against Q3 deals", finance),
            ("rule_publish", "release 12", admin),
        ]
    )


@pytest.mark.django_db
def test_it_stops_an_approver_who_wrote_the_version(admin: User, finance: User, revops: User) -> None:
    admin.user_permissions.add(*_edit_permission())
    admin = User.objects.get(pk=admin.pk)
    version = rule_create(user=admin, key="admin_rule", **CONTENT)
    rule_version_submit(version=version, user=admin)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        rule_version_approve(version=version, user=admin, reason="looks fine")
    # Someone who only edited the draft is an author too.
    second = rule_create(user=revops, key="edited", **CONTENT)
    rule_version_update(version=second, user=admin, condition="Amount >= 1")
    rule_version_submit(version=second, user=revops)
    with pytest.raises(PermissionDenied):
        rule_version_approve(version=second, user=admin, reason="mine too")
    rule_version_approve(version=second, user=finance, reason="ok")


@pytest.mark.django_db
def test_it_counts_the_submitter_as_a_maker(admin: User, finance: User, revops: User) -> None:
    # Someone who may both edit and approve submits a draft they did not write: they are its maker now.
    both = User.objects.create(username="edits-and-approves")
    services.user_roles_set(user=both, roles=["RevOps", "Finance"], actor=admin)
    version = rule_create(user=revops, key="submitted_by_other", **CONTENT)
    rule_version_submit(version=version, user=both, reason="ready")
    with pytest.raises(PermissionDenied, match="wrote or submitted this version"):
        rule_version_approve(version=version, user=both, reason="fine by me")
    version.refresh_from_db()
    assert version.status == RuleStatus.SUBMITTED and version.approved_by is None
    approved = rule_version_approve(version=version, user=finance, reason="checked")
    assert approved.approved_by == finance


def _edit_permission() -> list[Any]:
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(codename="edit_mappings"))


@pytest.mark.django_db
def test_it_sends_back_and_replaces_published_versions(revops: User, finance: User) -> None:
    first = _published(revops, finance)
    draft = rule_draft_start(rule=first.rule, user=revops)
    assert (draft.number, draft.condition) == (2, "Amount > 0")
    with pytest.raises(ValidationError):
        rule_draft_start(rule=first.rule, user=revops)  # one open version at a time
    rule_version_update(version=draft, user=revops, condition="Amount > 10")
    rule_version_submit(version=draft, user=revops)
    rule_version_send_back(version=draft, user=finance, reason="10 is too low")
    assert RuleVersion.objects.get(pk=draft.pk).status == RuleStatus.DRAFT
    rule_version_update(version=draft, user=revops, condition="Amount > 100")
    rule_version_submit(version=draft, user=revops)
    rule_version_approve(version=draft, user=finance, reason="ok")
    rule_version_publish(version=draft, user=finance)
    assert RuleVersion.objects.get(pk=first.pk).status == RuleStatus.RETIRED
    (published,) = rules_published_ruleset().rules
    assert published.spec.condition == "Amount > 100" and published.spec.version_id == draft.pk


@pytest.mark.django_db
def test_it_evaluates_only_published_rules_and_records_their_versions(revops: User, finance: User) -> None:
    version = _published(revops, finance, severity="warn")
    rule_create(user=revops, key="draft_only", **{**CONTENT, "condition": "Amount > 1000000000"})
    evaluation = rules_evaluate(
        placement="pre_sale", subject="opportunity", record={"Amount": 0}, today=TODAY
    )
    assert evaluation.decision == "warned"
    assert evaluation.rule_versions == [version.pk]
    (warning,) = evaluation.warnings
    assert warning.as_dict()["version_id"] == version.pk and warning.values == [("Amount", 0)]
    assert rules_evaluate(placement="post_sale", subject="opportunity", record={"Amount": 0}).outcomes == []


@pytest.mark.django_db
def test_it_installs_the_shipped_rules_once_and_they_judge_the_data_set(revops: User, finance: User) -> None:
    created = rules_shipped_install(user=revops)
    assert len(created) == 7 and rules_shipped_install(user=revops) == []
    for version in created:
        rule_version_submit(version=version, user=revops)
        rule_version_approve(version=version, user=finance, reason="shipped")
        rule_version_publish(version=version, user=finance)
    blocked = {
        opportunity.index
        for _, opportunity, graph in dataset_graphs(accounts=30)
        if rules_evaluate(placement="pre_sale", subject="opportunity", record=graph, today=TODAY).decision
        == "blocked"
    }
    expected = {i for i in range(60) if i % 23 == 22 or i % 17 == 16}
    assert blocked == expected


@pytest.mark.django_db
def test_it_tests_a_draft_against_a_record_or_an_id(revops: User) -> None:
    version = rule_create(
        user=revops, key="lines", **{**CONTENT, "subject": "quote_line", "condition": "q > 0"}
    )
    graph = {"Amount": 1, "primary_quote": {"lines": [{"Id": "L1", "q": 1}, {"Id": "L2", "q": 0}]}}
    evaluation = rule_version_test(version=version, record=graph, today=TODAY)
    assert [(o.item, o.status, o.values) for o in evaluation.outcomes] == [
        ("primary_quote.lines[0] (L1)", "passed", [("q", 1)]),
        ("primary_quote.lines[1] (L2)", "blocked", [("q", 0)]),
    ]
    edited = rule_version_test(version=version, record=graph, condition="q >= 0", today=TODAY)
    assert edited.decision == "passed"
    fetched = rule_version_test(version=version, record_id="006X", fetch=lambda _id: graph, today=TODAY)
    assert fetched.decision == "blocked"
    with pytest.raises(ValidationError, match="needs a connection"):
        rule_version_test(version=version, record_id="006X")
