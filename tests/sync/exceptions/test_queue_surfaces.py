"""The queue's page, API and command over the same selector: search, filters, sort, pages, bulk actions
and the CSV export, each scoped to the person."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from sync.exceptions.models import ExceptionItem, ExceptionStatus, Subsidiary
from sync.exceptions.permissions import subsidiary_scope_grant
from tests.api_support import token_client
from tests.sync.exceptions.support import raise_sample

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true", "HX-Target": "exception-table"}


@pytest.fixture
def items() -> list[ExceptionItem]:
    return [
        raise_sample(key="sync:3:006ACME", title="Opportunity Acme SARL: no subsidiary for FR"),
        raise_sample(key="return:3:invoice:88", title="=HYPERLINK(evil) invoice", severity="low"),
        raise_sample(key="sync:3:006OTHER", title="Opportunity Globex: refused", subsidiary="SUB-B"),
    ]


def _body(response: object) -> str:
    """A streamed download's whole text."""
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def test_the_page_searches_sorts_and_pages(revops_client: Client, items: list[ExceptionItem]) -> None:
    page = revops_client.get("/exceptions/", {"q": "acme", "sort": "-id"}).content.decode()
    assert "Acme SARL" in page and "Globex" not in page
    assert "Showing 1–1 of 1" in page and "Export these as CSV" in page
    assert 'href="?q=acme&amp;sort=id"' in page or "sort=id" in page  # the # column reverses the sort
    table = revops_client.get("/exceptions/", {"flow": "netsuite_invoice_to_salesforce"}, headers=HTMX)
    text = table.content.decode()
    assert text.startswith('<div id="exception-table">') and "HYPERLINK" in text and "Acme" not in text
    by_severity = revops_client.get("/exceptions/", {"sort": "severity"}).content.decode()
    assert by_severity.index("HYPERLINK") < by_severity.index("Acme")  # low before high
    bad = revops_client.get("/exceptions/", {"sort": "colour"}).content.decode()
    assert "Filters not applied" in bad


def test_the_page_offers_bulk_actions_only_to_those_who_act(
    revops_client: Client, auditor_client: Client, items: list[ExceptionItem]
) -> None:
    assert 'name="ids"' in revops_client.get("/exceptions/").content.decode()
    assert 'name="ids"' not in auditor_client.get("/exceptions/").content.decode()
    assert (
        auditor_client.post("/exceptions/bulk/", {"ids": [items[0].pk], "action": "resolve"}).status_code
        == 403
    )


def test_a_bulk_post_acts_and_says_what_was_not_done(
    revops_client: Client, items: list[ExceptionItem]
) -> None:
    ids = [items[0].pk, items[1].pk]
    response = revops_client.post(
        "/exceptions/bulk/",
        {"ids": ids, "action": "resolve", "reason": "fixed at the source", "next": "q=acme"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/exceptions/?q=acme"
    assert "Mark resolved: 2 done." in response.content.decode()
    assert set(ExceptionItem.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"resolved"}
    # The second day: the same selection again is refused item by item, nothing else changes.
    again = revops_client.post(
        "/exceptions/bulk/", {"ids": ids, "action": "resolve", "reason": "again"}, follow=True
    ).content.decode()
    assert "0 done, 2 not" in again and "This exception is closed." in again
    missing_reason = revops_client.post(
        "/exceptions/bulk/", {"ids": [items[2].pk], "action": "ignore", "reason": ""}, follow=True
    ).content.decode()
    assert "Nothing was changed" in missing_reason
    assert ExceptionItem.objects.get(pk=items[2].pk).status == ExceptionStatus.OPEN


def test_the_export_streams_the_filtered_scoped_queue(
    finance: User, revops_client: Client, items: list[ExceptionItem]
) -> None:
    response = revops_client.get("/exceptions/export.csv", {"status": "", "sort": "id"})
    assert response["Content-Type"].startswith("text/csv") and getattr(response, "streaming", False)
    rows = list(csv.reader(io.StringIO(_body(response))))
    assert rows[0][:3] == ["id", "title", "category"]
    assert [int(row[0]) for row in rows[1:]] == [item.pk for item in items]
    assert rows[2][1] == "'=HYPERLINK(evil) invoice"  # no formula reaches a spreadsheet
    assert "salesforce:Opportunity:006A" in rows[1][12]
    subsidiary_scope_grant(holder=finance, subsidiary=Subsidiary.objects.get(key="SUB-B"))
    client = Client()
    client.force_login(finance)
    limited = _body(client.get("/exceptions/export.csv"))
    assert "Globex" in limited and "Acme" not in limited


def test_the_api_lists_with_search_sort_and_a_capped_count(revops: User, items: list[ExceptionItem]) -> None:
    client = token_client(revops)
    body = client.get("/api/v1/exceptions/", {"sort": "-id"}).json()
    assert [row["id"] for row in body["results"]] == [item.pk for item in reversed(items)]
    assert body["count"] == 3 and body["count_capped"] is False
    found = client.get("/api/v1/exceptions/", {"search": "006OTHER"}).json()
    assert [row["id"] for row in found["results"]] == [items[2].pk]
    flow = client.get("/api/v1/exceptions/", {"flow": "netsuite_invoice_to_salesforce"}).json()
    assert [row["id"] for row in flow["results"]] == [items[1].pk]
    assert client.get("/api/v1/exceptions/", {"sort": "colour"}).status_code == 400
    assert client.get("/api/v1/exceptions/", {"flow": "mars"}).status_code == 400
    assert "narrow the filters" in client.get("/api/v1/exceptions/", {"offset": 10**6}).content.decode()
    export = client.get("/api/v1/exceptions/export/", {"subsidiary": "SUB-B"})
    text = _body(export)
    assert "Globex" in text and "Acme" not in text


def test_the_api_acts_in_bulk(revops: User, auditor: User, items: list[ExceptionItem]) -> None:
    client = token_client(revops)
    answer = client.post(
        "/api/v1/exceptions/bulk/",
        {"ids": [items[0].pk, 424242], "action": "assign", "reason": "mine", "owner_user": "revops"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "action": "assign",
        "done": [items[0].pk],
        "refused": [{"id": 424242, "error": "No such exception."}],
    }
    assert ExceptionItem.objects.get(pk=items[0].pk).owner_user == revops
    no_reason = client.post(
        "/api/v1/exceptions/bulk/",
        {"ids": [items[1].pk], "action": "ignore"},
        content_type="application/json",
    )
    assert no_reason.status_code == 400 and "Say why" in no_reason.content.decode()
    refused = token_client(auditor).post(
        "/api/v1/exceptions/bulk/",
        {"ids": [items[1].pk], "action": "ignore", "reason": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 403


def test_the_command_lists_exports_and_acts(revops: User, items: list[ExceptionItem], tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("exceptions", "list", "--as", "revops", "--search", "acme", stdout=out)
    assert "Acme SARL" in out.getvalue() and "Globex" not in out.getvalue()
    assert out.getvalue().strip().endswith("1-1 of 1")
    target = tmp_path / "backlog.csv"
    err = io.StringIO()
    call_command(
        "exceptions", "export", "--as", "revops", "--status", "", "--output", str(target), stderr=err
    )
    assert "3 exceptions written" in err.getvalue() and len(target.read_text().splitlines()) == 4
    out = io.StringIO()
    call_command(
        "exceptions",
        "bulk",
        "resolve",
        "--as",
        "revops",
        "--filtered",
        "--subsidiary",
        "SUB-B",
        "--reason",
        "Globex fixed",
        stdout=out,
    )
    assert "Mark resolved: 1 done." in out.getvalue()
    assert ExceptionItem.objects.get(pk=items[2].pk).status == ExceptionStatus.RESOLVED
    with pytest.raises(CommandError, match="not done"):
        call_command(
            "exceptions", "bulk", "resolve", "--as", "revops", "--ids", str(items[2].pk), "--reason", "x"
        )
    with pytest.raises(CommandError, match="Unknown sort"):
        call_command("exceptions", "list", "--as", "revops", "--sort", "colour")


def test_a_tag_narrows_the_page_the_api_and_the_command(
    revops: User, revops_client: Client, items: list[ExceptionItem]
) -> None:
    from sync.exceptions.tags import exception_tag_add, exception_tag_remove

    exception_tag_add(item=items[0], user=revops, name="month-end")
    exception_tag_add(item=items[2], user=revops, name="month-end")
    page = revops_client.get("/exceptions/", {"tag": "month-end"}).content.decode()
    assert "Acme SARL" in page and "Globex" in page and "HYPERLINK" not in page
    assert '<option value="month-end"' in page  # offered as a choice: a tag in use
    answer = token_client(revops).get("/api/v1/exceptions/", {"tag": "month-end"}).json()
    assert sorted(row["id"] for row in answer["results"]) == sorted([items[0].pk, items[2].pk])
    out = io.StringIO()
    call_command("exceptions", "list", "--as", revops.username, "--tag", "month-end", stdout=out)
    assert "Acme SARL" in out.getvalue() and "HYPERLINK" not in out.getvalue()
    # The second day: the tag taken off one exception, the filter follows; an unknown tag finds none.
    exception_tag_remove(item=items[2], user=revops, name="month-end")
    answer = token_client(revops).get("/api/v1/exceptions/", {"tag": "month-end"}).json()
    assert [row["id"] for row in answer["results"]] == [items[0].pk]
    assert token_client(revops).get("/api/v1/exceptions/", {"tag": "no-such"}).json()["results"] == []
