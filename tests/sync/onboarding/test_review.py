"""An integration's copied configuration through four eyes in one step each (sync/onboarding/review.py):
the page's buttons, the API's actions and the command call the same two services."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from governance.models import AuditEntry
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import LookupVersion, MappingVersion, VersionStatus
from sync.mappings.selectors import NoPublishedMapping, published_mapping
from sync.mappings.services.seed import mapping_seed_defaults
from sync.onboarding.copying import config_copy
from sync.onboarding.review import config_publish_all, config_submit_all
from sync.onboarding.selectors import integration_config_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(admin: User) -> Integration:
    """acme, a copy of the primary's shipped configuration made by the admin (its maker)."""
    mapping_seed_defaults()
    acme = Integration.objects.create(name="acme", label="Acme", namespace="ACQ")
    config_copy(primary_integration(), acme, admin)
    return acme


def _statuses(integration: Integration) -> set[str]:
    mappings = MappingVersion.objects.filter(flow__integration=integration).values_list("status", flat=True)
    lookups = LookupVersion.objects.filter(table__integration=integration).values_list("status", flat=True)
    return {*mappings, *lookups}


def test_drafts_go_live_only_after_someone_who_made_none_approves(
    acme: Integration, revops: User, admin: User, finance: User
) -> None:
    with pytest.raises(NoPublishedMapping):
        published_mapping("opportunity_to_netsuite", acme)
    drafts = integration_config_review(acme)["drafts"]
    submitted = config_submit_all(integration=acme, user=revops)
    assert len(submitted.moved) == drafts > 5
    assert _statuses(acme) == {VersionStatus.SUBMITTED}
    # The admin made every copy: four eyes refuse them, and nothing moved.
    with pytest.raises(ValidationError, match=r"nothing was changed"):
        config_publish_all(integration=acme, user=admin, reason="looks right")
    assert _statuses(acme) == {VersionStatus.SUBMITTED}
    published = config_publish_all(integration=acme, user=finance, reason="checked against the old org")
    assert len(published.moved) == drafts
    assert _statuses(acme) == {VersionStatus.PUBLISHED}
    version, _ = published_mapping("opportunity_to_netsuite", acme)
    assert version.flow.integration == acme and version.approved_by == finance
    # The primary's configuration is untouched, and each step is one audit entry on the integration.
    assert published_mapping("opportunity_to_netsuite")[0].flow.integration == primary_integration()
    events = AuditEntry.objects.filter(object_pk=str(acme.pk)).values_list(
        "additional_data__event", flat=True
    )
    assert {"config_submit_all", "config_publish_all"} <= set(events)


def test_nothing_waiting_and_the_wrong_person_are_clear_errors(
    acme: Integration, revops: User, finance: User
) -> None:
    with pytest.raises(ValidationError, match="no submitted version to approve"):
        config_publish_all(integration=acme, user=finance)
    with pytest.raises((PermissionDenied, ValidationError)):
        config_submit_all(integration=acme, user=finance)
    config_submit_all(integration=acme, user=revops)
    with pytest.raises(ValidationError, match="no draft to submit"):
        config_submit_all(integration=acme, user=revops)


def test_the_api_and_the_command_review_the_same_way(
    acme: Integration, revops_client: Client, finance_client: Client, auditor_client: Client, finance: User
) -> None:
    url = f"/api/v1/integrations/{acme.pk}/config-submit/"
    assert auditor_client.post(url, {}, content_type="application/json").status_code == 403
    answer = revops_client.post(url, {"reason": "acme go-live"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["count"] == len(answer.json()["moved"]) > 5
    again = revops_client.post(url, {}, content_type="application/json")
    assert again.status_code == 400 and "no draft to submit" in again.content.decode()
    with pytest.raises(CommandError, match="no submitted version|nothing was changed|may not"):
        call_command("integration_config", "acme", "--publish", "--user", "revops", stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "integration_config", "acme", "--publish", "--user", finance.username, "--reason", "ok", stdout=out
    )
    assert "approved and published" in out.getvalue()
    assert _statuses(acme) == {VersionStatus.PUBLISHED}


def test_the_integration_page_counts_what_waits_and_its_buttons_move_it(
    acme: Integration, revops_client: Client, finance_client: Client
) -> None:
    page = revops_client.get(f"/sync/integrations/{acme.pk}/").content.decode()
    assert "Submit every draft" in page
    revops_client.post(f"/sync/integrations/{acme.pk}/config-submit/")
    assert integration_config_review(acme)["submitted"] > 5
    assert (
        finance_client.post(f"/sync/integrations/{acme.pk}/config-publish/", {"reason": "ok"}).status_code
        == 302
    )
    assert integration_config_review(acme) == {"drafts": 0, "submitted": 0}
