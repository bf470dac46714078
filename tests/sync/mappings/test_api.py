"""Mapping versions through the API: the console's workflow (draft, submit, four-eyes approval, publish)
by the same services, each step audited under the token's user."""

from __future__ import annotations

from django.contrib.auth.models import User

from core import labels
from governance.models import AuditEntry
from sync.mappings.models import Flow, MappingVersion, VersionStatus
from sync.mappings.services.seed import mapping_seed_defaults
from tests.api_support import token_client

JSON = "application/json"


def test_it_walks_a_mapping_version_from_draft_to_published(revops: User, finance: User) -> None:
    mapping_seed_defaults()
    flow = Flow.objects.order_by("key")[0]
    maker, approver = token_client(revops), token_client(finance)
    draft = maker.post("/api/v1/mapping-versions/", {"flow": flow.key, "notes": "api"}, content_type=JSON)
    assert draft.status_code == 201, draft.content
    body = draft.json()
    assert body["status"] == "draft" and body["spec"]["flow"] == flow.key and body["created_by"] == "revops"
    # Beside each key, its words (core/labels.py): the flow, the version as people say it, the status.
    assert (body["flow_label"], body["version"], body["status_label"]) == (
        labels.flow_label(flow.key),
        f"v{body['number']}",
        "Draft",
    )
    url = f"/api/v1/mapping-versions/{body['id']}"
    assert maker.post(f"{url}/submit/", {}, content_type=JSON).json()["status"] == "submitted"
    # Four eyes: the maker may not approve (and lacks approve_mappings anyway); Finance may.
    assert maker.post(f"{url}/approve/", {}, content_type=JSON).status_code == 403
    assert approver.post(f"{url}/publish/", {}, content_type=JSON).status_code == 400  # not approved yet
    assert approver.post(f"{url}/approve/", {"reason": "looks right"}, content_type=JSON).status_code == 200
    published = approver.post(f"{url}/publish/", {}, content_type=JSON)
    assert published.status_code == 200 and published.json()["published_by"] == "finance"
    assert MappingVersion.objects.get(flow=flow, status=VersionStatus.PUBLISHED).pk == body["id"]
    events = [
        entry.additional_data["event"]
        for entry in AuditEntry.objects.get_for_object(MappingVersion.objects.get(pk=body["id"]))
        if entry.additional_data and "event" in entry.additional_data
    ]
    assert sorted(events) == ["approve", "copy of v1", "publish", "submit"]


def test_it_filters_mapping_versions_by_flow_and_status(revops: User) -> None:
    mapping_seed_defaults()
    client = token_client(revops)
    flow = Flow.objects.order_by("key")[0]
    client.post("/api/v1/mapping-versions/", {"flow": flow.key}, content_type=JSON)
    drafts = client.get(f"/api/v1/mapping-versions/?status=draft&flow={flow.key}").json()["results"]
    assert [(row["flow"], row["status"]) for row in drafts] == [(flow.key, "draft")]
    published = client.get("/api/v1/mapping-versions/?status=published").json()
    assert published["count"] == Flow.objects.count()
