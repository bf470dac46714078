"""Lookup table versions as release items: only approved ones go in, one per table; the test run maps
with them; publishing puts them live (before the mappings); rollback restores the replaced entries or,
when nothing was published before, takes the table down."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from governance.releases.models import Release, SignoffRole
from governance.releases.selectors import items_fingerprint, release_configuration
from governance.releases.services import release_create, release_publish, release_rollback, release_sign
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.connections.models import Connection
from sync.mappings.models import LookupTable, LookupVersion, VersionStatus
from sync.mappings.services.lookup_versions import (
    lookup_draft_entry_set,
    lookup_version_approve,
    lookup_version_create_draft,
    lookup_version_submit,
)
from sync.pipeline import sources
from tests.governance.releases.conftest import run_test

pytestmark = pytest.mark.django_db
TABLE = "currency_code_to_id"


def approved_lookup(*, maker: User, approver: User, table: str = TABLE, **entries: Any) -> LookupVersion:
    draft = lookup_version_create_draft(table=LookupTable.objects.get(name=table), user=maker)
    for key, value in entries.items():
        lookup_draft_entry_set(version=draft, key=key, value=value, user=maker)
    lookup_version_submit(version=draft, user=maker)
    return lookup_version_approve(version=draft, user=approver)


def maps(table: str, key: str, chosen: sources.ChosenVersions | None = None) -> Any:
    lookups, _ = sources.live_lookups(cast(NetSuiteConnector, None), chosen)
    return lookups.lookup(table, key)


def test_only_approved_lookup_versions_go_in_one_per_table(
    shipped: None, revops: User, finance: User
) -> None:
    draft = lookup_version_create_draft(table=LookupTable.objects.get(name=TABLE), user=revops)
    with pytest.raises(ValidationError, match="only approved or published"):
        release_create(user=revops, name="r", lookup_versions=[draft])
    approved = approved_lookup(maker=revops, approver=finance, CHF="7")
    published = LookupVersion.objects.get(table__name=TABLE, status=VersionStatus.PUBLISHED)
    with pytest.raises(ValidationError, match=f"Two versions of lookup:{TABLE}"):
        release_create(user=revops, name="r", lookup_versions=[published, approved])
    release = release_create(user=revops, name="r", lookup_versions=[approved])
    assert items_fingerprint(release.items.all()) == f"lookup:{TABLE}=l{approved.pk}"


def test_the_test_run_maps_with_the_release_lookup_version_and_production_does_not(
    shipped: None, revops: User, finance: User
) -> None:
    approved = approved_lookup(maker=revops, approver=finance, EUR="44")
    release = release_create(user=revops, name="r", lookup_versions=[approved])
    chosen, plain = release_configuration(release)
    assert plain["lookups"][TABLE] == approved.pk
    assert maps(TABLE, "EUR", chosen) == "44"
    assert maps(TABLE, "EUR") == "4"


def test_publish_and_rollback_swap_the_entries_and_a_new_table_goes_away_again(
    shipped: None,
    revops: User,
    finance: User,
    sandbox_pair: tuple[Connection, Connection],
    fake_run: dict[str, Any],
) -> None:
    approved = approved_lookup(maker=revops, approver=finance, EUR="44")
    fresh = LookupTable.objects.create(name="region_to_department")  # a new table: nothing published yet
    first = approved_lookup(maker=revops, approver=finance, table=fresh.name, VAT="12")
    release: Release = release_create(user=revops, name="r", lookup_versions=[approved, first])
    run_test(release, revops, sandbox_pair)
    release_sign(release=release, user=revops, role=SignoffRole.REVOPS)
    release_sign(release=release, user=finance, role=SignoffRole.FINANCE)
    release_publish(release=release, user=finance)
    assert (maps(TABLE, "EUR"), maps(fresh.name, "VAT")) == ("44", "12")
    item = release.items.get(target=f"lookup:{TABLE}")
    assert item.replaced_lookup_version == LookupVersion.objects.get(table__name=TABLE, number=1)

    release_rollback(release=release, user=finance, reason="wrong rate")
    assert maps(TABLE, "EUR") == "4"
    assert not maps(fresh.name, "VAT")  # MISSING: the table has nothing published again
    assert LookupVersion.objects.get(table__name=TABLE, status=VersionStatus.PUBLISHED).number == 1


def test_the_release_pages_offer_and_show_lookup_versions(
    shipped: None, revops: User, finance: User, revops_client: Client
) -> None:
    approved = approved_lookup(maker=revops, approver=finance, CHF="7")
    form = revops_client.get(reverse("governance:release-create")).content.decode()
    assert f'name="lookup_versions" value="{approved.pk}"' in form
    response = revops_client.post(
        reverse("governance:release-create"), {"name": "francs", "lookup_versions": [approved.pk]}
    )
    release = Release.objects.get(name="francs")
    assert response.status_code == 302 and release.items.get().lookup_version == approved
    detail = revops_client.get(reverse("governance:release", args=[release.pk])).content.decode()
    assert f"lookup:{TABLE}" in detail and f'href="/sync/mappings/lookup-versions/{approved.pk}/"' in detail
