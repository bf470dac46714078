"""Accessibility in Chromium: axe-core on every console page each persona may open, the skip link, and a
real control operated from the keyboard alone.

The pages are the ones tests/console/test_url_access.py declares (``ACCESS``), filled from its ``world``
(one of each object a path names: a draft mapping, an exception with an override waiting, a job, a
release...) and served by a live server in this process. axe-core and the label check are in axe.py (the
first-run journey runs them too, on the MFA pages). A violation of impact serious or critical fails the
test with its page, rule and element.

Each page is checked as it loads and again with what a click shows: every ``<details>`` opened, and on the
mapping editor a row's edit form (an htmx fragment) with a transform step added, beside the open "add a
field row" forms. Every control must be named explicitly: a ``<label for>`` naming its id (beside it or,
as Django renders radio lists, around it), ``aria-label`` or ``aria-labelledby``. A label that only wraps
its control is refused (valid HTML, but the templates' rule is ``for=``: the name stays with the control
when htmx swaps or CSS moves it, and one check finds a missing name). Ids are unique within the page (a
form drawn per row carries the row in its ids), and each label's ``for`` names an element.
"""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from guardian.shortcuts import assign_perm
from playwright.sync_api import Browser, BrowserContext, Page, expect

from governance.services import user_create, user_roles_set
from sync.exceptions.models import ExceptionItem, ExceptionStatus
from sync.exceptions.permissions import subsidiary_scope_grant
from sync.integrations.access import ACCESS_INTEGRATION
from sync.integrations.models import Integration
from tests.browser.axe import AXE, UNLABELLED, axe_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.console.test_url_access import ACCESS, _url, url_names
from tests.console.test_url_access import world as world  # noqa: PLC0414 - the same seeded world
from tests.sync.exceptions.support import raise_sample
from tests.sync.pipeline.conftest import THREADED_DB

# No xdist group (as the other live-server browser tests): the group is scheduled with the journeys, early,
# and a transactional test with every app available ends with a flush that leaves no content types for the
# non-transactional tests its worker runs next (pytest-django runs those first only within its own order).
pytestmark = [
    pytest.mark.browser,
    THREADED_DB,
    pytest.mark.usefixtures("async_unsafe"),
    # What the browser is shown does not depend on the database: CI checks it once, in its SQLite stage
    # (BROWSER_ON_POSTGRESQL=1 runs it on PostgreSQL too; the pages' queries at volume are bench/volume.py's).
    pytest.mark.skipif(
        connection.vendor == "postgresql" and not os.environ.get("BROWSER_ON_POSTGRESQL"),
        reason="checked on SQLite (BROWSER_ON_POSTGRESQL=1 runs it here too)",
    ),
]

# Who is signed in, and as which role of the access table: a RevOps person limited to one integration
# sees the pages RevOps sees, of that integration only.
PERSONAS = {"admin": "admin", "revops": "revops", "finance": "finance", "auditor": "auditor"}
LIMITED = "limited"
PERSONAS[LIMITED] = "revops"
# Pages that are not console pages: probes, metrics, the favicon redirect, the sign-in page (a signed-in
# person is sent on to the dashboard; it is checked on its own below).
NOT_PAGES = {"healthz", "metrics", "favicon", "login"}
# Open what a click shows: every closed <details> (no htmx behind one: nothing to wait for).
OPEN_DETAILS = """() => {
  const closed = Array.from(document.querySelectorAll("details:not([open]) > summary"));
  closed.forEach(summary => summary.click());
  return closed.length;
}"""
# htmx marks the element of a request in flight, and the content it is swapping and settling.
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def _context(browser: Browser, base_url: str) -> BrowserContext:
    """A context that lets the test inject axe-core past the pages' CSP (script-src 'self')."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _signed_in(browser: Browser, base_url: str, user: User) -> BrowserContext:
    """A browser context holding the session of ``user`` (the login page itself is checked apart)."""
    client = Client()
    client.force_login(user)
    context = _context(browser, base_url)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])
    return context


def _limited_person(admin: User) -> User:
    """A RevOps person granted only the world's integration (a second one exists, unseen)."""
    person = user_create(username=LIMITED, email="limited@example.com", first_name="Lim", last_name="Ited")
    user_roles_set(user=person, roles=["RevOps"])
    Integration.objects.create(name="beta", label="Beta", namespace="BETA")
    assign_perm(ACCESS_INTEGRATION, person, Integration.objects.get(name="acl"))
    return person


def _pages(role: str) -> list[tuple[str, str]]:
    """(URL name, URL) of every page ``role`` may GET, in a stable order."""
    pages = []
    for name, pattern in sorted(url_names(), key=lambda item: item[0]):
        rule = ACCESS.get(name)
        if rule is None or rule.get is None or rule.machine or rule.probe or name in NOT_PAGES:
            continue
        if role in rule.get:
            pages.append((name, _url(name, pattern)))
    return pages


def _htmx_settled(page: Page) -> None:
    page.wait_for_function(f"() => !document.querySelector({HTMX_BUSY!r})")


def _open_row_editor(page: Page) -> bool:
    """On the mapping editor: open the first row's edit form (htmx) and add a step with parameters to its
    transform chain (htmx again), so that the form's every kind of control is on the page. False where the
    person may not edit (no Edit button)."""
    edit = page.locator("tr.field-row").get_by_role("button", name="Edit")
    if edit.count() == 0:
        return False
    edit.first.click()
    form = page.locator("tr.field-row.editing form")
    expect(form).to_be_visible()
    _htmx_settled(page)
    form.get_by_label("Add a step").select_option("truncate")
    form.get_by_role("button", name="Add step").click()
    expect(form.locator(".chain-params .field")).not_to_have_count(0)
    _htmx_settled(page)
    return True


def _revealed_violations(page: Page, name: str, where: str) -> tuple[list[str], int]:
    """The problems of what a click shows on the page (and how many states were checked: 0 or 1)."""
    opened = page.evaluate(OPEN_DETAILS)
    if name == "sync:mapping-version":
        opened += _open_row_editor(page)
    if not opened:
        return [], 0
    return axe_violations(page, f"{where} (opened)"), 1


def test_every_page_of_every_persona_passes_axe(
    browser: Browser, live_server: object, world: None, auditor: User, admin: User
) -> None:
    assert AXE.is_file(), "static/vendor/axe-core/axe.min.js is missing (see static/vendor/README.md)"
    started = time.monotonic()
    base_url = str(live_server)
    users = {username: User.objects.get(username=username) for username in PERSONAS if username != LIMITED}
    users[LIMITED] = _limited_person(admin)
    problems: list[str] = []
    checked = 0
    opened: dict[str, int] = {}  # persona -> pages checked again with their hidden forms open
    editor_opened: list[str] = []  # who had the mapping row editor open
    anonymous = _context(browser, base_url)
    login = anonymous.new_page()
    login.goto("/accounts/login/")
    problems += axe_violations(login, "anonymous /accounts/login/")
    anonymous.close()
    html: dict[str, bool] = {}  # URL name -> whether it answers a whole HTML page (not a CSV, a fragment)
    for username, role in PERSONAS.items():
        context = _signed_in(browser, base_url, users[username])
        page = context.new_page()
        for name, url in _pages(role):
            if name not in html:
                answer = context.request.get(url, max_redirects=0)
                html[name] = answer.ok and answer.headers.get("content-type", "").startswith("text/html")
                html[name] = html[name] and answer.text().lstrip().lower().startswith("<!doctype html")
            if not html[name]:
                continue
            response = page.goto(url)
            if username == LIMITED and response is not None and response.status == 404:
                continue  # outside the integration they were granted: refused as if it did not exist
            assert response is not None and response.ok, f"{username} {url}: {response and response.status}"
            problems += axe_violations(page, f"{username} {url}")
            checked += 1
            revealed, count = _revealed_violations(page, name, f"{username} {url}")
            problems += revealed
            opened[username] = opened.get(username, 0) + count
            if name == "sync:mapping-version" and page.locator("tr.field-row.editing").count():
                editor_opened.append(username)
        context.close()
    assert problems == [], "\n".join(problems)
    assert checked > 150, checked  # every persona saw its pages, not a few redirects
    assert all(opened.get(username) for username in PERSONAS), opened  # the hidden forms were looked at
    assert "revops" in editor_opened, editor_opened  # the mapping editor's row form was open (RevOps edits)
    seconds = time.monotonic() - started
    print(f"axe: {checked} pages and {sum(opened.values())} opened states in {seconds:.1f} s")


def test_the_label_check_names_what_it_refuses(browser: Browser) -> None:
    """The page-wide check itself: what it accepts and what it refuses, on a page made for it."""
    page = browser.new_page()
    page.set_content("""<main>
      <label for="a">A</label><input id="a">
      <input aria-label="B"><span id="c-name">C</span><select aria-labelledby="c-name"></select>
      <label for="d"><input type="radio" id="d"> D</label>
      <input type="hidden" name="e"><button type="submit">Go</button>
      <label>F <input name="f"></label>
      <input name="g" placeholder="G">
      <input name="h" title="H"><input name="i" aria-labelledby="nothing-here">
      <label for="j">J</label><input id="j"><span id="j"></span>
      <label for="gone">K</label>
    </main>""")
    problems = page.evaluate(UNLABELLED)
    page.close()
    assert problems == [
        'a control without a label (a wrapping label is not enough: use for=): <input name="f">',
        'a control without a label: <input name="g" placeholder="G">',
        'a control without a label: <input name="h" title="H">',
        'a control without a label: <input name="i" aria-labelledby="nothing-here">',
        'the id "j" is used 2 times',
        'a label for "gone", which is not there',
    ]


@pytest.mark.parametrize("path", ["/exceptions/", "/api/v1/docs/"])
def test_the_skip_link_is_first_and_moves_to_the_content(
    browser: Browser, live_server: object, revops: User, path: str
) -> None:
    context = _signed_in(browser, str(live_server), revops)
    page = context.new_page()
    page.goto(path)
    if path.startswith("/api/"):  # Swagger UI draws itself after the load: its links follow the skip link
        expect(page.locator("#swagger-ui .information-container")).to_be_visible()
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown while focused
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the content, past the top bar
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    context.close()


def _tab_to(page: Page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the element ``selector`` names has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} was not reached in {limit} presses of Tab")


def test_finance_resolves_an_exception_with_the_keyboard_alone(
    browser: Browser, live_server: object, finance: User
) -> None:
    subsidiary_scope_grant(holder=finance, subsidiary=None)
    item = raise_sample(key="sync:3:006KB", title="Opportunity KB deal: no subsidiary")
    page = _signed_in(browser, str(live_server), finance).new_page()
    page.goto("/exceptions/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link: past the top bar
    _tab_to(page, f"#select-{item.pk}")
    page.keyboard.press("Space")
    expect(page.get_by_label(f"Select exception #{item.pk}")).to_be_checked()
    _tab_to(page, "#exception-bulk select[name=action]")
    action = page.get_by_role("group", name="With the selected exceptions").get_by_label("Action")
    for _ in range(10):  # a closed select changes with the arrow keys
        if action.input_value() == "resolve":
            break
        page.keyboard.press("ArrowDown")
    expect(action).to_have_value("resolve")
    _tab_to(page, "#exception-bulk input[name=reason]")
    page.keyboard.type("Fixed in NetSuite by hand")
    page.keyboard.press("Enter")  # submits the form the field belongs to
    expect(page.locator(".messages")).to_contain_text("Mark resolved: 1 done.")
    assert ExceptionItem.objects.get(pk=item.pk).status == ExceptionStatus.RESOLVED
    page.context.close()
