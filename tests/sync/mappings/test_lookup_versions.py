"""Lookup table versions: draft -> submitted -> approved (someone else) -> published, the pipeline reading
only the published entries, frozen entries, bad input, audit."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync.connections.connectors.netsuite import NetSuiteConnector
from sync.mappings.models import LookupEntry, LookupTable, LookupVersion, MappingFrozen, VersionStatus
from sync.mappings.services.lookup_versions import (
    lookup_draft_entry_set,
    lookup_entries,
    lookup_entries_parse,
    lookup_table_get,
    lookup_version_approve,
    lookup_version_create_draft,
    lookup_version_import,
    lookup_version_publish,
    lookup_version_reject,
    lookup_version_submit,
)
from sync.pipeline import sources

TABLE = "country_to_subsidiary"


@pytest.fixture
def table(seeded_mappings: None) -> LookupTable:
    return LookupTable.objects.get(name=TABLE)


@pytest.fixture
def maker_and_approver(db: None) -> User:
    """Someone holding RevOps and Finance at once: may make a change, and approve others' changes."""
    user = User.objects.create_user("rita", password="x")
    user.groups.add(Group.objects.get(name="RevOps"), Group.objects.get(name="Finance"))
    return User.objects.get(pk=user.pk)


def _runner_maps(country: str) -> Any:
    """What the pipeline's lookups answer for ``country`` (no NetSuite call: only static tables are read)."""
    lookups, _ = sources.live_lookups(cast(NetSuiteConnector, None))
    return lookups.lookup(TABLE, country)


def _events(version: LookupVersion) -> list[tuple[str, str | None]]:
    entries = AuditEntry.objects.filter(
        content_type__model="lookupversion", object_pk=str(version.pk), additional_data__has_key="event"
    )
    return [
        (e.additional_data["event"], e.actor.username if e.actor else None) for e in entries.order_by("id")
    ]


def test_the_shipped_entries_are_version_one_published(table: LookupTable) -> None:
    version = table.versions.get()
    assert (version.number, version.status, table.revision) == (1, VersionStatus.PUBLISHED, 1)
    assert lookup_entries(version)["DE"] == "3"


def test_a_pending_draft_does_not_change_what_the_runner_maps_until_published(
    table: LookupTable, revops: User, finance: User, admin: User
) -> None:
    draft = lookup_version_create_draft(table=table, user=revops, notes="DE moves to the UK entity")
    assert draft.number == 2 and lookup_entries(draft) == lookup_entries(table.versions.get(number=1))
    lookup_draft_entry_set(version=draft, key="DE", value="2", user=revops)
    assert _runner_maps("DE") == "3"
    lookup_version_submit(version=draft, user=revops)
    assert _runner_maps("DE") == "3"
    lookup_version_approve(version=draft, user=finance, reason="checked with accounting")
    assert _runner_maps("DE") == "3"  # approved is not published
    lookup_version_publish(version=draft, user=admin, reason="go")
    assert _runner_maps("DE") == "2"
    table.refresh_from_db()
    assert table.revision == 2
    assert table.versions.get(number=1).status == VersionStatus.SUPERSEDED
    assert _events(draft) == [
        ("submit", "revops"),
        ("approve", "finance"),
        ("publish", "admin"),
    ]
    assert _events(table.versions.get(number=1)) == [("supersede", "admin")]


def test_the_maker_cannot_approve_their_own_draft(table: LookupTable, maker_and_approver: User) -> None:
    draft = lookup_version_create_draft(table=table, user=maker_and_approver)
    lookup_draft_entry_set(version=draft, key="DE", value="2", user=maker_and_approver)
    lookup_version_submit(version=draft, user=maker_and_approver)
    with pytest.raises(PermissionDenied, match="someone else"):
        lookup_version_approve(version=draft, user=maker_and_approver)
    assert LookupVersion.objects.get(pk=draft.pk).status == VersionStatus.SUBMITTED


def test_an_editor_of_someone_elses_draft_cannot_approve_it(
    table: LookupTable, revops: User, maker_and_approver: User
) -> None:
    draft = lookup_version_create_draft(table=table, user=revops)
    lookup_draft_entry_set(version=draft, key="DE", value="2", user=maker_and_approver)
    lookup_version_submit(version=draft, user=revops)
    with pytest.raises(PermissionDenied):
        lookup_version_approve(version=draft, user=maker_and_approver)


def test_only_approvers_approve_and_publish(table: LookupTable, revops: User, finance: User) -> None:
    draft = lookup_version_create_draft(table=table, user=revops)
    with pytest.raises(PermissionDenied):
        lookup_version_create_draft(table=table, user=finance)  # Finance does not make changes
    lookup_version_submit(version=draft, user=revops)
    with pytest.raises(PermissionDenied):
        lookup_version_approve(version=draft, user=revops)
    lookup_version_approve(version=draft, user=finance)
    with pytest.raises(PermissionDenied):
        lookup_version_publish(version=draft, user=revops)


def test_a_sent_back_version_is_a_draft_again(table: LookupTable, revops: User, finance: User) -> None:
    draft = lookup_version_create_draft(table=table, user=revops)
    lookup_version_submit(version=draft, user=revops)
    with pytest.raises(ValidationError):
        lookup_version_reject(version=draft, user=finance, reason=" ")
    lookup_version_reject(version=draft, user=finance, reason="DE stays")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.submitted_by is None
    with pytest.raises(ValidationError, match="only an approved version"):
        lookup_version_publish(version=draft, user=finance)


def test_published_and_submitted_entries_are_frozen(table: LookupTable, revops: User) -> None:
    published = table.versions.get(status=VersionStatus.PUBLISHED)
    entry = published.entries.get(key="DE")
    entry.value = "2"
    with pytest.raises(MappingFrozen):
        entry.save()
    with pytest.raises(MappingFrozen):
        LookupEntry.objects.create(version=published, key="FR", value="3")
    draft = lookup_version_create_draft(table=table, user=revops)
    lookup_version_submit(version=draft, user=revops)
    with pytest.raises(ValidationError, match="only a draft"):
        lookup_draft_entry_set(version=draft, key="FR", value="3", user=revops)


def test_an_import_replaces_a_drafts_entries(table: LookupTable, revops: User) -> None:
    draft = lookup_version_create_draft(table=table, user=revops)
    lookup_version_import(
        version=draft, entries=[{"key": "US", "value": "1"}, {"key": "FR", "value": "3"}], user=revops
    )
    assert lookup_entries(draft) == {"FR": "3", "US": "1"}
    assert revops.pk in set(draft.editors.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"key": "US", "value": "1"}, {"key": "US", "value": "2"}], "row 2: duplicate key 'US'"),
        ([{"key": "US", "vaule": "1"}], "row 1: unknown field(s) vaule (only key and value)"),
        ([{"key": "  ", "value": "1"}], "row 1: the key must be non-empty text"),
        ([{"key": "US"}], "row 1: no value"),
        ("US=1", "Give the entries as"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    table: LookupTable, revops: User, entries: Any, message: str
) -> None:
    draft = lookup_version_create_draft(table=table, user=revops)
    before = lookup_entries(draft)
    with pytest.raises(ValidationError) as raised:
        lookup_version_import(version=draft, entries=entries, user=revops)
    assert any(message in text for text in raised.value.messages), raised.value.messages
    assert lookup_entries(draft) == before


def test_an_unknown_table_is_named_with_the_known_ones(seeded_mappings: None) -> None:
    with pytest.raises(
        ValidationError, match="No lookup table 'country_to_subsidary'.*country_to_subsidiary"
    ):
        lookup_table_get("country_to_subsidary")


def test_parsing_accepts_an_object_of_keys(db: None) -> None:
    assert lookup_entries_parse({" DE ": "3", "FR": {"id": "3"}}) == {"DE": "3", "FR": {"id": "3"}}
