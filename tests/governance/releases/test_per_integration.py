"""A release is one integration's: a mix of integrations' versions is refused, it is tested only on that
integration's sandbox pair, each integration has its own live release, and a person limited to one
integration reads and makes only that integration's releases."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from governance.releases.forms import ReleaseForm, ReleaseTestForm
from governance.releases.models import Release, ReleaseStatus, SignoffRole
from governance.releases.selectors import releases_visible
from governance.releases.services import (
    release_create,
    release_items_set,
    release_publish,
    release_rollback,
    release_sign,
)
from governance.releases.testing import release_test_run_start
from sync.connections.models import Connection
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from sync.integrations.selectors import primary_integration
from sync.mappings.models import Flow, MappingVersion
from sync.mappings.services.versions import version_approve, version_create_draft, version_submit
from tests.api_support import token_client
from tests.governance.releases.conftest import FLOW, OPPORTUNITY, run_test
from tests.sync.connections.support import offline_connection_pair
from tests.sync.integrations.support import config_live

pytestmark = pytest.mark.django_db
Pair = tuple[Connection, Connection]


@pytest.fixture
def acme_pair(db: None) -> Pair:
    return offline_connection_pair("acme-sandbox")


@pytest.fixture
def acme(shipped: None, acme_pair: Pair) -> Integration:
    """A second integration naming its own sandbox pair, its configuration a live copy of the primary's."""
    integration = Integration.objects.create(
        name="acme",
        label="Acme",
        namespace="ACQ",
        sandbox_salesforce_connection=acme_pair[0],
        sandbox_netsuite_connection=acme_pair[1],
    )
    config_live(primary_integration(), integration)
    return integration


def approved(integration: Integration, revops: User, finance: User) -> MappingVersion:
    """A new approved version of ``integration``'s opportunity flow."""
    flow = Flow.objects.get(key=FLOW, integration=integration)
    draft = version_create_draft(flow=flow, user=revops, notes="for a release")
    version_submit(version=draft, user=revops)
    return version_approve(version=draft, user=finance)


def live(release: Release, revops: User, finance: User, pair: Pair) -> Release:
    run_test(release, revops, pair)
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE)
    release_publish(release=release, user=finance)
    release.refresh_from_db()
    return release


def limited_to(integration: Integration, name: str, *roles: str) -> User:
    person = User.objects.create_user(name, password="x")
    person.groups.set(Group.objects.filter(name__in=roles))
    assign_perm(ACCESS_INTEGRATION, person, integration)
    return person


def test_it_refuses_a_release_whose_items_mix_integrations(
    acme: Integration, revops: User, finance: User
) -> None:
    ours, theirs = approved(primary_integration(), revops, finance), approved(acme, revops, finance)
    with pytest.raises(ValidationError, match=r"one integration's versions \(primary's\): opportunity_to"):
        release_create(user=revops, name="mixed", mapping_versions=[ours, theirs])
    with pytest.raises(ValidationError, match="is primary's"):
        release_create(user=revops, name="named", integration=acme, mapping_versions=[ours])
    assert not Release.objects.exists()
    # The second day: an existing release's items are changed with another integration's version.
    release = release_create(user=revops, name="acme only", mapping_versions=[theirs])
    assert release.integration == acme
    with pytest.raises(ValidationError, match="one integration's versions \\(acme's\\)"):
        release_items_set(release=release, user=revops, mapping_versions=[theirs, ours])
    assert [item.mapping_version for item in release.items.all()] == [theirs]


def test_each_integration_is_tested_on_its_own_pair_and_has_its_own_live_release(
    acme: Integration,
    revops: User,
    finance: User,
    sandbox_pair: Pair,
    acme_pair: Pair,
    fake_run: dict[str, Any],
) -> None:
    primary = primary_integration()
    ours = release_create(
        user=revops, name="primary 1", mapping_versions=[approved(primary, revops, finance)]
    )
    theirs = release_create(user=revops, name="acme 1", mapping_versions=[approved(acme, revops, finance)])
    # Another integration's sandbox is refused both ways, before anything runs.
    for release, pair in ((theirs, sandbox_pair), (ours, acme_pair)):
        with pytest.raises(ValidationError, match=f"is not a sandbox of integration {release.integration}"):
            release_test_run_start(
                release=release,
                user=revops,
                salesforce=pair[0],
                netsuite=pair[1],
                opportunity_ids=[OPPORTUNITY],
            )
    assert not theirs.test_runs.exists() and not ours.test_runs.exists()
    # The test form offers only the release's integration's sandboxes.
    form = ReleaseTestForm(user=revops, release=theirs)
    assert list(form.fields["salesforce"].queryset) == [acme_pair[0]]  # type: ignore[attr-defined]

    ours, theirs = live(ours, revops, finance, sandbox_pair), live(theirs, revops, finance, acme_pair)
    assert ours.status == theirs.status == ReleaseStatus.LIVE  # one live release per integration
    assert theirs.previous_release is None
    published = MappingVersion.objects.get(flow__integration=acme, flow__key=FLOW, status="published")
    assert published == theirs.items.get().mapping_version

    # The second day: acme's next release supersedes acme's, never the primary's; its rollback restores it.
    again = live(
        release_create(user=revops, name="acme 2", mapping_versions=[approved(acme, revops, finance)]),
        revops,
        finance,
        acme_pair,
    )
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.status, theirs.status, again.previous_release) == ("live", "superseded", theirs)
    release_rollback(release=again, user=finance, reason="not yet")
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (ours.status, theirs.status) == ("live", "live")


def test_a_person_limited_to_one_integration_reads_and_makes_only_its_releases(
    acme: Integration, revops: User, finance: User
) -> None:
    ours = release_create(
        user=revops, name="primary 1", mapping_versions=[approved(primary_integration(), revops, finance)]
    )
    theirs = release_create(user=revops, name="acme 1", mapping_versions=[approved(acme, revops, finance)])
    maker = limited_to(acme, "acme-revops", "RevOps")
    assert list(releases_visible(user=maker)) == [theirs]
    primary_version = ours.items.get().mapping_version
    assert primary_version is not None
    with pytest.raises(PermissionDenied, match="integration primary"):
        release_create(user=maker, name="not mine", mapping_versions=[primary_version])
    with pytest.raises(PermissionDenied):
        release_items_set(release=ours, user=maker, mapping_versions=[primary_version])
    # The form offers acme's versions only, labelled with their integration.
    form = ReleaseForm(user=maker)
    labels = [label for _, label in form.fields["mapping_versions"].choices]  # type: ignore[attr-defined]
    assert labels and all(str(label).startswith("acme · ") for label in labels)
    assert [i.name for i in form.fields["integration"].queryset] == ["acme"]  # type: ignore[attr-defined]
    # The pages: the list shows acme's release only, the primary's is not found.
    client = Client()
    client.force_login(maker)
    listing = client.get(reverse("governance:releases")).content.decode()
    assert "acme 1" in listing and "primary 1" not in listing
    assert client.get(reverse("governance:release", args=[ours.pk])).status_code == 404
    assert client.get(reverse("governance:release", args=[theirs.pk])).status_code == 200
    # Creating through the page, naming the integration.
    page = client.post(
        reverse("governance:release-create"),
        {
            "name": "via page",
            "integration": "acme",
            "mapping_versions": [theirs.items.get().mapping_version_id],
        },
    )
    assert page.status_code == 302 and Release.objects.get(name="via page").integration == acme
    # The API: the same releases, each naming its integration; another integration's is not found.
    api = token_client(maker)
    answer = api.get("/api/v1/releases/").json()
    rows = answer["results"] if isinstance(answer, dict) else answer
    assert [(row["name"], row["integration"]) for row in rows] == [("via page", "acme"), ("acme 1", "acme")]
    assert rows[1]["items"] == [
        {"target": f"flow:{FLOW}", "version_id": theirs.items.get().version_id, "version_number": 2}
    ]
    assert api.get("/api/v1/releases/", {"integration": "primary"}).status_code == 404
    assert api.get(f"/api/v1/releases/{ours.pk}/").status_code == 404
