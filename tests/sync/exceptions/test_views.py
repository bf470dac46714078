"""The exception queue's pages, per role: outsider nothing, auditor reads, RevOps acts, Finance approves."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from sync.exceptions.models import (
    ExceptionItem,
    ExceptionOverride,
    ExceptionStatus,
    Notification,
    OverrideStatus,
)
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def item() -> ExceptionItem:
    return raise_sample()


def test_it_shows_an_outsider_nothing(outsider_client: Client, item: ExceptionItem) -> None:
    assert outsider_client.get("/exceptions/").status_code == 403
    assert outsider_client.get(f"/exceptions/{item.pk}/").status_code == 403
    assert outsider_client.post(f"/exceptions/{item.pk}/resolve/").status_code == 403


def test_it_shows_the_detail_page_with_everything_known(auditor_client: Client, item: ExceptionItem) -> None:
    html = auditor_client.get(f"/exceptions/{item.pk}/").content.decode()
    for text in (
        "NetSuite refused the sales order",
        "Sync failure",
        "High",
        "SUB-A",
        'href="https://sf.example/006A"',
        "https://ns.example/app/accounting/transactions/salesord.nl?id=77",
        "INVALID_FLD_VALUE",
        "Invalid amount",
        "item[0].amount",
        "opportunity_to_sales_order.amount",
        "amount_positive",
        item.due_at.strftime("%Y-%m-%d %H:%M") if item.due_at else "missing due time",
        "Raised",  # history
    ):
        assert text in html, text


def test_it_keeps_the_auditor_read_only(auditor_client: Client, item: ExceptionItem) -> None:
    html = auditor_client.get(f"/exceptions/{item.pk}/").content.decode()
    assert "Mark resolved" not in html and "Comment</button>" not in html
    assert auditor_client.post(f"/exceptions/{item.pk}/resolve/", {"reason": "x"}).status_code == 403
    assert auditor_client.post(f"/exceptions/{item.pk}/comment/", {"text": "x"}).status_code == 403
    item.refresh_from_db()
    assert item.status == ExceptionStatus.OPEN


def test_it_lets_revops_act_through_htmx(
    revops_client: Client, finance: User, item: ExceptionItem, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = revops_client.post(f"/exceptions/{item.pk}/retry/", {"reason": "try again"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<div id="exception-panel">')
    assert "In progress" in html and "Retry requested" in html and "try again" in html

    response = revops_client.post(f"/exceptions/{item.pk}/ignore/", {"reason": ""}, headers=HTMX)
    assert 'role="alert"' in response.content.decode()  # a reason is required; the panel says so
    item.refresh_from_db()
    assert item.status == ExceptionStatus.IN_PROGRESS

    response = revops_client.post(f"/exceptions/{item.pk}/assign/", {"owner": "finance"})
    assert response.status_code == 302 and response["Location"] == f"/exceptions/{item.pk}/"
    item.refresh_from_db()
    assert item.owner_user == finance
    assert Notification.objects.filter(user=finance, item=item).exists()


def test_it_lets_revops_propose_but_not_approve_a_financial_change(
    revops_client: Client, finance_everywhere: User, finance_client: Client, item: ExceptionItem
) -> None:
    revops_client.post(
        f"/exceptions/{item.pk}/edit/", {"field": "Amount", "new_value": "1000", "reason": "PO"}
    )
    override = ExceptionOverride.objects.get(item=item)
    assert (override.new_value, override.status) == (1000, OverrideStatus.PENDING)
    url = f"/exceptions/{item.pk}/overrides/{override.pk}/approve/"
    assert "Approve</button>" not in revops_client.get(f"/exceptions/{item.pk}/").content.decode()
    assert revops_client.post(url).status_code == 403

    assert "Approve</button>" in finance_client.get(f"/exceptions/{item.pk}/").content.decode()
    html = finance_client.post(url, {"reason": "matches the PO"}, headers=HTMX).content.decode()
    override.refresh_from_db()
    assert override.status == OverrideStatus.APPROVED and override.approved_by == finance_everywhere
    assert "Value change approved" in html and "matches the PO" in html


def test_it_refuses_self_approval_in_the_console(
    finance_everywhere: User, finance_client: Client, item: ExceptionItem
) -> None:
    finance_client.post(f"/exceptions/{item.pk}/accept/", {"field": "Amount", "system": "netsuite"})
    override = ExceptionOverride.objects.get(item=item)
    assert override.status == OverrideStatus.PENDING and override.proposed_by == finance_everywhere
    assert finance_client.post(f"/exceptions/{item.pk}/overrides/{override.pk}/approve/").status_code == 403
    override.refresh_from_db()
    assert override.status == OverrideStatus.PENDING


def test_it_filters_the_queue_and_serves_the_table_to_htmx(revops: User, revops_client: Client) -> None:
    now = timezone.now()
    created = {
        "late": raise_sample(key="late", now=now - timedelta(days=3)),
        "low": raise_sample(key="low", severity="low"),
        "rule": raise_sample(key="rule", category="blocked_rule"),
    }
    # The shipped policy gives new exceptions to the RevOps group: here only "rule" is revops's.
    ExceptionItem.objects.update(owner_group=None)
    ExceptionItem.objects.filter(pk=created["rule"].pk).update(owner_user=revops)

    def shown(query: str) -> set[str]:
        response = revops_client.get(
            f"/exceptions/?{query}", headers={**HTMX, "HX-Target": "exception-table"}
        )
        html = response.content.decode()
        assert html.startswith('<div id="exception-table">')  # the partial, not the page
        return {key for key, item in created.items() if f'id="exception-{item.pk}"' in html}

    assert shown("") == {"late", "low", "rule"}
    assert shown("overdue=on") == {"late"}
    assert shown("category=blocked_rule") == {"rule"}
    assert shown("severity=low") == {"low"}
    assert shown("owner=me") == {"rule"}
    assert shown("status=resolved") == set()
    # The dashboard's links: by how long open (first seen), and first seen since a day.
    assert shown("age=lt1d") == {"low", "rule"}
    assert shown("age=3to7d") == {"late"}
    assert shown("age=gt7d") == set()
    assert shown(f"since={(now - timedelta(days=1)).date().isoformat()}") == {"low", "rule"}


def test_it_shows_notifications_with_an_unread_badge(
    revops: User, revops_client: Client, item: ExceptionItem
) -> None:
    Notification.objects.create(user=revops, item=item, message="Escalated to you", created_at=timezone.now())
    page = revops_client.get("/exceptions/").content.decode()
    assert 'title="Unread notifications">1</a>' in page
    listing = revops_client.get("/exceptions/notifications/").content.decode()
    assert "Escalated to you" in listing and f'href="/exceptions/{item.pk}/"' in listing
    assert revops_client.post("/exceptions/notifications/").status_code == 302
    assert 'title="Unread notifications"' not in revops_client.get("/exceptions/").content.decode()


def test_it_escalates_by_hand_with_a_reason(
    revops_client: Client, finance: User, item: ExceptionItem
) -> None:
    from sync.exceptions.models import EscalationLevel

    item.category.levels.all().delete()  # the shipped path, replaced by one level
    EscalationLevel.objects.create(
        category=item.category, position=1, user=finance, duration=timedelta(hours=1)
    )
    html = revops_client.post(
        f"/exceptions/{item.pk}/escalate/", {"reason": "Customer waiting"}, headers=HTMX
    )
    item.refresh_from_db()
    assert (item.escalation_level, item.owner_user) == (1, finance)
    assert "Customer waiting" in html.content.decode()
    again = revops_client.post(
        f"/exceptions/{item.pk}/escalate/", {"reason": "more"}, headers=HTMX
    ).content.decode()
    assert "last level" in again


def _text(client: Client, item: ExceptionItem) -> str:
    return html.unescape(client.get(f"/exceptions/{item.pk}/").content.decode())


def test_it_labels_the_value_choices_in_words(revops_client: Client, item: ExceptionItem) -> None:
    page = _text(revops_client, item)
    assert "Keep Salesforce's value for Amount (1200)" in page
    assert "Accept NetSuite's value for Amount (1000)" in page
    assert "Accept NetSuite's value for Memo (x)" in page
    assert "<option>salesforce</option>" not in page and "Accept that system's value" not in page
    assert "→" not in page  # the history says what changed in words, not with arrows

    revops_client.post(f"/exceptions/{item.pk}/accept/", {"field": "Amount", "system": "salesforce"})
    page = _text(revops_client, item)
    assert "NetSuite's value: 1000" in page and "Keep Salesforce's value: 1200" in page
    assert "status changed from Open to Pending approval" in page


def test_it_shows_the_value_concord_really_sent_as_the_old_value(revops_client: Client) -> None:
    item = raise_sample(details={"sent": {"customer.currency": {"id": "99", "refName": "Yen?"}}})
    page = _text(revops_client, item)
    words = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "customer.currency sent to NetSuite: Yen? (id 99)" in words
    revops_client.post(f"/exceptions/{item.pk}/edit/", {"field": "currency", "new_value": '"6"'})
    override = ExceptionOverride.objects.get(item=item)
    assert override.old_value == {"id": "99", "refName": "Yen?"}
    page = _text(revops_client, item)
    assert '<td class="old-value">Yen? (id 99)</td><td class="new-value">6</td>' in page
    assert "None" not in page.split("Value changes")[1].split("</table>")[0]


def test_it_does_not_promise_a_retry_it_cannot_run(revops_client: Client) -> None:
    item = raise_sample(key="recon:amounts:006B:Amount", retry_task=None)
    page = _text(revops_client, item)
    assert "Edit value and retry" not in page and "Record a corrected value" in page
    assert "not written to either system" in page
