"""Releases over the API: the life cycle the console's buttons take (create, items, test, sign, publish,
roll back), with the same checks and audit; bad input is a 400 that changes nothing; another integration's
release is not found."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from governance.models import AuditEntry
from governance.releases.models import Release, ReleaseStatus, ReleaseTestRun
from governance.releases.testing import release_test_run_execute
from sync.connections.models import Connection
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import MappingVersion
from tests.api_support import token_client
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
RELEASES = "/api/v1/releases/"


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def run_passed(client: Client, release_id: int) -> ReleaseTestRun:
    """Queue a test run over the API and run it here (the queued task only runs after a real commit)."""
    answer = post(client, f"{RELEASES}{release_id}/test/", {"opportunity_ids": [OPPORTUNITY]})
    assert answer.status_code == 202, answer.content
    run = release_test_run_execute(run_id=answer.json()["id"])
    assert run is not None and run.passed
    return run


def to_live(release_id: int, revops: Client, finance: Client, reason: str = "") -> dict[str, Any]:
    run_passed(revops, release_id)
    assert post(revops, f"{RELEASES}{release_id}/sign/", {"role": "revops"}).status_code == 200
    signed = post(finance, f"{RELEASES}{release_id}/sign/", {"role": "finance", "note": "figures agree"})
    assert signed.json()["status"] == ReleaseStatus.SIGNED_OFF
    published = post(finance, f"{RELEASES}{release_id}/publish/", {"reason": reason})
    assert published.status_code == 200, published.content
    body: dict[str, Any] = published.json()
    return body


def test_a_release_is_made_tested_signed_published_and_rolled_back_over_the_api(
    shipped: None, revops: User, finance: User, sandbox_pair: Pair, fake_run: dict[str, Any]
) -> None:
    maker, approver = token_client(revops), token_client(finance)
    version = approved_mapping(maker=revops, approver=finance)
    rule = approved_rule(maker=revops, approver=finance)
    created = post(
        maker, RELEASES, {"name": "2026.12 amounts", "notes": "why", "mapping_versions": [version.pk]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["integration"], body["status"], body["created_by"]) == ("primary", "draft", "revops")
    release_id = body["id"]
    # Items: the whole list replaces the old one (here: the rule added).
    items = post(
        maker,
        f"{RELEASES}{release_id}/items/",
        {"mapping_versions": [version.pk], "rule_versions": [rule.pk]},
    )
    assert sorted(item["target"] for item in items.json()["items"]) == [
        f"flow:{FLOW}",
        "rule:amount_matches_quote",
    ]
    run = run_passed(maker, release_id)  # the integration's sandbox pair, chosen by default
    assert (run.salesforce_connection, run.netsuite_connection) == sandbox_pair
    live = to_live(release_id, maker, approver, reason="quarter close")
    assert (live["status"], live["published_by"]) == ("live", "finance")
    assert {(s["role"], s["user"]) for s in live["signoffs"]} == {
        ("revops", "revops"),
        ("finance", "finance"),
    }
    assert MappingVersion.objects.get(flow__key=FLOW, status="published") == version

    # The second day: rolled back with a reason, then a new release goes live after it.
    assert post(approver, f"{RELEASES}{release_id}/rollback/", {"reason": ""}).status_code == 400
    rolled = post(approver, f"{RELEASES}{release_id}/rollback/", {"reason": "totals wrong"})
    assert (rolled.json()["status"], rolled.json()["rollback_reason"]) == ("rolled_back", "totals wrong")
    assert MappingVersion.objects.get(flow__key=FLOW, status="published") != version
    release = Release.objects.get(pk=release_id)
    assert events(release)[-2:] == ["release_publish", "release_rollback"]
    rollback_entry = AuditEntry.objects.filter(object_pk=str(release_id)).order_by("-id").first()
    assert rollback_entry is not None and rollback_entry.actor == finance
    fix = approved_mapping(maker=revops, approver=finance)
    again = post(maker, RELEASES, {"name": "2026.12 amounts, fixed", "mapping_versions": [fix.pk]}).json()
    assert to_live(again["id"], maker, approver)["status"] == "live"
    assert MappingVersion.objects.get(flow__key=FLOW, status="published") == fix


def test_bad_input_is_a_400_that_changes_nothing(
    release: Release, revops: User, finance: User, sandbox_pair: Pair
) -> None:
    maker, approver = token_client(revops), token_client(finance)
    published = MappingVersion.objects.get(flow__key=FLOW, status="published")
    draft = MappingVersion.objects.create(flow_id=published.flow_id, number=9)
    refused = post(maker, RELEASES, {"name": "drafty", "mapping_versions": [draft.pk]})
    assert refused.status_code == 400 and "only approved or published" in refused.content.decode()
    assert post(maker, RELEASES, {"name": "ghost", "mapping_versions": [999999]}).status_code == 400
    assert "mapping_versions" in post(maker, RELEASES, {"name": "ghost", "mapping_versions": [999999]}).json()
    assert post(maker, RELEASES, {"mapping_versions": []}).json().keys() == {"name"}
    empty = post(maker, RELEASES, {"name": "empty", "rule_versions": []})
    assert empty.status_code == 400 and "Choose at least one" in empty.content.decode()
    duplicate = post(maker, RELEASES, {"name": release.name, "mapping_versions": [published.pk]})
    assert duplicate.status_code == 400 and duplicate.json().keys() == {"name"}
    assert list(Release.objects.values_list("name", flat=True)) == [release.name]

    url = f"{RELEASES}{release.pk}/"
    before = sorted(release.items.values_list("target", flat=True))
    both = [item.mapping_version_id for item in release.items.all() if item.mapping_version_id]
    two = post(maker, f"{url}items/", {"mapping_versions": [*both, published.pk]})
    assert two.status_code == 400 and "Two versions of flow:" in two.content.decode()
    assert sorted(release.items.values_list("target", flat=True)) == before
    wrong_ids = post(maker, f"{url}test/", {"opportunity_ids": ["x'--"]})
    assert wrong_ids.status_code == 400 and "Not Salesforce ids" in wrong_ids.content.decode()
    assert post(maker, f"{url}test/", {"opportunity_ids": [OPPORTUNITY] * 51}).status_code == 400
    assert (
        post(maker, f"{url}test/", {"opportunity_ids": [OPPORTUNITY], "netsuite": "nope"}).status_code == 400
    )
    assert not release.test_runs.exists()
    untested = post(approver, f"{url}sign/", {"role": "finance"})
    assert untested.status_code == 400 and "only a tested release" in untested.content.decode()
    assert post(approver, f"{url}sign/", {"role": "boss"}).status_code == 400
    assert post(approver, f"{url}publish/", {}).status_code == 400  # a draft is not published
    assert post(maker, f"{url}publish/", {}).status_code == 403  # RevOps does not publish
    release.refresh_from_db()
    assert (release.status, release.signoffs.count()) == ("draft", 0)


def test_a_person_limited_to_acme_cannot_touch_the_primary_s_releases(
    acme: Integration,  # noqa: F811
    revops: User,
    finance: User,
    acme_pair: Pair,  # noqa: F811
    fake_run: dict[str, Any],
) -> None:
    ours = approved(primary_integration(), revops, finance)
    theirs = approved(acme, revops, finance)
    primary_release = post(
        token_client(revops), RELEASES, {"name": "primary 1", "mapping_versions": [ours.pk]}
    )
    primary_id = primary_release.json()["id"]
    maker = token_client(limited_to(acme, "acme-revops", "RevOps"))
    for action, body in (
        ("items/", {"mapping_versions": [theirs.pk]}),
        ("test/", {"opportunity_ids": [OPPORTUNITY]}),
        ("sign/", {"role": "revops"}),
    ):
        assert post(maker, f"{RELEASES}{primary_id}/{action}", body).status_code == 404, action
    finance_acme = token_client(limited_to(acme, "acme-finance", "Finance"))
    for action in ("publish/", "rollback/"):
        answer = post(finance_acme, f"{RELEASES}{primary_id}/{action}", {"reason": "x"})
        assert answer.status_code == 404
    # The primary's versions and integration do not exist for them.
    assert post(maker, RELEASES, {"name": "x", "mapping_versions": [ours.pk]}).status_code == 400
    named = post(maker, RELEASES, {"name": "x", "integration": "primary", "mapping_versions": [theirs.pk]})
    assert named.status_code == 400 and "integration" in named.json()
    # Their own integration's release: made and tested on acme's own sandbox pair.
    mine = post(maker, RELEASES, {"name": "acme 1", "mapping_versions": [theirs.pk]}).json()
    assert mine["integration"] == "acme"
    assert run_passed(maker, mine["id"]).salesforce_connection == acme_pair[0]
    assert Release.objects.get(pk=primary_id).items.get().mapping_version == ours
