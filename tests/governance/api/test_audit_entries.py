"""The audit trail through the API: auditors only, filtered like the audit browser, keyset pages."""

from __future__ import annotations

from django.contrib.auth.models import User

from governance.services import token_create
from tests.api_support import token_client


def test_it_pages_the_trail_newest_first_by_cursor(auditor: User, revops: User) -> None:
    for number in range(5):
        token_create(user=revops, name=f"t{number}")
    client = token_client(auditor)
    first = client.get(f"/api/v1/audit-entries/?limit=2&model=governance.apitoken&actor={revops.pk}").json()
    ids = [row["id"] for row in first["results"]]
    assert len(ids) == 2 and ids == sorted(ids, reverse=True)
    assert first["results"][0]["object_repr"].startswith("t4")
    seen = list(ids)
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert len(seen) == len(set(seen)) == 5


def test_it_filters_by_actor_and_masks_secrets(auditor: User, revops: User, admin: User) -> None:
    token_create(user=revops, name="mine")
    token_create(user=admin, name="theirs")
    client = token_client(auditor)
    rows = client.get(f"/api/v1/audit-entries/?actor={revops.pk}&model=governance.apitoken").json()["results"]
    assert [row["object_repr"].split(" ")[0] for row in rows] == ["mine"]
    assert rows[0]["actor"] == "revops" and rows[0]["model"] == "governance.apitoken"
    assert client.get("/api/v1/audit-entries/?model=no.such").json()["results"] == []
    assert client.get("/api/v1/audit-entries/?action=9").status_code == 400


def test_it_refuses_the_trail_to_everyone_but_auditors(revops: User, admin: User) -> None:
    assert token_client(revops).get("/api/v1/audit-entries/").status_code == 403
    assert token_client(admin).get("/api/v1/audit-entries/").status_code == 403
