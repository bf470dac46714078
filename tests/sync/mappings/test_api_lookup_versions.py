"""Lookup table versions through the API: a draft with its entries, submit, four-eyes approval, publish,
by the same services as the console; bad entries are refused with the row named."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from governance.models import AuditEntry
from sync.mappings.models import LookupTable, LookupVersion, VersionStatus
from sync.mappings.services.lookup_versions import lookup_entries
from sync.mappings.services.seed import mapping_seed_defaults
from tests.api_support import token_client

JSON = "application/json"
TABLE = "currency_code_to_id"


def test_it_walks_a_lookup_version_from_draft_to_published(revops: User, finance: User) -> None:
    mapping_seed_defaults()
    maker, approver = token_client(revops), token_client(finance)
    draft = maker.post(
        "/api/v1/lookup-versions/", {"table": TABLE, "notes": "Swiss francs"}, content_type=JSON
    )
    assert draft.status_code == 201, draft.content
    body = draft.json()
    assert body["status"] == "draft" and body["entries"]["EUR"] == "4" and body["created_by"] == "revops"
    url = f"/api/v1/lookup-versions/{body['id']}"
    entries = {**body["entries"], "CHF": "7"}
    replaced = maker.post(f"{url}/entries/", {"entries": entries}, content_type=JSON)
    assert replaced.status_code == 200 and replaced.json()["entries"]["CHF"] == "7"
    assert maker.post(f"{url}/submit/", {}, content_type=JSON).json()["status"] == "submitted"
    assert maker.post(f"{url}/approve/", {}, content_type=JSON).status_code == 403
    assert approver.post(f"{url}/publish/", {}, content_type=JSON).status_code == 400  # not approved yet
    assert approver.post(f"{url}/approve/", {"reason": "ok"}, content_type=JSON).status_code == 200
    published = approver.post(f"{url}/publish/", {}, content_type=JSON)
    assert published.status_code == 200 and published.json()["published_by"] == "finance"
    table = LookupTable.objects.get(name=TABLE)
    assert lookup_entries(table.versions.get(status=VersionStatus.PUBLISHED))["CHF"] == "7"
    events = [
        entry.additional_data["event"]
        for entry in AuditEntry.objects.get_for_object(LookupVersion.objects.get(pk=body["id"]))
        if entry.additional_data and "event" in entry.additional_data
    ]
    assert sorted(events) == ["approve", "import", "publish", "submit"]
    listed = maker.get(f"/api/v1/lookup-versions/?table={TABLE}").json()["results"]
    assert [(row["number"], row["status"]) for row in listed] == [(2, "published"), (1, "superseded")]


def test_the_maker_cannot_approve_their_own_draft_even_holding_finance(revops: User) -> None:
    mapping_seed_defaults()
    revops.groups.add(Group.objects.get(name="Finance"))
    client = token_client(User.objects.get(pk=revops.pk))
    body = client.post("/api/v1/lookup-versions/", {"table": TABLE}, content_type=JSON).json()
    url = f"/api/v1/lookup-versions/{body['id']}"
    client.post(f"{url}/submit/", {}, content_type=JSON)
    refused = client.post(f"{url}/approve/", {}, content_type=JSON)
    assert refused.status_code == 403 and "someone else" in refused.content.decode()
    assert LookupVersion.objects.get(pk=body["id"]).status == VersionStatus.SUBMITTED


def test_bad_entries_are_refused_with_the_row_named(revops: User) -> None:
    mapping_seed_defaults()
    client = token_client(revops)
    duplicate = [{"key": "USD", "value": "1"}, {"key": "USD", "value": "2"}]
    response = client.post(
        "/api/v1/lookup-versions/", {"table": TABLE, "entries": duplicate}, content_type=JSON
    )
    assert response.status_code == 400 and "row 2: duplicate key 'USD'" in response.content.decode()
    assert not LookupVersion.objects.filter(status=VersionStatus.DRAFT).exists()  # nothing half made
    unknown = client.post("/api/v1/lookup-versions/", {"table": "no_such_table"}, content_type=JSON)
    assert unknown.status_code == 400 and "no_such_table" in unknown.content.decode()
