"""``manage.py release``: the life cycle from the command line with the console's checks and audit; a
refusal changes nothing; a person limited to another integration is told there is no such release."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.releases.models import Release, ReleaseTestRun
from governance.releases.testing import release_test_run_execute
from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import MappingVersion
from tests.governance.releases.conftest import FLOW, OPPORTUNITY, approved_mapping, approved_rule
from tests.governance.releases.test_per_integration import (  # noqa: F401 - fixtures, used by name
    acme,
    acme_pair,
    approved,
    limited_to,
)
from tests.governance.releases.test_services import events

pytestmark = pytest.mark.django_db
Pair = tuple[Connection, Connection]


def release(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    call_command("release", *args)
    out: str = capsys.readouterr().out
    return out


def to_live(release_id: str, capsys: pytest.CaptureFixture[str]) -> str:
    said = release("test", release_id, "--user", "revops", "--opportunity", OPPORTUNITY, capsys=capsys)
    run_id = int(re.search(r"test run #(\d+)", said).group(1))  # type: ignore[union-attr]
    assert release_test_run_execute(run_id=run_id) is not None
    release("sign", release_id, "--user", "revops", "--role", "revops", capsys=capsys)
    signed = release("sign", release_id, "--user", "finance", "--role", "finance", capsys=capsys)
    assert "is signed off" in signed
    return release("publish", release_id, "--user", "finance", "--reason", "close", capsys=capsys)


def test_a_release_goes_live_is_rolled_back_and_the_next_one_goes_live(
    shipped: None,
    revops: User,
    finance: User,
    sandbox_pair: Pair,
    fake_run: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    version = approved_mapping(maker=revops, approver=finance)
    rule = approved_rule(maker=revops, approver=finance)
    made = release(
        "create", "2026.12", "--user", "revops", "--mapping-version", str(version.pk), capsys=capsys
    )
    created = Release.objects.get(name="2026.12")
    assert f"release 2026.12 (id {created.pk}) of primary is a draft" in made
    rid = str(created.pk)
    versions = ["--mapping-version", str(version.pk), "--rule-version", str(rule.pk)]
    release("items", rid, "--user", "revops", *versions, capsys=capsys)
    assert created.items.count() == 2
    assert "is live" in to_live(rid, capsys)
    shown = release("show", rid, capsys=capsys)
    assert "live" in shown and "signed  Finance by finance" in shown and f"flow:{FLOW}" in shown
    assert f"{created.pk}  primary  2026.12  live  2 items" in release("list", capsys=capsys)

    # The second day: a rollback needs a reason; then the next release goes live.
    with pytest.raises(CommandError, match="Say why you roll back"):
        release("rollback", rid, "--user", "finance", capsys=capsys)
    said = release("rollback", rid, "--user", "finance", "--reason", "totals wrong", capsys=capsys)
    assert "is rolled back" in said
    assert events(created)[-2:] == ["release_publish", "release_rollback"]
    fix = approved_mapping(maker=revops, approver=finance)
    release("create", "2026.12b", "--user", "revops", "--mapping-version", str(fix.pk), capsys=capsys)
    assert "is live" in to_live(str(Release.objects.get(name="2026.12b").pk), capsys)
    assert MappingVersion.objects.get(flow__key=FLOW, status="published") == fix


def test_refusals_change_nothing(
    shipped: None, revops: User, finance: User, sandbox_pair: Pair, capsys: pytest.CaptureFixture[str]
) -> None:
    version = approved_mapping(maker=revops, approver=finance)
    with pytest.raises(CommandError, match="no mapping version 999999"):
        release("create", "r", "--user", "revops", "--mapping-version", "999999", capsys=capsys)
    with pytest.raises(CommandError, match="refused: Releases are put together by RevOps"):
        release("create", "r", "--user", "finance", "--mapping-version", str(version.pk), capsys=capsys)
    with pytest.raises(CommandError, match="--user"):
        release("create", "r", "--mapping-version", str(version.pk), capsys=capsys)
    assert not Release.objects.exists()
    release("create", "r", "--user", "revops", "--mapping-version", str(version.pk), capsys=capsys)
    rid = str(Release.objects.get().pk)
    with pytest.raises(CommandError, match="Not Salesforce ids"):
        release("test", rid, "--user", "revops", "--opportunity", "x'--", capsys=capsys)
    with pytest.raises(CommandError, match="no netsuite connection 'nope'"):
        release(
            "test", rid, "--user", "revops", "--opportunity", OPPORTUNITY, "--netsuite", "nope", capsys=capsys
        )
    with pytest.raises(CommandError, match="only a tested release is signed off"):
        release("sign", rid, "--user", "finance", "--role", "finance", capsys=capsys)
    with pytest.raises(CommandError, match="only a signed-off release is published"):
        release("publish", rid, "--user", "finance", capsys=capsys)
    assert not ReleaseTestRun.objects.exists()
    assert Release.objects.get().status == "draft"


def test_a_person_limited_to_acme_finds_no_primary_release(
    acme: Integration,  # noqa: F811
    revops: User,
    finance: User,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ours = approved(primary_integration(), revops, finance)
    theirs = approved(acme, revops, finance)
    release("create", "primary 1", "--user", "revops", "--mapping-version", str(ours.pk), capsys=capsys)
    rid = str(Release.objects.get().pk)
    limited_to(acme, "acme-revops", "RevOps")
    with pytest.raises(CommandError, match=f"no release {rid}"):
        release("items", rid, "--user", "acme-revops", "--mapping-version", str(theirs.pk), capsys=capsys)
    with pytest.raises(CommandError, match=f"no mapping version {ours.pk}"):
        release("create", "mine", "--user", "acme-revops", "--mapping-version", str(ours.pk), capsys=capsys)
    said = release(
        "create", "acme 1", "--user", "acme-revops", "--mapping-version", str(theirs.pk), capsys=capsys
    )
    assert "of acme is a draft" in said
    assert Release.objects.get(name="primary 1").items.get().mapping_version == ours
