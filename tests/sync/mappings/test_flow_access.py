"""Per-flow access (``sync.operate_flow``): a person without ``edit_mappings`` edits only the flows granted.

Finance holds no ``edit_mappings``; given one flow, they create, edit and submit that flow's drafts and
nothing else, and four eyes still keep them from approving what they edited.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client

from governance.access_grants import user_access_grant, user_access_revoke
from sync.mappings.models import FieldMapping, Flow, MappingVersion, VersionStatus
from sync.mappings.permissions import flow_edit_allowed, flows_editable_by
from sync.mappings.services.rows import field_row_delete
from sync.mappings.services.versions import version_approve, version_create_draft, version_submit

ROW_POST = {"key": "memo", "target": "memo", "kind": "constant", "value": "Via Concord", "apply": "always"}


@pytest.fixture
def other_flow(seeded_mappings: None, opportunity_flow: Flow) -> Flow:
    return Flow.objects.exclude(pk=opportunity_flow.pk).order_by("key")[0]


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no cached permissions


def _memo(version: MappingVersion) -> FieldMapping:
    return FieldMapping.objects.get(object_mapping__version=version, key="memo")


def test_it_refuses_a_person_without_the_grant(finance: User, opportunity_flow: Flow, revops: User) -> None:
    assert not flow_edit_allowed(finance, opportunity_flow)
    with pytest.raises(PermissionDenied, match="opportunity_to_netsuite"):
        version_create_draft(flow=opportunity_flow, user=finance)
    draft = version_create_draft(flow=opportunity_flow, user=revops)
    with pytest.raises(PermissionDenied):
        field_row_delete(row=_memo(draft), user=finance)
    with pytest.raises(PermissionDenied):
        version_submit(version=draft, user=finance)


def test_it_lets_a_granted_person_edit_and_submit_that_flow_only(
    finance: User, finance_client: Client, admin: User, opportunity_flow: Flow, other_flow: Flow
) -> None:
    user_access_grant(user=finance, kind="flow", target=opportunity_flow, actor=admin)
    finance = _fresh(finance)
    assert list(flows_editable_by(finance)) == [opportunity_flow]

    index = finance_client.get("/sync/mappings/").content.decode()
    assert f"/sync/mappings/flows/{opportunity_flow.key}/drafts/" in index
    assert f"/sync/mappings/flows/{other_flow.key}/drafts/" not in index

    created = finance_client.post(f"/sync/mappings/flows/{opportunity_flow.key}/drafts/", {"notes": "memo"})
    assert created.status_code == 302
    draft = MappingVersion.objects.get(flow=opportunity_flow, status=VersionStatus.DRAFT)
    assert draft.created_by == finance
    page = finance_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    assert "Add a field row" in page and "Submit for approval" in page

    row = _memo(draft)
    saved = finance_client.post(f"/sync/mappings/rows/{row.pk}/", ROW_POST, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "saved" in saved.content.decode()
    assert _memo(draft).constant == "Via Concord"
    submitted = finance_client.post(f"/sync/mappings/versions/{draft.pk}/submit/", {"reason": "memo"})
    assert submitted.status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.SUBMITTED

    # Four eyes still hold: Finance may approve mappings, but not a version they edited.
    with pytest.raises(PermissionDenied, match="someone else must approve"):
        version_approve(version=draft, user=finance)

    # The other flow stays closed.
    assert finance_client.post(f"/sync/mappings/flows/{other_flow.key}/drafts/").status_code == 403
    with pytest.raises(PermissionDenied):
        version_create_draft(flow=other_flow, user=finance)


def test_it_closes_the_flow_again_when_the_grant_is_revoked(
    finance: User, finance_client: Client, admin: User, revops: User, opportunity_flow: Flow
) -> None:
    draft = version_create_draft(flow=opportunity_flow, user=revops)
    user_access_grant(user=finance, kind="flow", target=opportunity_flow, actor=admin)
    row = _memo(draft)
    assert finance_client.get(f"/sync/mappings/rows/{row.pk}/?edit=1").status_code == 200
    user_access_revoke(user=finance, kind="flow", target=opportunity_flow, actor=admin)
    assert finance_client.get(f"/sync/mappings/rows/{row.pk}/?edit=1").status_code == 403
    assert finance_client.post(f"/sync/mappings/rows/{row.pk}/", ROW_POST).status_code == 403
    assert (
        "Add a field row" not in finance_client.get(f"/sync/mappings/versions/{draft.pk}/").content.decode()
    )


def test_it_reaches_every_flow_with_the_model_wide_grant(
    auditor: User, admin: User, opportunity_flow: Flow, other_flow: Flow
) -> None:
    user_access_grant(user=auditor, kind="flow", target=None, actor=admin)
    auditor = _fresh(auditor)
    assert flow_edit_allowed(auditor, opportunity_flow) and flow_edit_allowed(auditor, other_flow)
    assert set(flows_editable_by(auditor)) == set(Flow.objects.all())


def test_it_gives_nothing_to_someone_without_a_role(
    outsider: User, admin: User, opportunity_flow: Flow
) -> None:
    user_access_grant(user=outsider, kind="flow", target=opportunity_flow, actor=admin)
    assert not flow_edit_allowed(_fresh(outsider), opportunity_flow)
    assert not flows_editable_by(_fresh(outsider)).exists()


def test_it_keeps_revops_on_every_flow(revops: User, opportunity_flow: Flow, other_flow: Flow) -> None:
    assert flow_edit_allowed(revops, opportunity_flow) and flow_edit_allowed(revops, other_flow)
