"""The exception queue through the API: scoped by subsidiary, filtered and paged like the page, acted on
through the same services (financial changes wait for another approver)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from sync.exceptions.models import ExceptionItem, ExceptionStatus, OverrideStatus, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from tests.api_support import token_client
from tests.sync.exceptions.support import RETRY_CALLS, raise_sample

pytestmark = pytest.mark.django_db


def _ids(response: object) -> list[int]:
    return [row["id"] for row in response.json()["results"]]  # type: ignore[attr-defined]


def test_it_shows_finance_only_the_exceptions_of_its_subsidiaries(finance: User, auditor: User) -> None:
    in_scope = raise_sample(key="a", subsidiary="SUB-A")
    elsewhere = raise_sample(key="b", subsidiary="SUB-B")
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    client = token_client(finance)
    assert _ids(client.get("/api/v1/exceptions/")) == [in_scope.pk]
    assert client.get(f"/api/v1/exceptions/{in_scope.pk}/").status_code == 200
    assert client.get(f"/api/v1/exceptions/{elsewhere.pk}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/exceptions/{elsewhere.pk}/comment/", {"text": "hi"}, content_type="application/json"
        ).status_code
        == 404
    )
    # The auditor holds every subsidiary.
    assert sorted(_ids(token_client(auditor).get("/api/v1/exceptions/"))) == sorted(
        [in_scope.pk, elsewhere.pk]
    )


def test_it_filters_by_the_queues_own_filters(revops: User) -> None:
    open_item = raise_sample(key="a")
    closed = raise_sample(key="b", severity="low")
    client = token_client(revops)
    assert (
        client.post(
            f"/api/v1/exceptions/{closed.pk}/resolve/", {"reason": "done"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert _ids(client.get("/api/v1/exceptions/")) == [open_item.pk]  # "active" by default, as on the page
    assert sorted(_ids(client.get("/api/v1/exceptions/?status="))) == sorted([open_item.pk, closed.pk])
    assert _ids(client.get("/api/v1/exceptions/?status=resolved")) == [closed.pk]
    assert _ids(client.get("/api/v1/exceptions/?status=&severity=low")) == [closed.pk]
    assert client.get("/api/v1/exceptions/?severity=dreadful").status_code == 400
    # One exception is read whatever its status.
    assert client.get(f"/api/v1/exceptions/{closed.pk}/").json()["status"] == ExceptionStatus.RESOLVED


def test_it_pages_with_a_bounded_limit(revops: User) -> None:
    for number in range(5):
        raise_sample(key=f"k{number}")
    client = token_client(revops)
    first = client.get("/api/v1/exceptions/?limit=2").json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    rest = client.get("/api/v1/exceptions/?limit=2&offset=4").json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    seen = {row["id"] for row in first["results"]} | {row["id"] for row in rest["results"]}
    assert len(seen) == 3
    # A page never holds more than the bound, whatever the caller asks.
    for number in range(5, 205):
        raise_sample(key=f"k{number}")
    assert len(client.get("/api/v1/exceptions/?limit=100000").json()["results"]) == 200


def test_it_holds_a_financial_change_for_another_approver(
    revops: User, finance: User, django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample()
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    proposed = token_client(revops).post(
        f"/api/v1/exceptions/{item.pk}/edit/",
        {"field": "Amount", "new_value": 1000, "reason": "PO says so"},
        content_type="application/json",
    )
    assert proposed.status_code == 200, proposed.content
    body = proposed.json()
    assert body["status"] == ExceptionStatus.PENDING_APPROVAL
    override = body["overrides"][0]
    assert override["status"] == OverrideStatus.PENDING and override["proposed_by"] == "revops"
    url = f"/api/v1/exceptions/{item.pk}/overrides/{override['id']}/approve/"
    assert token_client(revops).post(url, {}, content_type="application/json").status_code == 403
    RETRY_CALLS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approved = token_client(finance).post(url, {"reason": "checked"}, content_type="application/json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["overrides"][0]["approved_by"] == "finance"
    assert ExceptionItem.objects.get(pk=item.pk).status == ExceptionStatus.IN_PROGRESS
    assert RETRY_CALLS and RETRY_CALLS[-1]["overrides"] == {"Amount": 1000}


def test_it_answers_a_refused_action_with_400_and_the_reason(revops: User) -> None:
    item = raise_sample()
    response = token_client(revops).post(
        f"/api/v1/exceptions/{item.pk}/ignore/", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "Say why" in str(response.json())
    assert ExceptionItem.objects.get(pk=item.pk).status == ExceptionStatus.OPEN


def test_it_assigns_to_a_person_by_username(revops: User, finance: User) -> None:
    item = raise_sample()
    response = token_client(revops).post(
        f"/api/v1/exceptions/{item.pk}/assign/", {"owner_user": "finance"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["owner_user"] == "finance"
    unknown = token_client(revops).post(
        f"/api/v1/exceptions/{item.pk}/assign/", {"owner_user": "nobody"}, content_type="application/json"
    )
    assert unknown.status_code == 400
