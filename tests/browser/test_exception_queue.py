"""The queue's bulk selection in Chromium against a live server in this process: Finance searches, ticks
every row of the page with one box (a static script, no inline handler), resolves them under one reason
and sees what was done; the exceptions outside the search stay open."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect

from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_mapping_editor import sign_in
from tests.sync.exceptions.support import raise_sample
from tests.sync.pipeline.conftest import THREADED_DB

pytestmark = [pytest.mark.browser, THREADED_DB, pytest.mark.usefixtures("async_unsafe")]


def test_finance_resolves_a_searched_page_in_one_go(
    browser: Browser, live_server: object, finance: User
) -> None:
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    fixed = [
        raise_sample(key=f"sync:3:006FR{n}", title=f"Opportunity FR deal {n}: no subsidiary")
        for n in range(3)
    ]
    other = raise_sample(key="sync:3:006US", title="Opportunity US deal: refused")
    page = sign_in(browser, str(live_server), "finance")
    page.goto("/exceptions/")
    loads: list[str] = []
    page.on("request", lambda request: loads.append(request.url) if "/exceptions/?" in request.url else None)
    page.get_by_label("Search").press_sequentially("FR deal")  # typed: the table follows, no Enter
    table = page.locator("#exception-table")
    expect(table).to_contain_text("Showing 1–3 of 3")
    page.wait_for_load_state("networkidle")
    searched = len(loads)
    assert searched >= 1 and "q=FR%20deal" in loads[-1]
    # Leaving the search box (its late change event) does not reload the table and clear the ticks.
    page.get_by_label("Select every exception on this page").check()
    for item in fixed:
        expect(page.get_by_label(f"Select exception #{item.pk}")).to_be_checked()
    page.wait_for_timeout(800)  # twice the search's delay: a reload would have come by now
    assert len(loads) == searched, loads
    for item in fixed:
        expect(page.get_by_label(f"Select exception #{item.pk}")).to_be_checked()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "exception-queue-selected.png"), full_page=True)
    bulk = page.get_by_role("group", name="With the selected exceptions")
    bulk.get_by_label("Action").select_option("resolve")
    bulk.get_by_label("Reason").fill("FR added to the subsidiary lookup")
    bulk.get_by_role("button", name="Apply to selected").click()
    expect(page.locator(".messages")).to_contain_text("Mark resolved: 3 done.")
    expect(page.locator("#id_status")).to_have_value("active")  # the default, shown as such
    page.screenshot(path=str(ARTIFACTS / "exception-queue-bulk.png"), full_page=True)
    assert set(
        ExceptionItem.objects.filter(pk__in=[i.pk for i in fixed]).values_list("status", flat=True)
    ) == {ExceptionStatus.RESOLVED}
    assert ExceptionItem.objects.get(pk=other.pk).status == ExceptionStatus.OPEN
    page.context.close()
