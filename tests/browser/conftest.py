"""Fixtures of the browser tests: the demo stack (once per session), Debian's Chromium, signed-in pages.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (``apt-get install chromium
chromium-driver``; ``.ci/run`` installs it). Without it the tests skip, except in CI, where they fail.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser.stack import DemoStack, demo_stack_start, demo_stack_stop, demo_stack_wait

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "browser"
TIMEOUT_MS = 15_000

T = TypeVar("T")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (.ci/run installs it)")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def demo_stack(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    """The demo, started here and waited for by ``story``, so that it boots while Chromium launches."""
    stack = demo_stack_start(tmp_path_factory.mktemp("demo-stack"))
    try:
        yield stack
    finally:
        code = demo_stack_stop(stack)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # with xdist, each worker runs its own stack
        log_name = f"demo-{worker}.log" if worker else "demo.log"
        (ARTIFACTS / log_name).write_text(stack.log_file.read_text(errors="replace"))
    assert code == 0, f"manage.py demo stopped with exit code {code}:\n{stack.log_tail()}"


# Module scope on purpose: while Playwright's sync API is started, its event loop counts as running in
# this thread, and Django refuses database calls from other tests; the browser closes with this module.
@pytest.fixture(scope="module")
def async_unsafe() -> Iterator[None]:
    """For the tests that drive a live server in the test process: Playwright's sync API runs an event
    loop in this thread, and the test's own database calls (fixtures, assertions) are still plain
    synchronous code, which Django refuses beside a running loop unless told otherwise."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Story:
    """The journeys share one demo stack: each remembers its outcome there, and a journey that needs an
    earlier one's outcome (Finance approves what RevOps submitted) runs it first when it has not run."""

    def __init__(self, stack: DemoStack, browser: Browser) -> None:
        self.stack = stack
        self.browser = browser
        self.contexts: list[BrowserContext] = []

    def outcome(self, journey: Callable[[Story], T]) -> T:
        if journey.__name__ not in self.stack.outcomes:
            try:
                self.stack.outcomes[journey.__name__] = journey(self)
            except Exception:
                self._failure_screenshot(journey.__name__)
                raise
        result: T = self.stack.outcomes[journey.__name__]
        return result

    def _failure_screenshot(self, journey: str) -> None:
        """The page a failed journey was on, as ``<journey>-failed.png``, for the CI artifacts."""
        pages = [page for context in self.contexts for page in context.pages]
        if pages:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            pages[-1].screenshot(path=str(ARTIFACTS / f"{journey}-failed.png"), full_page=True)

    def sign_in(self, username: str) -> Page:
        """A fresh browser session signed in through the real login page with the demo password."""
        context = self.browser.new_context(base_url=self.stack.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(self.stack.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".user-menu .user-name")).to_be_visible()
        return page

    def screenshot(self, page: Page, journey: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{journey}.png"
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def story(demo_stack: DemoStack, browser: Browser) -> Iterator[Story]:
    demo_stack_wait(demo_stack)
    expect.set_options(timeout=TIMEOUT_MS)
    told = Story(demo_stack, browser)
    try:
        yield told
    finally:
        told.close()


def reload_until(page: Page, check: Callable[[], Any], *, timeout: float = 30.0) -> None:
    """Reload until ``check`` passes: for what a background worker changes, which no page pushes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        page.reload()
