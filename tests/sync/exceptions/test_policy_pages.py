"""The exception policy's pages and API: every field edited, bad input refused with its reason (nothing
changed), the runbook on each exception's page, and who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from sync.exceptions import policy
from sync.exceptions.models import ExceptionCategory, Subsidiary
from tests.api_support import token_client
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Sync failure",
    "sla": "6h",
    "default_severity": "critical",
    "owner": "Finance",
    "auto_ticket": "on",
    "runbook": "1. Look at the field.\n2. Fix it in Salesforce.",
}


@pytest.fixture
def shipped(db: None) -> ExceptionCategory:
    policy.exception_policy_ensure()
    return ExceptionCategory.objects.get(key="sync_failure")


def test_finance_edits_a_category_on_its_page(finance_client: Client, shipped: ExceptionCategory) -> None:
    page = finance_client.get("/exceptions/policy/").content.decode()
    assert "Sync failure" in page and "1: Finance for 8h" in page
    answer = finance_client.post("/exceptions/policy/sync_failure/", FORM)
    assert answer.status_code == 302
    shipped.refresh_from_db()
    assert (shipped.sla, shipped.default_severity, shipped.auto_ticket) == (
        timedelta(hours=6),
        "critical",
        True,
    )
    assert shipped.default_owner_group == Group.objects.get(name="Finance")
    assert shipped.runbook.startswith("1. Look at the field.") and shipped.edited_at is not None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sla", "-2h", "cannot be negative"),
        ("owner", "Nobody", "No group or active user"),
        ("sla", "", "required"),
    ],
)
def test_the_page_refuses_bad_input_and_keeps_what_was_typed(
    finance_client: Client, shipped: ExceptionCategory, field: str, value: str, message: str
) -> None:
    answer = finance_client.post("/exceptions/policy/sync_failure/", {**FORM, field: value})
    assert answer.status_code == 400
    html = answer.content.decode()
    assert message in html and "Look at the field." in html  # what was typed is still there
    shipped.refresh_from_db()
    assert shipped.edited_at is None and shipped.sla == timedelta(hours=4)


def test_the_path_is_edited_on_the_page(admin_client: Client, shipped: ExceptionCategory) -> None:
    base = "/exceptions/policy/sync_failure/levels"
    assert (
        admin_client.post(f"{base}/add/", {"owner": "RevOps", "duration": "2h", "position": "1"}).status_code
        == 302
    )
    assert admin_client.post(f"{base}/move/", {"position": "1", "to": "3"}).status_code == 302
    assert admin_client.post(f"{base}/remove/", {"position": "1"}).status_code == 302
    assert policy.escalation_path(shipped) == ["1: Admin for 1d", "2: RevOps for 2h"]
    refused = admin_client.post(f"{base}/add/", {"owner": "RevOps", "duration": "-1h"}, follow=True)
    assert "cannot be negative" in refused.content.decode()
    assert len(policy.escalation_path(shipped)) == 2


def test_revops_reads_the_policy_but_cannot_change_it(
    revops_client: Client, shipped: ExceptionCategory
) -> None:
    page = revops_client.get("/exceptions/policy/sync_failure/").content.decode()
    assert "Finance (group)" in page and "Add a level" not in page
    assert revops_client.post("/exceptions/policy/sync_failure/", FORM).status_code == 403
    assert (
        revops_client.post("/exceptions/policy/sync_failure/levels/remove/", {"position": "1"}).status_code
        == 403
    )


def test_the_runbook_shows_on_each_exception_of_the_category(
    revops_client: Client, finance: User, shipped: ExceptionCategory
) -> None:
    policy.category_update(category=shipped, user=finance, runbook="Call <Bob> in billing.\nThen retry.")
    item = raise_sample()
    html = revops_client.get(f"/exceptions/{item.pk}/").content.decode()
    assert 'id="runbook"' in html and "Call &lt;Bob&gt; in billing.\nThen retry." in html
    other = raise_sample(key="other", category="blocked_rule")
    assert "Call &lt;Bob&gt;" not in revops_client.get(f"/exceptions/{other.pk}/").content.decode()


def test_the_api_edits_the_category_and_its_path(
    finance: User, revops: User, shipped: ExceptionCategory
) -> None:
    client = token_client(finance)
    answer = client.patch(
        "/api/v1/exception-categories/sync_failure/",
        {
            "sla": "1d",
            "default_severity": "low",
            "default_owner_user": "finance",
            "auto_ticket": True,
            "runbook": "R",
        },
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["sla"], body["default_severity"], body["default_owner_user"], body["runbook"]) == (
        "1d",
        "low",
        "finance",
        "R",
    )
    assert body["default_owner_group"] is None and body["auto_ticket"] is True
    added = client.post(
        "/api/v1/exception-categories/sync_failure/levels/",
        {"group": "RevOps", "duration": "30m", "position": 1},
        content_type="application/json",
    )
    assert [level["group"] for level in added.json()["levels"]] == ["RevOps", "Finance", "Admin"]
    moved = client.post(
        "/api/v1/exception-categories/sync_failure/levels/1/move/", {"to": 3}, content_type="application/json"
    )
    assert [level["group"] for level in moved.json()["levels"]] == ["Finance", "Admin", "RevOps"]
    changed = client.patch(
        "/api/v1/exception-categories/sync_failure/levels/3/",
        {"duration": "45m"},
        content_type="application/json",
    )
    assert changed.json()["levels"][2]["duration"] == "45m"
    removed = client.post("/api/v1/exception-categories/sync_failure/levels/3/remove/")
    assert len(removed.json()["levels"]) == 2

    bad = client.patch(
        "/api/v1/exception-categories/sync_failure/",
        {"sla": "-1h", "default_owner_group": "Nobody"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "cannot be negative" in bad.content.decode() and "default_owner_group" in bad.json()
    assert ExceptionCategory.objects.get(key="sync_failure").sla == timedelta(days=1)
    unknown_level = client.post("/api/v1/exception-categories/sync_failure/levels/9/remove/")
    assert unknown_level.status_code == 400 and "has no level 9" in unknown_level.content.decode()
    assert (
        token_client(revops)
        .patch("/api/v1/exception-categories/sync_failure/", {"sla": "1h"}, content_type="application/json")
        .status_code
        == 403
    )


def test_the_api_grants_a_subsidiary_by_name_before_any_exception(admin: User, finance: User) -> None:
    Subsidiary.objects.create(key="ns:7", name="EMEA")
    client = token_client(admin)
    answer = client.post(
        "/api/v1/subsidiary-grants/",
        {"subsidiary": "emea", "user": "finance"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == [
        {"subsidiary": "ns:7", "subsidiary_name": "EMEA", "user": "finance", "group": None}
    ]
    item = raise_sample(subsidiary="ns:7")
    assert token_client(finance).get(f"/api/v1/exceptions/{item.pk}/").status_code == 200
    refused = client.post(
        "/api/v1/subsidiary-grants/",
        {"subsidiary": "EMEA", "group": "Finance"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "is a role" in refused.content.decode()
