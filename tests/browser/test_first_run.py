"""From an empty production install to the first synced deal, through the browser alone (issue 20, point 5).

The administrator reads the setup code from the server's file (as with Jenkins), becomes the first admin,
enrols the second factor production requires of an admin (the secret the enrolment page shows, the code
computed from it as an authenticator app would), connects and tests both simulators (pasting their CA
bundle), invites a RevOps colleague (the link comes by mail: the stack's mail goes to files; RevOps needs
no second factor), who installs the shipped lookups, mappings and rules as drafts and submits them; the
admin approves and publishes them (four eyes), creates the Closed Won listener and runs the go-live scan.
Then the Salesforce side, which is not Concord's to drive, is set up outside the browser as a Salesforce
admin would: the org's outbound message rule gets the listener's URL, and a deal is marked Closed Won. The
setup checklist is read after each step: each step turns done in turn. Last, the admin signs in again: the
verification page refuses a wrong code with a visible message and takes the right one. axe-core checks the
enrolment and verification pages (test_accessibility.py cannot reach the verification page: its personas
have no device).
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django_otp.oath import totp
from playwright.sync_api import Browser, BrowserContext, Page, expect

from simulators.netsuite.spec import DEFAULT_ACCOUNT_ID, DEMO_INTEGRATION
from simulators.salesforce import login as salesforce_login
from simulators.salesforce.org import DEFAULT_ORG_ID
from tests.browser.axe import axe_violations
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS, reload_until
from tests.browser.first_run_stack import FirstRunStack, first_run_stack_start, first_run_stack_stop

pytestmark = pytest.mark.browser

STEPS = ("connections", "test", "metadata", "lookups", "mappings", "listener", "golive", "first-deal")
ADMIN_PASSWORD = "first-admin-passphrase-20"  # noqa: S105 - a throwaway installation
REVOPS_EMAIL = "riley@example.com"
REVOPS_PASSWORD = "riley-chooses-a-passphrase-7"  # noqa: S105 - idem
# django-otp throttles a device after a wrong code: the next try waits 1 s (OTP_TOTP_THROTTLE_FACTOR), as
# a person retyping would; sooner, even the right code is refused.
THROTTLE_WAIT_MS = 1_500


@pytest.fixture(scope="module")
def first_run(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstRunStack]:
    stack = first_run_stack_start(tmp_path_factory.mktemp("first-run"))
    try:
        yield stack
    finally:
        first_run_stack_stop(stack)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(stack.log_file, ARTIFACTS / "first-run.log")


def _context(browser: Browser, stack: FirstRunStack) -> BrowserContext:
    context = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _checklist(page: Page, done_through: str) -> None:
    """The checklist shows every step up to ``done_through`` done, and the rest not."""
    page.goto("/setup/")
    index = STEPS.index(done_through) if done_through else -1
    for number, key in enumerate(STEPS):
        expect(page.locator(f"#step-{key}")).to_have_attribute(
            "data-done", "yes" if number <= index else "no"
        )


def _wait_for_step(page: Page, key: str, *, timeout: float) -> None:
    page.goto("/setup/")
    reload_until(
        page,
        lambda: expect(page.locator(f"#step-{key}")).to_have_attribute("data-done", "yes", timeout=1000),
        timeout=timeout,
    )


def _first_admin(page: Page, stack: FirstRunStack) -> bytes:
    """The first admin, with their second factor enrolled; returns the device's key."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/setup/first-admin/$"))
    code_file = Path(page.locator("#setup-code-path").inner_text().strip())
    assert code_file == stack.var_dir / "first-admin-code"
    page.get_by_label("Setup code").fill("a guess")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_label("Password again").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Create the administrator").click()
    expect(page.locator(".error")).to_contain_text("not the setup code")
    page.get_by_label("Setup code").fill(code_file.read_text().strip())
    page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    page.get_by_label("Password again").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Create the administrator").click()
    assert not code_file.exists()
    # Signed in, but an admin's console waits for the second factor: the enrolment page, then /setup/.
    expect(page).to_have_url(re.compile(r"/accounts/mfa/enrol/\?next=%2Fsetup%2F$"))
    key = _enrol(page)
    expect(page).to_have_url(re.compile(r"/setup/$"))
    expect(page.locator("#setup-summary")).to_contain_text("0 of 8 steps done")
    return key


def _code(key: bytes, *, drift: int = 0) -> str:
    """The six digits an authenticator app shows now for ``key`` (``drift`` 30-second steps away)."""
    return f"{totp(key, drift=drift):06d}"


def _wrong_code(key: bytes) -> str:
    """Six digits the device refuses: none of the codes its tolerance (one step either side) accepts."""
    accepted = {_code(key, drift=drift) for drift in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def _accessible(page: Page, where: str) -> None:
    problems = axe_violations(page, where)
    assert problems == [], "\n".join(problems)


def _enrol(page: Page) -> bytes:
    """On the enrolment page: read the secret as a person types it into the app, send the app's code."""
    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    _accessible(page, "enrolment")
    secret = page.locator("#mfa-secret").inner_text().strip()
    uri = page.locator("a[href^='otpauth://totp/']").get_attribute("href") or ""
    assert f"secret={secret}&" in uri and "issuer=Concord" in uri, uri
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert len(key) == 20, secret  # django-otp's 160-bit key
    page.get_by_label("Six-digit code").fill(_code(key))
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".messages")).to_contain_text("Two-factor authentication is on for your account.")
    return key


def _sign_in_again(page: Page, key: bytes) -> None:
    """The admin signs out and in again: the password alone is not enough, the device's code is asked."""
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/\?next="))
    expect(page.locator("h1")).to_have_text("Your second factor")
    _accessible(page, "verification")
    page.get_by_label("Six-digit code").fill(_wrong_code(key))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/"))
    _accessible(page, "verification, a wrong code")
    page.goto("/setup/")  # still not in: sent back to the verification page
    expect(page).to_have_url(re.compile(r"/accounts/mfa/verify/\?next=%2Fsetup%2F$"))
    page.wait_for_timeout(THROTTLE_WAIT_MS)
    page.get_by_label("Six-digit code").fill(_code(key))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/setup/$"))
    expect(page.locator("#setup-summary")).to_contain_text("Every step is done")


def _connection(page: Page, stack: FirstRunStack, *, system: str) -> None:
    page.goto("/sync/connections/new/")
    page.locator("#id_name").fill(f"{system}-main")
    page.locator("#id_kind").select_option(system)
    page.locator("#id_environment").select_option("sandbox")
    page.locator("#id_ca_bundle").fill(stack.ca_bundle)
    if system == "salesforce":
        page.locator("#id_base_url").fill(stack.salesforce_url)
        page.locator("#id_auth_method").select_option("sf_password")
        page.locator("#id_username").fill(salesforce_login.DEMO_USERNAME)
        page.locator("#id_client_id").fill(salesforce_login.DEMO_CLIENT_ID)
        page.locator("#id_secret_password").fill(salesforce_login.DEMO_PASSWORD)
        page.locator("#id_secret_security_token").fill(salesforce_login.DEMO_SECURITY_TOKEN)
        page.locator("#id_secret_client_secret").fill(salesforce_login.DEMO_CLIENT_SECRET)
    else:
        page.locator("#id_base_url").fill(stack.netsuite_url)
        page.locator("#id_auth_method").select_option("ns_token")
        page.locator("#id_account_id").fill(DEFAULT_ACCOUNT_ID)
        page.locator("#id_client_id").fill(DEMO_INTEGRATION.consumer_key)
        page.locator("#id_secret_consumer_secret").fill(DEMO_INTEGRATION.consumer_secret)
        page.locator("#id_secret_token_id").fill(DEMO_INTEGRATION.token_id)
        page.locator("#id_secret_token_secret").fill(DEMO_INTEGRATION.token_secret)
    page.get_by_role("button", name="Create connection").click()
    expect(page).to_have_url(re.compile(r"/sync/connections/\d+/$"))


def _test_connection(page: Page, name: str) -> None:
    page.goto("/sync/connections/")
    page.get_by_role("link", name=name).first.click()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#connection-test")).to_contain_text("Signed in")


def _lists_read(page: Page) -> None:
    """The admin reads NetSuite's subsidiaries and lists with their names (access is granted by them)."""
    page.goto("/exceptions/subsidiaries/")
    with page.expect_navigation():
        page.get_by_role("button", name="Read from NetSuite now").first.click()
    expect(page.locator("section.card tbody tr").first).to_be_visible()


def _invite(admin: Page, browser: Browser, stack: FirstRunStack) -> Page:
    """The admin invites RevOps; the invitee follows the mailed link, chooses a password, is signed in."""
    admin.goto("/governance/users/invite/")
    admin.get_by_label("E-mail").fill(REVOPS_EMAIL)
    admin.get_by_label("RevOps").check()
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.locator("body")).to_contain_text(REVOPS_EMAIL)
    link = stack.invitation_link(REVOPS_EMAIL)
    assert link.startswith(stack.url)
    revops = _context(browser, stack).new_page()
    revops.goto(link.removeprefix(stack.url))
    revops.locator("#id_new_password1").fill(REVOPS_PASSWORD)
    revops.locator("#id_new_password2").fill(REVOPS_PASSWORD)
    revops.get_by_role("button", name="Set password and sign in").click()
    expect(revops.locator(".user-menu .user-name")).to_be_visible()
    expect(revops).not_to_have_url(re.compile(r"/accounts/mfa/"))  # RevOps needs no second factor
    return revops


def _hrefs(page: Page, selector: str) -> list[str]:
    return sorted(
        set(page.eval_on_selector_all(selector, "links => links.map(link => link.getAttribute('href'))"))
    )


def _press(page: Page, url: str, button: str, *, reason: str = "") -> None:
    page.goto(url)
    if reason:
        page.locator("input[name=reason]").first.fill(reason)
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).first.click()
    expect(page.locator(".message-error, .error")).to_have_count(0)


def _review(maker: Page, checker: Page, urls: list[str]) -> None:
    """Four eyes: the maker submits each version, the checker approves and publishes it."""
    assert urls
    for url in urls:
        _press(maker, url, "Submit for approval", reason="the shipped default")
    for url in urls:
        _press(checker, url, "Approve", reason="reviewed for go-live")
        _press(checker, url, "Publish", reason="go-live")


def _rules(revops: Page, admin: Page) -> None:
    revops.goto("/sync/rules/")
    with revops.expect_navigation():
        revops.get_by_role("button", name="Add the shipped rules as drafts").click()
    urls = _hrefs(revops, "a[href^='/sync/rules/']:not([href$='/new/'])")
    assert len(urls) == 7, urls
    for url in urls:
        _press(revops, url, "Submit for approval", reason="the shipped rule")
    for url in urls:
        _press(admin, url, "Approve", reason="reviewed for go-live")
        _press(admin, url, "Publish", reason="go-live")


def _choose(page: Page, select: str, name: str) -> None:
    """Pick the connection ``name`` in a select (its options read "name (System environment)")."""
    value = page.locator(f"{select} option", has_text=name).first.get_attribute("value")
    assert value, f"no option {name!r} in {select}"
    page.locator(select).select_option(value)


def _listener(page: Page) -> str:
    page.goto("/sync/listeners/")
    page.locator("#id_name").fill("closed-won")
    _choose(page, "#id_salesforce_connection", "salesforce-main")
    _choose(page, "#id_netsuite_connection", "netsuite-main")
    page.locator("#id_allowed_org_id").fill(DEFAULT_ORG_ID)
    page.get_by_role("button", name="Create").click()
    url = page.locator("code.secret").inner_text().strip()
    assert "/sync/inbound/outbound-message/" in url
    # The answer carries the test form filled in with that URL: the test proves the path end to end.
    page.get_by_role("button", name="Send a test notification").click()
    expect(page.locator("#listener-test")).to_contain_text("acknowledged")
    return url


def _salesforce_admin_points_the_org_at(stack: FirstRunStack, listener_url: str) -> None:
    """Outside Concord: the org's Closed Won outbound message is set up with the listener's URL."""
    control = requests.Session()
    control.trust_env = False
    control.verify = str(stack.plan.ca_file)
    answer = control.post(
        f"{stack.salesforce_url}/_control/salesforce/outbound-rules",
        json={
            "name": "Closed Won to Concord",
            "object": "Opportunity",
            "field": "StageName",
            "operator": "equals",
            "value": "Closed Won",
            "endpoint_url": listener_url,
            "fields": ["Id", "Name", "StageName", "Amount"],
        },
        timeout=10,
    )
    answer.raise_for_status()


def test_a_new_admin_reaches_a_synced_deal_through_the_browser(
    browser: Browser, first_run: FirstRunStack
) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    stack = first_run
    admin_context = _context(browser, stack)
    admin = admin_context.new_page()
    try:
        key = _first_admin(admin, stack)
        _checklist(admin, "")

        _connection(admin, stack, system="salesforce")
        _checklist(admin, "")  # one system is not enough
        _connection(admin, stack, system="netsuite")
        _checklist(admin, "connections")
        _test_connection(admin, "salesforce-main")
        _test_connection(admin, "netsuite-main")
        _checklist(admin, "test")  # the metadata step also wants NetSuite's lists read
        _lists_read(admin)
        _checklist(admin, "metadata")

        revops = _invite(admin, browser, stack)
        revops.goto("/sync/mappings/")
        with revops.expect_navigation():
            revops.get_by_role(
                "button", name="Install the shipped mappings and lookup tables as drafts"
            ).click()
        revops.goto("/sync/mappings/lookups/")
        _review(revops, admin, _hrefs(revops, "a[href^='/sync/mappings/lookup-versions/']"))
        _checklist(admin, "lookups")
        revops.goto("/sync/mappings/")
        _review(revops, admin, _hrefs(revops, "a[href^='/sync/mappings/versions/']"))
        _checklist(admin, "lookups")  # the rules are still missing
        _rules(revops, admin)
        _checklist(admin, "mappings")

        listener_url = _listener(admin)
        _checklist(admin, "listener")

        admin.goto("/sync/golive/")
        _choose(admin, "#id_salesforce", "salesforce-main")
        _choose(admin, "#id_netsuite", "netsuite-main")
        admin.get_by_role("button", name="Scan (writes nothing)").click()
        expect(admin).to_have_url(re.compile(r"/sync/golive/\d+/$"))
        _wait_for_step(admin, "golive", timeout=120)
        _checklist(admin, "golive")

        _salesforce_admin_points_the_org_at(stack, listener_url)
        salesforce = stack.salesforce()
        deals = salesforce.query(
            "SELECT Id FROM Opportunity WHERE IsClosed = false AND SBQQ__PrimaryQuote__c != null "
            "ORDER BY Id LIMIT 3"
        )
        assert deals
        for deal in deals:  # a published rule may hold one back; one synced deal proves the path
            salesforce.update("Opportunity", deal["Id"], {"StageName": "Closed Won"})
        _wait_for_step(admin, "first-deal", timeout=180)
        _checklist(admin, "first-deal")
        expect(admin.locator("#setup-summary")).to_contain_text("Every step is done")
        _sign_in_again(admin, key)

        evidence = admin.locator("#step-first-deal .evidence").inner_text()
        found = re.search(r"Opportunity (\w+) synced in job #(\d+)", evidence)
        assert found, evidence
        admin.goto(f"/sync/jobs/{found.group(2)}/")
        record = admin.locator(".card", has_text=found.group(1)).first
        expect(record.locator(".badge").first).to_have_text("Synced")
        expect(record.locator(".badge[title='Deal kind']")).to_have_text("New")
        ids = record.locator("table").first
        expect(ids).to_contain_text("NetSuite id")
        expect(ids.locator("tr", has_text="sales_order")).to_have_count(1)
        expect(ids.locator("tr", has_text="customer")).to_have_count(1)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        admin.screenshot(path=str(ARTIFACTS / "first-run-job.png"), full_page=True)
        admin.goto("/setup/")
        admin.screenshot(path=str(ARTIFACTS / "first-run.png"), full_page=True)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        admin.screenshot(path=str(ARTIFACTS / "first-run-failed.png"), full_page=True)
        raise
    finally:
        for context in browser.contexts:
            context.close()
