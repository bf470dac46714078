"""The exception policy: shipped defaults under which Escalate works, edits through the command and the
services (validated, audited), and a second ``ensure`` that keeps what people changed."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from governance.models import AuditEntry
from sync.exceptions import policy
from sync.exceptions.actions import exception_escalate
from sync.exceptions.models import ExceptionCategory
from sync.exceptions.policy_defaults import SHIPPED
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db


def run(*args: Any) -> str:
    out = io.StringIO()
    call_command("exception_policy", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def test_it_escalates_out_of_the_box_from_level_one_to_two_then_says_last_level(
    revops: User, finance_everywhere: User
) -> None:
    item = raise_sample(severity=None)  # sync_failure, created on first use with the shipped policy
    category = item.category
    assert category.levels.count() == 2
    assert item.owner_group == Group.objects.get(name="RevOps")
    assert item.severity == "high"  # the category's default: the source gave none
    exception_escalate(item=item, user=revops, reason="customer waiting")
    item.refresh_from_db()
    assert (item.escalation_level, item.owner_group.name if item.owner_group else None) == (1, "Finance")
    exception_escalate(item=item, user=revops, reason="still waiting")
    item.refresh_from_db()
    assert (item.escalation_level, item.owner_group.name if item.owner_group else None) == (2, "Admin")
    with pytest.raises(ValidationError, match="last level"):
        exception_escalate(item=item, user=revops, reason="and again")


def test_an_explicit_severity_wins_over_the_category_default() -> None:
    assert raise_sample(severity="low").severity == "low"


def test_a_category_no_one_ships_gets_the_fallback_path() -> None:
    item = raise_sample(category="something_new", severity=None)
    assert item.category.name == "Something new"
    assert [level.group.name for level in item.category.levels.all() if level.group] == ["Finance", "Admin"]


def test_ensure_creates_every_shipped_category_and_keeps_edits_the_second_time(finance: User) -> None:
    assert sorted(policy.exception_policy_ensure()) == sorted(SHIPPED)
    assert policy.exception_policy_ensure() == []  # nothing to do the second time
    category = ExceptionCategory.objects.get(key="reconciliation")
    policy.category_update(category=category, user=finance, sla=timedelta(hours=2), runbook="Call Bob.")
    policy.escalation_level_remove(category=category, user=finance, position=2)
    policy.escalation_level_remove(category=category, user=finance, position=1)
    untouched = ExceptionCategory.objects.get(key="blocked_rule")
    untouched.sla = timedelta(minutes=5)  # changed behind the services' back: not an edit
    untouched.save()

    assert policy.exception_policy_ensure() == ["blocked_rule"]
    category.refresh_from_db()
    assert (category.sla, category.runbook, category.levels.count()) == (timedelta(hours=2), "Call Bob.", 0)
    untouched.refresh_from_db()
    assert untouched.sla == SHIPPED["blocked_rule"].sla


def test_the_command_edits_every_field_and_the_path(finance: User, tmp_path: Path) -> None:
    policy.exception_policy_ensure()
    runbook = tmp_path / "runbook.txt"
    runbook.write_text("Step one.\nStep two.\n")
    text = run(
        "--as", "finance", "set", "sync_failure", "--sla", "1d 4h", "--severity", "critical",
        "--owner-user", "finance", "--auto-ticket", "yes", "--runbook-file", runbook, "--name", "Sync broke",
    )  # fmt: skip
    category = ExceptionCategory.objects.get(key="sync_failure")
    assert category.sla == timedelta(days=1, hours=4) and category.default_severity == "critical"
    assert (category.default_owner_user, category.default_owner_group) == (finance, None)
    assert (
        category.auto_ticket and category.runbook == "Step one.\nStep two." and category.name == "Sync broke"
    )
    assert "SLA 1d 4h, critical, owner finance, ticket" in text and "Step two." in text
    entry = AuditEntry.objects.filter(additional_data__event="exception_category_changed").latest("pk")
    assert entry.actor == finance and entry.changes["sla"] == ["4h", "1d 4h"]

    run(
        "--as",
        "finance",
        "level-add",
        "sync_failure",
        "--group",
        "RevOps",
        "--duration",
        "2h",
        "--position",
        "1",
    )
    assert policy.escalation_path(category) == ["1: RevOps for 2h", "2: Finance for 8h", "3: Admin for 1d"]
    run("--as", "finance", "level-move", "sync_failure", "3", "1")
    assert policy.escalation_path(category) == ["1: Admin for 1d", "2: RevOps for 2h", "3: Finance for 8h"]
    run("--as", "finance", "level-set", "sync_failure", "2", "--duration", "3h", "--user", "finance")
    assert policy.escalation_path(category)[1] == "2: finance for 3h"
    run("--as", "finance", "level-remove", "sync_failure", "1")
    assert policy.escalation_path(category) == ["1: finance for 3h", "2: Finance for 8h"]
    moves = AuditEntry.objects.filter(additional_data__event__startswith="escalation_level_")
    assert moves.count() == 4
    assert moves.latest("pk").changes["escalation_path"][1] == policy.escalation_path(category)
    assert "sync_failure: SLA 1d 4h" in run("list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "sync_failure", "--sla=-4h"], "cannot be negative"),
        (["set", "sync_failure", "--sla", "soon"], "is not a duration"),
        (["set", "sync_failure", "--sla", "0m"], "at least one minute"),
        (["set", "sync_failure", "--owner-group", "Nobody"], "no group called 'Nobody'"),
        (["level-add", "sync_failure", "--group", "Nobody", "--duration", "1h"], "no group called"),
        (["level-add", "sync_failure", "--duration", "1h"], "one group or one user"),
        (["level-remove", "sync_failure", "9"], "has no level 9"),
        (["level-move", "sync_failure", "1", "5"], "outside the path"),
        (["set", "no_such"], "no category 'no_such'"),
        (["set", "sync_failure"], "nothing to change"),
    ],
)
def test_the_command_refuses_bad_input_and_changes_nothing(args: list[str], message: str) -> None:
    policy.exception_policy_ensure()
    before = policy.escalation_path(ExceptionCategory.objects.get(key="sync_failure"))
    with pytest.raises(CommandError, match=message):
        run(*args)
    category = ExceptionCategory.objects.get(key="sync_failure")
    assert category.edited_at is None and policy.escalation_path(category) == before


def test_only_finance_and_admins_edit_the_policy(revops: User, auditor: User, admin: User) -> None:
    policy.exception_policy_ensure()
    category = ExceptionCategory.objects.get(key="sync_failure")
    for person in (revops, auditor):
        with pytest.raises(PermissionDenied):
            policy.category_update(category=category, user=person, runbook="no")
    with pytest.raises(CommandError, match="Only Finance and admins"):
        run("--as", "revops", "set", "sync_failure", "--severity", "low")
    policy.category_update(category=category, user=admin, runbook="yes")
    assert ExceptionCategory.objects.get(key="sync_failure").runbook == "yes"


def test_a_new_exception_follows_the_edited_policy(finance: User, finance_everywhere: User) -> None:
    policy.exception_policy_ensure()
    category = ExceptionCategory.objects.get(key="sync_failure")
    policy.category_update(
        category=category, user=finance, sla=timedelta(hours=1), default_owner_user=finance
    )
    item = raise_sample(severity=None)
    assert item.owner_user == finance and item.owner_group is None
    assert item.due_at == item.first_seen + timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4h", timedelta(hours=4)), ("1d 12h", timedelta(days=1, hours=12)), ("90m", timedelta(minutes=90)),
     ("2w", timedelta(weeks=2)), ("1 04:00:00", timedelta(days=1, hours=4))],
)  # fmt: skip
def test_durations_read_as_people_write_them(text: str, expected: timedelta) -> None:
    assert policy.duration_parse(text) == expected
    assert policy.duration_parse(policy.duration_text(expected)) == expected
