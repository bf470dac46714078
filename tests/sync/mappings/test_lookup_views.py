"""The lookup pages: RevOps edit a draft, someone else approves and publishes it; the published entries
are what the page shows as live until then; the maker cannot approve; bad imports say what is wrong."""

from __future__ import annotations

import json

from django.contrib.auth.models import Group, User
from django.test import Client

from sync.mappings.models import LookupTable, LookupVersion, VersionStatus
from sync.mappings.services.lookup_versions import lookup_entries

TABLE = "currency_code_to_id"


def _draft() -> LookupVersion:
    return LookupVersion.objects.get(table__name=TABLE, status=VersionStatus.DRAFT)


def _published() -> dict[str, object]:
    return lookup_entries(LookupVersion.objects.get(table__name=TABLE, status=VersionStatus.PUBLISHED))


def test_it_walks_a_change_from_revops_draft_to_finance_publish(
    revops_client: Client, finance_client: Client, seeded_mappings: None
) -> None:
    response = revops_client.post(f"/sync/mappings/lookups/{TABLE}/", {"key": "CHF", "value": "7"})
    draft = _draft()
    assert (
        response.status_code == 302 and response["Location"] == f"/sync/mappings/lookup-versions/{draft.pk}/"
    )
    page = revops_client.get(f"/sync/mappings/lookup-versions/{draft.pk}/").content.decode()
    assert "CHF" in page and "Submit for approval" in page
    assert "CHF" not in _published()
    base = f"/sync/mappings/lookup-versions/{draft.pk}"
    assert revops_client.post(f"{base}/submit/").status_code == 302
    assert revops_client.post(f"{base}/approve/").status_code == 403  # RevOps do not approve
    assert finance_client.post(f"{base}/approve/", {"reason": "ok"}).status_code == 302
    assert "CHF" not in _published()
    assert finance_client.post(f"{base}/publish/").status_code == 302
    assert _published()["CHF"] == "7"
    index = finance_client.get("/sync/mappings/lookups/").content.decode()
    assert "published v2" in index


def test_the_maker_cannot_approve_their_own_draft_on_the_page(
    revops: User, revops_client: Client, seeded_mappings: None
) -> None:
    revops.groups.add(Group.objects.get(name="Finance"))
    revops_client.post(f"/sync/mappings/lookups/{TABLE}/", {"key": "CHF", "value": "7"})
    draft = _draft()
    base = f"/sync/mappings/lookup-versions/{draft.pk}"
    revops_client.post(f"{base}/submit/")
    page = revops_client.get(f"{base}/").content.decode()
    assert "someone else approves it" in page and ">Approve<" not in page
    response = revops_client.post(f"{base}/approve/")
    assert response.status_code == 403  # the role allows approving: the service refused the maker
    assert LookupVersion.objects.get(pk=draft.pk).status == VersionStatus.SUBMITTED


def test_a_bad_import_says_what_is_wrong_and_changes_nothing(
    revops_client: Client, seeded_mappings: None
) -> None:
    revops_client.post(f"/sync/mappings/lookups/{TABLE}/drafts/")
    draft = _draft()
    before = lookup_entries(draft)
    entries = json.dumps(
        [{"key": "USD", "value": "1"}, {"key": "USD", "value": "9"}, {"key": "EUR", "val": "4"}]
    )
    response = revops_client.post(
        f"/sync/mappings/lookup-versions/{draft.pk}/import/", {"entries": entries}, follow=True
    )
    page = response.content.decode()
    assert "row 2: duplicate key &#x27;USD&#x27;" in page
    assert "row 3: unknown field(s) val (only key and value)" in page
    assert lookup_entries(draft) == before
    not_json = revops_client.post(
        f"/sync/mappings/lookup-versions/{draft.pk}/import/", {"entries": "USD=1"}, follow=True
    )
    assert "The entries are not JSON" in not_json.content.decode()
    deep = revops_client.post(
        f"/sync/mappings/lookup-versions/{draft.pk}/import/",
        {"entries": "[" * 5000 + "]" * 5000},
        follow=True,
    )
    assert deep.status_code == 200
    assert "The entries are refused: JSON nested deeper than 64 levels" in deep.content.decode()
    assert lookup_entries(draft) == before
    assert LookupTable.objects.get(name=TABLE).revision == 1
