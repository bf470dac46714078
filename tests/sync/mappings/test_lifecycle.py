"""Versions: draft -> submitted -> approved -> published, four eyes, immutability, rollback, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from governance.models import AuditEntry
from sync.mappings.models import FieldMapping, Flow, MappingFrozen, MappingVersion, VersionStatus
from sync.mappings.selectors import published_mapping, version_diff
from sync.mappings.services.rows import field_row_save
from sync.mappings.services.versions import (
    version_approve,
    version_create_draft,
    version_publish,
    version_reject,
    version_rollback,
    version_submit,
)


def _edited_draft(flow: Flow, maker: User, memo: str = "Concord") -> MappingVersion:
    draft = version_create_draft(flow=flow, user=maker, notes="memo prefix")
    row = FieldMapping.objects.get(object_mapping__version=draft, key="memo")
    field_row_save(obj=row.object_mapping, row=row, values={"kind": "constant", "constant": memo}, user=maker)
    return draft


def _events(version: MappingVersion) -> list[tuple[str, str | None]]:
    entries = AuditEntry.objects.filter(object_pk=str(version.pk), additional_data__has_key="event")
    return [
        (e.additional_data["event"], e.actor.username if e.actor else None) for e in entries.order_by("id")
    ]


def test_it_copies_the_published_version_into_a_draft(opportunity_flow: Flow, revops: User) -> None:
    draft = version_create_draft(flow=opportunity_flow, user=revops)
    published = opportunity_flow.versions.get(status=VersionStatus.PUBLISHED)
    assert draft.number == 2 and draft.status == VersionStatus.DRAFT and draft.based_on == published
    assert version_diff(published, draft) == []


def test_it_walks_a_version_to_published_with_four_eyes(
    opportunity_flow: Flow, revops: User, finance: User, admin: User
) -> None:
    draft = _edited_draft(opportunity_flow, revops)
    version_submit(version=draft, user=revops, reason="memo from a constant")
    with pytest.raises(PermissionDenied):
        version_approve(version=draft, user=revops)  # the maker, and no approve capability anyway
    version_approve(version=draft, user=finance, reason="looks right")
    version_publish(version=draft, user=admin, reason="go")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED and draft.approved_by == finance
    assert opportunity_flow.versions.get(number=1).status == VersionStatus.SUPERSEDED
    assert _events(draft) == [
        ("copy of v1", "revops"),
        ("submit", "revops"),
        ("approve", "finance"),
        ("publish", "admin"),
    ]
    version, compiled = published_mapping("opportunity_to_netsuite")
    assert version == draft
    assert compiled.spec["objects"][-1]["fields"][5]["constant"] == "Concord"


def test_it_refuses_an_approver_who_edited_the_version(
    opportunity_flow: Flow, admin: User, revops: User
) -> None:
    admin.groups.add(*revops.groups.all())  # an admin who also holds RevOps may edit...
    admin = User.objects.get(pk=admin.pk)
    draft = _edited_draft(opportunity_flow, admin)
    version_submit(version=draft, user=admin)
    with pytest.raises(PermissionDenied, match="someone else"):
        version_approve(version=draft, user=admin)  # ...but not approve their own change
    assert MappingVersion.objects.get(pk=draft.pk).status == VersionStatus.SUBMITTED


def test_it_lets_an_approver_send_a_version_back(opportunity_flow: Flow, revops: User, finance: User) -> None:
    draft = _edited_draft(opportunity_flow, revops)
    version_submit(version=draft, user=revops)
    version_reject(version=draft, user=finance, reason="memo must name the quote")
    assert MappingVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_it_refuses_to_publish_an_unapproved_version(
    opportunity_flow: Flow, revops: User, admin: User
) -> None:
    draft = _edited_draft(opportunity_flow, revops)
    with pytest.raises(ValidationError, match="only an approved version"):
        version_publish(version=draft, user=admin)


def test_it_keeps_the_published_version_immutable(opportunity_flow: Flow, revops: User) -> None:
    published = opportunity_flow.versions.get(status=VersionStatus.PUBLISHED)
    row = FieldMapping.objects.filter(object_mapping__version=published).first()
    assert row is not None
    with pytest.raises(MappingFrozen):
        field_row_save(obj=row.object_mapping, row=row, values={"note": "changed"}, user=revops)
    row.note = "changed behind the service's back"
    with pytest.raises(MappingFrozen):
        row.save()
    with pytest.raises(MappingFrozen):
        row.delete()
    published.notes = "rewritten"
    with pytest.raises(MappingFrozen):
        published.save()
    with pytest.raises(MappingFrozen):
        MappingVersion.objects.get(pk=published.pk).delete()


def test_it_rolls_back_by_republishing_an_earlier_version_as_a_copy(
    opportunity_flow: Flow, revops: User, finance: User, admin: User, django_assert_num_queries: Any
) -> None:
    first = opportunity_flow.versions.get(number=1)
    draft = _edited_draft(opportunity_flow, revops)
    version_submit(version=draft, user=revops)
    version_approve(version=draft, user=finance)
    version_publish(version=draft, user=admin)
    cached = published_mapping("opportunity_to_netsuite")
    with django_assert_num_queries(1):  # the version with its flow and integration: the primary's by flag
        assert published_mapping("opportunity_to_netsuite")[1] is cached[1]  # compiled once per version
    with pytest.raises(ValidationError):
        version_rollback(to=first, user=admin, reason="")
    rolled = version_rollback(to=MappingVersion.objects.get(pk=first.pk), user=admin, reason="memo broke NS")
    assert rolled.number == 3 and rolled.based_on == first and rolled.status == VersionStatus.PUBLISHED
    assert MappingVersion.objects.get(pk=draft.pk).status == VersionStatus.SUPERSEDED
    assert version_diff(first, rolled) == []
    assert _events(rolled) == [("rollback copy of v1", "admin"), ("rollback", "admin")]
    version, _ = published_mapping("opportunity_to_netsuite")
    assert version == rolled


def test_it_diffs_two_versions_field_by_field(opportunity_flow: Flow, revops: User) -> None:
    first = opportunity_flow.versions.get(number=1)
    draft = _edited_draft(opportunity_flow, revops, memo="From Concord")
    lines = {(line.object_key, line.row, line.attribute): line for line in version_diff(first, draft)}
    assert lines[("sales_order", "memo", "source")].change == "removed"
    assert lines[("sales_order", "memo", "constant")].after == "From Concord"
    assert lines[("sales_order", "memo", "source")].before == "Name"
    assert len(lines) == 2  # the transform chain and every other row are unchanged


def test_it_refuses_edits_from_people_without_edit_mappings(opportunity_flow: Flow, finance: User) -> None:
    with pytest.raises(PermissionDenied):
        version_create_draft(flow=opportunity_flow, user=finance)
