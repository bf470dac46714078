"""RevOps dry-runs the published mapping in Chromium, against the stack ``make demo`` runs: the search box
finds an opportunity by part of its name as it is typed (htmx), and choosing it shows each record's
comparison with NetSuite."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Story

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FLOW = "opportunity_to_netsuite"


def test_revops_finds_an_opportunity_by_name_and_dry_runs_it(story: Story) -> None:
    (deal,) = story.stack.salesforce().query(
        "SELECT Id, Name FROM Opportunity WHERE IsWon = true ORDER BY Id LIMIT 1"
    )
    page = story.sign_in("revops")
    page.goto("/sync/mappings/")
    page.locator(f"#flow-{FLOW}").get_by_role("link", name="v1", exact=True).click()
    page.get_by_role("link", name="Dry run with an opportunity").click()

    # Typed in lower case, as people type: the matches appear under the box without a submit.
    page.get_by_label("Opportunity (name or id)").press_sequentially(deal["Name"].lower(), delay=10)
    match = page.locator("#preview-choices").get_by_role("link", name=deal["Name"], exact=True)
    expect(match).to_be_visible()
    match.click()
    result = page.locator("#preview-result")
    expect(result).to_contain_text(deal["Id"])
    expect(result.locator(".preview-record").first).to_contain_text("customer")
    expect(result.locator(".error")).to_have_count(0)
    story.screenshot(page, "revops-dry-run")
