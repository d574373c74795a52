"""Playwright driving a real Chromium against pytest-django's live server.

The browser is found in this order: $CHROMIUM_PATH, Debian's /usr/bin/chromium, then a browser
installed by `playwright install chromium`. With none, the browser tests are skipped with a note
on how to get one — except under CI (CI=true), where a skipped browser test is a failure.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from test code are
# still plain synchronous calls, so let them through.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.factories import TEST_PASSWORD  # noqa: E402

HOW_TO_GET_CHROMIUM = (
    "No Chromium found for the browser tests. Install Debian's package "
    "(sudo apt-get install chromium), or run `.venv/bin/playwright install chromium`, "
    "or set CHROMIUM_PATH to a Chromium or Chrome binary."
)

# Flags that keep Chromium quiet on a machine with no outside network and no sandbox support.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium(playwright) -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    bundled = playwright.chromium.executable_path
    return bundled if bundled and Path(bundled).exists() else None


def _keep_serialized_rollback_working(start_playwright):
    """Start Playwright without losing Django's saved copy of the migrated database.

    Playwright's sync API leaves an asyncio loop running in this thread, and from then on
    Django's `connections` hands out different connection objects (asgiref keys them by context
    when a loop runs). Those lack `_test_serialized_contents`, so serialized rollback would
    silently restore nothing (pytest-django issue #1117). Copy it across.
    """
    saved = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    started = start_playwright()
    for alias, contents in saved.items():
        connections[alias]._test_serialized_contents = contents
    return started


@pytest.fixture(scope="session")
def browser(django_db_setup, live_server):
    playwright = _keep_serialized_rollback_working(sync_playwright().start)
    try:
        executable = find_chromium(playwright)
        if executable is None:
            if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
                pytest.fail(HOW_TO_GET_CHROMIUM)
            pytest.skip(HOW_TO_GET_CHROMIUM)
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    def _sign_in(email: str, password: str = TEST_PASSWORD):
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return _sign_in
