"""The traceability page and its exports: the chain as a timeline with links to the pages of each item,
CSV and JSON for auditors, exceptions scoped like the queue."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from sync.exceptions.models import ExceptionOverride
from tests.governance.conftest import OPPORTUNITY, World


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_shows_the_chain_as_a_timeline_linking_each_item(trace_world: World, auditor: User) -> None:
    response = _client(auditor).get(reverse("governance:trace"), {"q": "9601"})
    assert response.status_code == 200
    page = response.content.decode()
    for ref in (f"opportunity:{OPPORTUNITY}", "sales_order:501", "invoice:601", "payment:9601"):
        assert ref in page
    assert reverse("sync:job", args=[trace_world.sync_job.pk]) in page
    assert reverse("sync:job", args=[trace_world.return_job.pk]) in page
    assert reverse("sync:exception", args=[trace_world.order_exception.pk]) in page
    assert reverse("sync:exception", args=[trace_world.payment_exception.pk]) in page
    assert reverse("sync:mapping-version", args=[trace_world.mapping_version.pk]) in page
    said = f"Closed Won deals to NetSuite v{trace_world.mapping_version.number}"  # never its id
    assert f">mapping {said}</a>" in page and ">Sync record</span>" in page
    assert reverse("sync:rule", args=[trace_world.rule_version.rule.key]) in page
    assert reverse("governance:trace-export", args=["csv"]) + "?q=9601" in page


def test_it_shows_the_search_box_alone_without_a_query(finance: User) -> None:
    response = _client(finance).get(reverse("governance:trace"))
    assert response.status_code == 200
    assert b'name="q"' in response.content and b"The chain" not in response.content


def test_it_says_when_nothing_has_the_id(trace_world: World, revops: User) -> None:
    response = _client(revops).get(reverse("governance:trace"), {"q": "nothing-like-it"})
    assert b"Nothing Concord synced has the id" in response.content


def test_it_hides_another_subsidiarys_exception_from_a_scoped_finance_user(
    trace_world: World, finance: User
) -> None:
    page = _client(finance).get(reverse("governance:trace"), {"q": OPPORTUNITY}).content.decode()
    assert reverse("sync:exception", args=[trace_world.order_exception.pk]) in page
    assert reverse("sync:exception", args=[trace_world.payment_exception.pk]) not in page
    exported = _client(finance).get(reverse("governance:trace-export", args=["json"]), {"q": OPPORTUNITY})
    assert [item["id"] for item in exported.json()["exceptions"]] == [trace_world.order_exception.pk]


def test_it_exports_the_chain_as_json(trace_world: World, auditor: User) -> None:
    response = _client(auditor).get(reverse("governance:trace-export", args=["json"]), {"q": "601"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="concord-trace-601.json"'
    data = response.json()
    assert {link["kind"] for link in data["links"]} == {"opportunity", "sales_order", "invoice", "payment"}
    assert [version["id"] for version in data["mapping_versions"]] == [trace_world.mapping_version.pk]
    assert {event["mapping_version"] for event in data["timeline"] if event["mapping_version_id"]} == {
        f"Closed Won deals to NetSuite v{trace_world.mapping_version.number}"
    }
    assert data["rule_versions"][0]["approved_by"] == "finance"
    assert {event["job_id"] for event in data["timeline"]} >= {
        trace_world.sync_job.pk,
        trace_world.return_job.pk,
    }
    assert any(event["kind"] == "audit" for event in data["timeline"])


def test_it_exports_the_timeline_as_csv(trace_world: World, auditor: User) -> None:
    response = _client(auditor).get(reverse("governance:trace-export", args=["csv"]), {"q": OPPORTUNITY})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][0] == "at"
    assert any(row[2] == "override" and "approved by finance" in row[3] for row in rows)


def test_it_exports_formula_looking_text_as_text(trace_world: World, auditor: User) -> None:
    # A person's reason is shown as the override's detail: a spreadsheet must not run it.
    ExceptionOverride.objects.filter(item=trace_world.order_exception).update(reason="=cmd|' /C calc'!A0")
    response = _client(auditor).get(reverse("governance:trace-export", args=["csv"]), {"q": OPPORTUNITY})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert [row[5] for row in rows if row[2] == "override"] == ["'=cmd|' /C calc'!A0"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_it_refuses_an_unknown_export_format(trace_world: World, auditor: User) -> None:
    response = _client(auditor).get(reverse("governance:trace-export", args=["xml"]), {"q": OPPORTUNITY})
    assert response.status_code == 404
