"""What every browser test shares: Debian's Chromium (never a downloaded browser) driven by
Playwright, a fresh page per person, and the staff login form.

A test module marks itself with `pytestmark = BROWSER_TEST` and takes the `browser` or `page`
fixture from this folder's conftest.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

# Playwright's sync API runs an event loop in the test's thread; the ORM calls stay synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "pw-for-tests-123"  # tests.factories.UserFactory's

BROWSER_TEST = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"Chromium is not installed at {CHROMIUM}"),
]


def open_page(browser, *, width: int = 1280, height: int = 900, timeout_ms: int = 20_000, **options):
    """A new page in its own browser context (its own cookies: one person), Indonesian first."""
    context = browser.new_context(locale="id-ID", viewport={"width": width, "height": height}, **options)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    return page


def login(page, base: str, username: str, next_path: str, *, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait until `next_path` has opened."""
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))
