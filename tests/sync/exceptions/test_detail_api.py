"""The exception page's API: tags, the next retry's payload (read and edit), cancelling a retry."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from sync.exceptions.models import ExceptionRetry, OverrideStatus, RetryStatus, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from tests.api_support import token_client
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
SENT: dict[str, Any] = {"details": {"sent": {"customer.currency": {"id": "99"}, "sales_order.memo": "PO 1"}}}


def post(user: User, url: str, body: dict[str, Any]) -> Any:
    return token_client(user).post(url, body, content_type="application/json")


def test_it_tags_and_untags_with_the_detail_in_answer(revops: User, auditor: User) -> None:
    item = raise_sample()
    url = f"/api/v1/exceptions/{item.pk}"
    tagged = post(revops, f"{url}/tag/", {"name": "Q4 close"})
    assert tagged.status_code == 200 and tagged.json()["tags"] == ["q4 close"]
    assert post(auditor, f"{url}/tag/", {"name": "x"}).status_code == 403
    assert post(revops, f"{url}/tag/", {"name": "a/b"}).status_code == 400
    assert post(revops, f"{url}/untag/", {"name": "q4 close"}).json()["tags"] == []
    missing = post(revops, f"{url}/untag/", {"name": "q4 close"})
    assert missing.status_code == 400 and "no tag" in str(missing.json())


def test_it_reads_and_edits_the_next_payload_and_cancels_a_retry(
    revops: User, finance: User, auditor: User, django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample(**SENT)
    url = f"/api/v1/exceptions/{item.pk}"
    read = token_client(auditor).get(f"{url}/payload/")  # a reader may read it
    assert read.status_code == 200
    assert [(row["field"], row["next"], row["state"]) for row in read.json()] == [
        ("customer.currency", {"id": "99"}, "as sent"),
        ("sales_order.memo", "PO 1", "as sent"),
    ]
    assert post(auditor, f"{url}/payload/", {"changes": {"sales_order.memo": "x"}}).status_code == 403
    assert post(revops, f"{url}/payload/", {"changes": {}}).status_code == 400
    edited = post(
        revops, f"{url}/payload/", {"changes": {"customer.currency": "1", "sales_order.memo": "PO 2"}}
    )
    assert edited.status_code == 200, edited.content
    body = edited.json()
    assert body["status"] == "pending_approval"
    assert {row["field"]: row["state"] for row in body["next_payload"]} == {
        "customer.currency": "waiting for approval",
        "sales_order.memo": "changed",
    }
    pending = next(o for o in body["overrides"] if o["field"] == "customer.currency")
    assert pending["status"] == OverrideStatus.PENDING
    # Four eyes: the finance approver (not the proposer) approves; the retry is recorded, then cancelled.
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    with django_capture_on_commit_callbacks(execute=False):
        approved = post(finance, f"{url}/overrides/{pending['id']}/approve/", {"reason": "ok"})
    assert approved.status_code == 200 and approved.json()["retries"][0]["status"] == RetryStatus.PENDING
    assert post(auditor, f"{url}/cancel-retry/", {}).status_code == 403
    cancelled = post(revops, f"{url}/cancel-retry/", {"reason": "not now"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "open"
    assert cancelled.json()["retries"][0]["cancelled_by"] == "revops"
    assert ExceptionRetry.objects.get().status == RetryStatus.CANCELLED
    assert post(revops, f"{url}/cancel-retry/", {}).status_code == 400


def test_it_hides_another_subsidiarys_exception_from_the_new_actions(finance: User) -> None:
    item = raise_sample(subsidiary="SUB-B")
    raise_sample(key="mine", subsidiary="SUB-A")
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-A"))
    url = f"/api/v1/exceptions/{item.pk}"
    assert token_client(finance).get(f"{url}/payload/").status_code == 404
    assert post(finance, f"{url}/tag/", {"name": "x"}).status_code == 404
    assert post(finance, f"{url}/cancel-retry/", {}).status_code == 404
    assert not item.tags.exists()
