"""The home dashboard: which panels each role opens on, their figures and links, and the polled fragments."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from tests.console.conftest import OpsWorld


def panel_ids(page: str) -> list[str]:
    return re.findall(r'id="panel-([a-z0-9]+)"', page)


def figure(page: str, name: str) -> tuple[str, str]:
    """(href, text) of the link carrying ``data-figure="name"``."""
    match = re.search(rf'<a href="([^"]*)" data-figure="{re.escape(name)}"[^>]*>([^<]*)</a>', page)
    assert match, f"no figure {name}"
    return match.group(1).replace("&amp;", "&"), match.group(2).strip()


@pytest.mark.parametrize(
    ("persona", "panels"),
    [
        ("finance", ["dso", "exceptions", "reconciliation", "q2c", "currencies"]),
        ("revops", ["volume", "exceptions", "queue", "reconciliation"]),
        ("admin", ["health", "connections", "limits", "queue", "volume"]),
        ("auditor", ["volume", "exceptions", "reconciliation", "dso", "q2c", "currencies"]),
    ],
)
def test_it_opens_each_role_on_its_own_panels(
    persona: str, panels: list[str], ops_world: OpsWorld, persona_client: Callable[[str], Client]
) -> None:
    page = persona_client(persona).get("/").content.decode()
    assert panel_ids(page) == panels


def test_it_links_each_revops_figure_to_the_rows_behind_it(
    ops_world: OpsWorld, revops_client: Client
) -> None:
    page = revops_client.get("/").content.decode()
    assert figure(page, "volume-records") == ("/sync/jobs/?flow=account_to_netsuite&since=2026-06-02", "4")
    assert 'data-figure="volume-success">86.7 %' in page
    assert figure(page, "volume-failed") == (
        "/sync/jobs/?flow=account_to_netsuite&status=with_failures&since=2026-06-02",
        "3",
    )
    assert figure(page, "exception-rate") == ("/sync/jobs/?status=with_failures&since=2026-06-09", "26.3 %")
    assert figure(page, "exceptions-opened") == ("/exceptions/?status=&since=2026-06-09", "4")
    assert figure(page, "age-1to3d-overdue") == ("/exceptions/?status=active&age=1to3d&overdue=on", "1")
    assert figure(page, "queue-pending") == ("/sync/inbox/?status=pending", "2")
    assert 'data-figure="queue-lag">120.0 s' in page
    assert page.count("<polyline") == 4  # records and success charts, one line per flow each
    # Each day with records is a dot on both charts, opening that day's jobs of the flow: 3 days, 2 charts.
    dots = re.findall(r'<a href="([^"]+)"><circle', page)
    assert len(dots) == 6
    assert dots.count("/sync/jobs/?flow=opportunity_to_netsuite&amp;day=2026-06-15") == 2
    href, mismatches = figure(page, "recon-invoices")
    assert re.fullmatch(r"/reconciliation/runs/\d+/", href) and mismatches == "4"
    assert 'data-figure="recon-accounts"' not in page  # its last run failed: no count to show


def test_the_figure_links_list_exactly_the_rows_counted(ops_world: OpsWorld, revops_client: Client) -> None:
    page = revops_client.get("/").content.decode()
    href, count = figure(page, "age-1to3d-overdue")
    listed = revops_client.get(href).content.decode()
    assert listed.count('href="/exceptions/') - listed.count('href="/exceptions/notifications') >= int(count)
    assert ">e2<" in listed and ">e1<" not in listed and ">e3<" not in listed
    href, _ = figure(page, "volume-failed")
    jobs = revops_client.get(href).content.decode()
    assert len(re.findall(r'href="/sync/jobs/\d+/"', jobs)) == 1  # the other flow's one partial job


def test_finance_sees_dso_and_its_invoices(ops_world: OpsWorld, finance_client: Client) -> None:
    page = finance_client.get("/").content.decode()
    assert 'data-figure="dso-USD">27.0<' in page and 'data-figure="dso-EUR">90.0<' in page
    href, receivables = figure(page, "dso-USD-receivables")
    assert (href, receivables) == ("/sync/invoices/?currency=USD&open=on", "900.00")
    invoices = finance_client.get(href).content.decode()
    assert invoices.count("<td>USD</td>") == 2  # the two open USD invoices: 400 + 500
    assert 'data-figure="q2c-total">26.0 h (median)' in page


def test_admin_sees_health_and_vendor_limits(ops_world: OpsWorld, admin_client: Client) -> None:
    page = admin_client.get("/").content.decode()
    assert 'data-figure="concurrency-ops-ns">2 of 5<' in page
    assert 'data-figure="api-usage-ops-sf">150 of 15000 (1.0 %)<' in page
    assert 'data-figure="health-database"' in page


def test_each_panel_polls_its_own_fragment(ops_world: OpsWorld, revops_client: Client) -> None:
    page = revops_client.get("/").content.decode()
    assert 'hx-get="/dashboard/panels/queue/" hx-trigger="every 15s" hx-swap="outerHTML"' in page
    fragment = revops_client.get("/dashboard/panels/queue/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    text = fragment.content.decode()
    assert text.lstrip().startswith('<section class="card dashboard-panel" id="panel-queue"')
    assert "<html" not in text and figure(text, "queue-pending")[1] == "2"


def test_a_panel_outside_the_roles_is_refused(ops_world: OpsWorld, finance_client: Client) -> None:
    assert finance_client.get("/dashboard/panels/health/").status_code == 403
    assert finance_client.get("/dashboard/panels/no-such-panel/").status_code == 404
