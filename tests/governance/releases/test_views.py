"""The release pages: each persona sees what it may do; the forms reach the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from governance.releases.models import Release, ReleaseStatus, ReleaseTestRun, SignoffRole
from governance.releases.services import release_sign
from sync.connections.models import Connection
from sync.mappings.models import MappingVersion
from tests.governance.releases.conftest import FLOW, OPPORTUNITY, approved_mapping, approved_rule, run_test

pytestmark = pytest.mark.django_db


def page(client: Client, release: Release) -> str:
    return client.get(reverse("governance:release", args=[release.pk])).content.decode()


def test_it_lists_releases_for_every_role_and_offers_new_ones_to_revops(
    release: Release, revops_client: Client, auditor_client: Client
) -> None:
    url = reverse("governance:releases")
    assert "New release" in revops_client.get(url).content.decode()
    html = auditor_client.get(url).content.decode()
    assert release.name in html and "New release" not in html


def test_revops_creates_a_release_from_approved_versions(
    shipped: None, revops: User, finance: User, revops_client: Client
) -> None:
    mapping = approved_mapping(maker=revops, approver=finance)
    rule = approved_rule(maker=revops, approver=finance)
    url = reverse("governance:release-create")
    form = revops_client.get(url).content.decode()
    assert f'value="{mapping.pk}"' in form and f'value="{rule.pk}"' in form
    empty = revops_client.post(url, {"name": "nothing"})
    assert empty.status_code == 200
    assert "Choose at least one mapping, rule or lookup table version." in empty.content.decode()
    response = revops_client.post(
        url, {"name": "2026.12", "notes": "n", "mapping_versions": [mapping.pk], "rule_versions": [rule.pk]}
    )
    release = Release.objects.get(name="2026.12")
    assert response.status_code == 302 and response["Location"] == reverse(
        "governance:release", args=[release.pk]
    )
    assert sorted(release.items.values_list("target", flat=True)) == [
        f"flow:{FLOW}",
        "rule:amount_matches_quote",
    ]


def test_changing_items_from_the_page_sends_a_tested_release_back_to_draft(
    release: Release, revops: User, revops_client: Client, sandbox_pair: Any, fake_run: dict[str, Any]
) -> None:
    run_test(release, revops, sandbox_pair)
    published = MappingVersion.objects.get(flow__key=FLOW, status="published")
    response = revops_client.post(
        reverse("governance:release-items", args=[release.pk]), {"mapping_versions": [published.pk]}
    )
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == ReleaseStatus.DRAFT and release.items.get().mapping_version == published


def test_revops_starts_a_test_run_that_is_queued_after_commit(
    release: Release,
    revops_client: Client,
    sandbox_pair: tuple[Connection, Connection],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr("governance.releases.testing.async_task", lambda *args, **kwargs: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = revops_client.post(
            reverse("governance:release-test", args=[release.pk]),
            {
                "salesforce": sandbox_pair[0].pk,
                "netsuite": sandbox_pair[1].pk,
                "opportunity_ids": OPPORTUNITY,
            },
        )
    assert response.status_code == 302
    run = ReleaseTestRun.objects.get(release=release)
    assert queued == [("governance.releases.tasks.release_test_run_task", run.pk)]
    # While it runs, the page polls a small fragment; once it is done, the fragment asks for a reload.
    html = page(revops_client, release)
    assert 'id="test-run-status"' in html and 'hx-trigger="every 2s"' in html
    fragment = revops_client.get(
        reverse("governance:release", args=[release.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="test-run-status",
    )
    assert fragment.status_code == 200 and "syncing 0065S0000000001QAA" in fragment.content.decode()
    ReleaseTestRun.objects.filter(pk=run.pk).update(status="failed")
    done = revops_client.get(
        reverse("governance:release", args=[release.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="test-run-status",
    )
    assert done.headers.get("HX-Refresh") == "true"


def test_the_page_shows_the_evidence_and_offers_each_persona_its_own_step(
    release: Release,
    revops: User,
    finance: User,
    sandbox_pair: Any,
    fake_run: dict[str, Any],
    revops_client: Client,
    finance_client: Client,
    admin_client: Client,
) -> None:
    run = run_test(release, revops, sandbox_pair)
    html = page(revops_client, release)
    assert f"Test run #{run.pk}" in html and "evidence" in html and "reconciliation mismatches 0" in html
    assert f'action="/governance/releases/{release.pk}/sign/"' in html
    assert "Sign off" not in page(admin_client, release) and "Publish" not in page(admin_client, release)

    refused = finance_client.post(reverse("governance:release-publish", args=[release.pk]), follow=True)
    assert "only a signed-off release is published" in refused.content.decode()
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    response = finance_client.post(reverse("governance:release-sign", args=[release.pk]), {"role": "finance"})
    assert response.status_code == 302
    assert "Publish to production" in page(finance_client, release)

    finance_client.post(reverse("governance:release-publish", args=[release.pk]), {"reason": "go"})
    release.refresh_from_db()
    assert release.status == ReleaseStatus.LIVE
    no_reason = finance_client.post(reverse("governance:release-rollback", args=[release.pk]), follow=True)
    assert "Say why you roll back." in no_reason.content.decode()
    finance_client.post(reverse("governance:release-rollback", args=[release.pk]), {"reason": "wrong totals"})
    release.refresh_from_db()
    assert release.status == ReleaseStatus.ROLLED_BACK


def test_the_signing_form_refuses_a_role_the_person_does_not_hold(
    release: Release, revops: User, sandbox_pair: Any, fake_run: dict[str, Any], revops_client: Client
) -> None:
    run_test(release, revops, sandbox_pair)
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    response = revops_client.post(
        reverse("governance:release-sign", args=[release.pk]), {"role": "finance"}, follow=True
    )
    assert "Signing as Finance needs approve_releases." in response.content.decode()
    assert release.signoffs.count() == 1
