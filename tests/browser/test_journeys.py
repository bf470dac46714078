"""Four people's journeys through the console, in Chromium, against the stack ``make demo`` runs.

RevOps edits a mapping and submits it; Finance approves it (four eyes) and works an exception the worker
opened for a Salesforce change; Admin grants a role; the Auditor finds all of it in the audit trail and
exports it. Each journey ends with a full-page screenshot in ``var/test-artifacts/browser/``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Story, reload_until

# One xdist group: with --dist loadgroup the journeys share one demo stack (other modes still pass, each
# worker running the journeys a test needs on its own stack).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FLOW = "opportunity_to_netsuite"
# The edit RevOps makes: websites lower-cased on their way to NetSuite (the customer's "website" row).
ROW = "website"
ROW_NOTE = "Web addresses are case-insensitive: lower-cased so NetSuite search finds them."
SUBMIT_REASON = "Lower-case customer websites"
APPROVE_REASON = "Checked against NetSuite saved searches"
# A country Concord has no subsidiary for: the sync of a deal on such an account fails in the mapping.
UNMAPPED_COUNTRY = "FR"
COMMENT = "Account moved to France, where we have no subsidiary yet: billing stays with the US entity."


@dataclass(frozen=True)
class Submitted:
    version_path: str
    label: str  # "opportunity_to_netsuite v2"


@dataclass(frozen=True)
class Worked:
    opportunity_id: str
    exception_title: str


@dataclass(frozen=True)
class Granted:
    username: str
    role: str


def revops_edits_and_submits(story: Story) -> Submitted:
    page = story.sign_in("revops")
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Mappings").click()
    expect(page.get_by_role("heading", name="Mappings", exact=True)).to_be_visible()

    flow = page.locator(f"#flow-{FLOW}")
    flow.get_by_label("Notes").fill("Websites in lower case")
    flow.get_by_role("button", name="New draft from the published version").click()
    heading = page.get_by_role("heading", level=1)
    # The flow in words, its key beside them, then the version: "Closed Won deals to NetSuite
    # opportunity_to_netsuite v2 Draft"; the version's own name is "opportunity_to_netsuite v2".
    expect(heading).to_contain_text(re.compile(rf"{FLOW} v\d+\s+Draft"))
    found = re.search(rf"{FLOW} v\d+", heading.inner_text())
    assert found is not None
    label = found.group(0)
    version_path = urlsplit(page.url).path

    # The HTMX editor: "Edit" swaps the row for its form, every keystroke is checked, "Save" swaps back.
    customer = page.locator("#object-customer")
    row = customer.locator("tr.field-row").filter(has=page.get_by_text(ROW, exact=True))
    row.get_by_role("button", name="Edit").click()
    editor = customer.locator("tr.field-row.editing")
    expect(editor.get_by_label("Row id")).to_have_value(ROW)
    # Checked as typed: a half-typed chain is refused with the reason, the finished one is valid. (The
    # chain is usually built from the list of transforms; the JSON box is the advanced way.)
    editor.get_by_text("Transforms as JSON (advanced)").click()
    editor.get_by_label("Use this JSON instead of the steps").check()
    transforms = editor.get_by_label("Transforms (JSON)")
    transforms.clear()
    transforms.press_sequentially('["trim", "lower"')
    expect(editor.locator(".row-check")).to_contain_text("The transform chain must be JSON")
    transforms.press_sequentially("]")
    expect(editor.locator(".row-check")).to_have_text("valid")
    editor.get_by_label("Note").fill(ROW_NOTE)
    editor.get_by_role("button", name="Save").click()
    saved = customer.locator("tr.field-row").filter(has=page.get_by_text(ROW, exact=True))
    expect(saved).to_contain_text("saved")
    expect(saved.locator("td").nth(3)).to_have_text(re.compile(r"trim spaces\s*→\s*lower case"))

    page.locator("form", has=page.get_by_role("button", name="Submit for approval")).get_by_label(
        "Reason"
    ).fill(SUBMIT_REASON)
    page.get_by_role("button", name="Submit for approval").click()
    # The page the submission redirects to is read back from the database: status, row, no more editing.
    expect(page.locator(".messages")).to_contain_text(f"{label} is submitted.")
    expect(heading).to_contain_text("Submitted")
    stored = page.locator("#object-customer tr.field-row").filter(has=page.get_by_text(ROW, exact=True))
    expect(stored.locator("td").nth(3)).to_have_text(re.compile(r"trim spaces\s*→\s*lower case"))
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)  # submitted: frozen
    # The version's JSON export (the same session) holds the edited row as the engine will run it.
    exported = page.request.get(f"{version_path}export/")
    assert exported.ok
    customer_rows = {
        row["id"]: row
        for obj in exported.json()["objects"]
        if obj["key"] == "customer"
        for row in obj["fields"]
    }
    assert customer_rows[ROW]["transforms"] == ["trim", "lower"]
    assert customer_rows[ROW]["note"] == ROW_NOTE

    story.screenshot(page, "revops")
    return Submitted(version_path=version_path, label=label)


def finance_approves_and_works_an_exception(story: Story) -> Worked:
    submitted = story.outcome(revops_edits_and_submits)
    # Meanwhile in Salesforce: an account moves to France and its deal is marked Closed Won. The outbound
    # message reaches the demo's listener, and the worker's sync fails on the subsidiary lookup.
    salesforce = story.stack.salesforce()
    deal = salesforce.open_opportunity()
    home_country = deal["Account"]["BillingCountry"]
    salesforce.update("Account", deal["AccountId"], {"BillingCountry": UNMAPPED_COUNTRY})
    salesforce.update("Opportunity", deal["Id"], {"StageName": "Closed Won"})

    page = story.sign_in("finance")
    page.goto(submitted.version_path)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"{submitted.label} Submitted")
    approve = page.locator("form", has=page.get_by_role("button", name="Approve", exact=True))
    approve.get_by_label("Reason").fill(APPROVE_REASON)
    approve.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"{submitted.label} is approved.")
    expect(heading).to_contain_text("Approved")
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Mappings").click()
    version_row = page.locator(f"#flow-{FLOW} tr").filter(
        has=page.get_by_role("link", name=submitted.label.split()[-1], exact=True)
    )
    expect(version_row).to_contain_text("revops")  # made by
    expect(version_row.locator("td").nth(3)).to_have_text("finance")  # approved by: a second person

    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Exceptions").click()
    # Titled for finance: the account by name and what is missing (sync/pipeline/titles.py).
    account = deal["Account"]["Name"]
    listed = page.locator("#exception-table tr").filter(has_text=f"Account {account}:")
    reload_until(page, lambda: expect(listed).to_be_visible(timeout=1_000))
    expect(listed).to_contain_text(f"no NetSuite subsidiary for billing country {UNMAPPED_COUNTRY}")
    expect(listed).to_contain_text("Open")
    title = listed.locator("td.title").inner_text().strip()
    listed.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Account {account}")

    panel = page.locator("#exception-panel")
    panel.get_by_placeholder("Comment").fill(COMMENT)
    panel.get_by_role("button", name="Comment").click()
    expect(panel.locator("ol.history")).to_contain_text(COMMENT)
    panel.get_by_placeholder("Username or group").fill("finance")
    panel.get_by_role("button", name="Assign").click()
    expect(panel).to_contain_text("Owner: Frances Finance")
    # RevOps corrects the account in Salesforce; Finance retries and the worker syncs the deal.
    salesforce.update("Account", deal["AccountId"], {"BillingCountry": home_country})
    retry = panel.locator("form", has=page.get_by_role("button", name="Retry", exact=True))
    retry.get_by_placeholder("Why (optional)").fill("Billing country corrected in Salesforce")
    retry.get_by_role("button", name="Retry", exact=True).click()
    expect(panel.locator(".status")).to_have_text(re.compile("In progress|Resolved"))
    reload_until(
        page, lambda: expect(page.locator("#exception-panel .status")).to_have_text("Resolved", timeout=1_000)
    )
    history = page.locator("#exception-panel ol.history")
    expect(history).to_contain_text(re.compile(r"Retry requested\s+by finance"))
    expect(history).to_contain_text(re.compile(r"Resolved automatically\s+by Concord: synced by job \d+"))

    story.screenshot(page, "finance")
    return Worked(opportunity_id=deal["Id"], exception_title=title)


def admin_grants_a_role(story: Story) -> Granted:
    granted = Granted(username="outsider", role="RevOps")
    page = story.sign_in("admin")
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Governance").click()
    page.get_by_role("link", name="Manage users and roles").click()
    expect(page.get_by_role("heading", name="Users and roles")).to_be_visible()

    row = page.get_by_role("row").filter(has=page.get_by_text(granted.username, exact=True))
    checkbox = row.get_by_role("checkbox", name=granted.role, exact=True)
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    with page.expect_response(re.compile(r"/governance/users/\d+/roles/$")) as answer:
        row.get_by_role("button", name="Save roles").click()
    assert answer.value.ok
    expect(row.get_by_role("alert")).to_have_count(0)  # a refusal would be shown in the row

    # The person can now use the console: the areas instead of 403, the role in the user menu.
    person = story.sign_in(granted.username)
    expect(person.locator(".user-menu")).to_contain_text(granted.role)
    expect(person.get_by_role("navigation", name="Areas")).to_be_visible()

    page.reload()
    expect(row.get_by_role("checkbox", name=granted.role, exact=True)).to_be_checked()
    story.screenshot(page, "admin")
    return granted


def auditor_browses_and_exports(story: Story) -> None:
    submitted = story.outcome(revops_edits_and_submits)
    worked = story.outcome(finance_approves_and_works_an_exception)
    granted = story.outcome(admin_grants_a_role)

    page = story.sign_in("auditor")
    page.get_by_role("navigation", name="Areas").get_by_role("link", name="Governance").click()
    page.get_by_role("link", name="Browse and export the audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    filters = page.locator("form.filters")
    results = page.locator("#audit-results")
    entries = results.locator("table.audit > tbody > tr")

    # Who gave the outsider a role: Admin's entries name the user and the roles before and after.
    filter_by_actor(page, "admin")
    grant = entries.filter(has_text=re.compile(rf"\b{granted.username}\b")).filter(has_text=granted.role)
    expect(grant.first).to_contain_text("none")
    # RevOps's edit and submission of the mapping.
    filter_by_actor(page, "revops")
    expect(entries.filter(has_text=submitted.label).filter(has_text="submitted").first).to_be_visible()
    expect(entries.filter(has_text=ROW_NOTE).first).to_be_visible()
    # Finance's approval and the exception they worked; every entry listed is theirs.
    filter_by_actor(page, "finance")
    expect(entries.filter(has_text=submitted.label).filter(has_text="approved").first).to_be_visible()
    # The exception is named by its title (written for finance: the account, not the opportunity id).
    expect(entries.filter(has_text=worked.exception_title).first).to_be_visible()
    assert set(entries.locator("xpath=./td[3]").all_inner_texts()) == {"finance"}
    expect(filters.get_by_label("Actor")).to_have_value(re.compile(r"\d+"))

    # The export carries the filters in force: Finance's entries only, the approval and the exception.
    with page.expect_download() as download:
        results.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "concord-audit.csv"
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert rows and {row["actor"] for row in rows} == {"finance"}
    assert any(row["object"] == submitted.label and '"approved"' in row["changes"] for row in rows)
    assert any(
        worked.exception_title in row["object"] and "Frances Finance" in row["changes"] for row in rows
    )
    story.screenshot(page, "auditor")


def filter_by_actor(page: Page, username: str) -> None:
    """Choose the actor and press Filter: htmx swaps the results and pushes the filters into the URL."""
    page.locator("form.filters").get_by_label("Actor").select_option(label=username)
    with page.expect_response(re.compile(r"/governance/audit/\?")) as answer:
        page.locator("form.filters").get_by_role("button", name="Filter").click()
    assert answer.value.ok
    expect(page.locator("#audit-results table.audit")).to_be_visible()


def test_revops_edits_a_mapping_and_submits_it(story: Story) -> None:
    submitted = story.outcome(revops_edits_and_submits)
    assert re.fullmatch(rf"{FLOW} v\d+", submitted.label)


def test_finance_approves_it_and_works_an_exception(story: Story) -> None:
    worked = story.outcome(finance_approves_and_works_an_exception)
    expected = r"Account .+: no NetSuite subsidiary for billing country \w\w"  # finance's words
    assert re.fullmatch(expected, worked.exception_title)


def test_admin_grants_a_role(story: Story) -> None:
    assert story.outcome(admin_grants_a_role).role == "RevOps"


def test_auditor_browses_the_history_and_exports_it(story: Story) -> None:
    story.outcome(auditor_browses_and_exports)
