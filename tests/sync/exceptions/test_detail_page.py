"""The exception page: labelled actions with help, tags, the next retry's payload and cancelling a retry,
through the page (htmx panel) as a person uses it."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from sync.exceptions.models import ExceptionRetry, ExceptionStatus, OverrideStatus, RetryStatus
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
SENT: dict[str, Any] = {
    "details": {"sent": {"customer.currency": {"id": "99"}, "sales_order.memo": "PO 1"}, "job": 4}
}


def words(response: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_it_labels_every_action_with_words_and_help(revops_client: Client) -> None:
    item = raise_sample(**SENT)
    page = revops_client.get(f"/exceptions/{item.pk}/").content.decode()
    # Every input has a label (no bare placeholders), every action a legend and a help text.
    inputs = re.findall(r'<(?:input|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    assert inputs and all(f'for="{input_id}"' in page for input_id in inputs)
    assert not re.findall(r'<input(?![^>]*type="hidden")(?![^>]*\bid=)[^>]*>', page)
    text = words(revops_client.get(f"/exceptions/{item.pk}/"))
    for legend, help_text in (
        ("Retry", "Runs the failed work again"),
        ("Mark resolved", "Closes the exception because the cause is fixed"),
        ("Ignore", "Stops showing this problem"),
        ("Assign", "Gives the exception to one person"),
        ("Escalate", "Moves it now to the next owner"),
    ):
        assert f"{legend} {help_text}" in text, legend
    assert "Raised by sync job #4" in text  # details in words; job 4 is not visible: no link
    assert "What to do: Sync failure" in text  # the category's runbook section


def test_it_tags_through_the_panel_and_says_what_is_wrong(revops_client: Client) -> None:
    item = raise_sample()
    response = revops_client.post(
        f"/exceptions/{item.pk}/tag/", {"name": "Waiting on customer"}, headers=HTMX
    )
    assert response.status_code == 200 and "waiting on customer" in words(response)
    assert "Tag added by revops" in words(response)
    bad = revops_client.post(f"/exceptions/{item.pk}/tag/", {"name": "a/b"}, headers=HTMX)
    assert 'role="alert"' in bad.content.decode() and "A tag holds letters" in words(bad)
    gone = revops_client.post(f"/exceptions/{item.pk}/untag/", {"name": "waiting on customer"}, headers=HTMX)
    assert "No tags." in words(gone)


def test_it_edits_the_next_payload_and_cancels_a_waiting_retry(
    revops_client: Client, auditor_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    item = raise_sample(**SENT)
    page = revops_client.get(f"/exceptions/{item.pk}/").content.decode()
    assert 'name="value_1" value="{&quot;id&quot;: &quot;99&quot;}"' in page
    unchanged = {"field_1": "customer.currency", "shown_1": '{"id": "99"}', "value_1": '{"id": "99"}'}
    nothing = revops_client.post(f"/exceptions/{item.pk}/payload/", unchanged, headers=HTMX)
    assert "nothing differs" in words(nothing) and not item.overrides.exists()
    edited = {
        **unchanged,
        "value_1": '"1"',  # financial: waits
        "field_2": "sales_order.memo",
        "shown_2": "PO 1",
        "value_2": "PO 2",
        "reason": "PO 42",
    }
    response = revops_client.post(f"/exceptions/{item.pk}/payload/", edited, headers=HTMX)
    text = words(response)
    # The sent value in words (the input holds the next one); the state says what waits.
    assert re.search(r"customer\.currency financial id 99 Next value of \S+ waiting for approval", text)
    assert re.search(r"sales_order\.memo PO 1 Next value of \S+ changed", text)
    assert {o.field: o.status for o in item.overrides.all()} == {
        "customer.currency": OverrideStatus.PENDING,
        "sales_order.memo": OverrideStatus.APPROVED,
    }
    item.refresh_from_db()
    assert item.status == ExceptionStatus.PENDING_APPROVAL and not ExceptionRetry.objects.exists()

    # Rejected by the proposer (withdrawn), the memo stays; a retry waits and is cancelled from the page.
    pending = item.overrides.get(field="customer.currency")
    revops_client.post(f"/exceptions/{item.pk}/overrides/{pending.pk}/reject/", {"reason": "wrong"})
    with django_capture_on_commit_callbacks(execute=False):
        revops_client.post(f"/exceptions/{item.pk}/retry/", {"reason": "go"})
    page_text = words(revops_client.get(f"/exceptions/{item.pk}/"))
    assert "Retry waiting to run" in page_text and "Cancel the retry" in page_text
    assert "Waiting for a worker" in page_text  # the retries table
    assert "Cancel the retry" not in words(auditor_client.get(f"/exceptions/{item.pk}/"))
    assert auditor_client.post(f"/exceptions/{item.pk}/cancel-retry/", {}).status_code == 403
    response = revops_client.post(f"/exceptions/{item.pk}/cancel-retry/", {"reason": "not yet"}, headers=HTMX)
    text = words(response)
    assert "Retry cancelled by revops: not yet" in text and "Cancelled by revops" in text
    assert ExceptionRetry.objects.get().status == RetryStatus.CANCELLED
    again = revops_client.post(f"/exceptions/{item.pk}/cancel-retry/", {}, headers=HTMX)
    assert "No retry is waiting to run." in words(again)
