"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright is never asked to download a browser: the tests use ``/usr/bin/chromium``. Without it
they skip with a message, except under CI, where a missing browser fails them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.roles import Role
from tests.conftest import IN_CI, make_user

CHROMIUM = Path(os.environ.get("LEADLOOP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
PASSWORD = "password-123"
CSP_REFUSAL = "Content Security Policy"  # Chromium's console words for a refused resource


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"{message}; CI must run them")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module.

    Playwright's sync API keeps an event loop marked as running in this thread, and Django refuses
    ORM calls from such a thread; the test's own ORM calls are synchronous and safe, so they are
    allowed for as long as the browser is up (and no longer, so other modules are unaffected).
    """
    _require_chromium()
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server: Any, transactional_db: None, defaults: None) -> str:
    """The live server's base URL, on a database the server thread shares with the test."""
    return str(live_server.url)


@pytest.fixture
def login(browser: Any, site: str) -> Any:
    """``login(username, role)`` → a page of a fresh browser context, signed in through the login form.
    A test whose pages broke the Content-Security-Policy (the browser refused a script, a style or
    a connection) fails at its end."""
    contexts: list[Any] = []
    violations: list[str] = []

    def make(
        username: str, role: Role = Role.REP, *, javascript: bool = True, width: int = 1280, bypass_csp: bool = False
    ) -> Any:
        """``bypass_csp`` lets a test inject its own tools (axe-core) into pages that forbid inline scripts."""
        make_user(username, role, PASSWORD)
        context = browser.new_context(
            java_script_enabled=javascript, viewport={"width": width, "height": 900}, bypass_csp=bypass_csp
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: violations.append(message.text) if CSP_REFUSAL in message.text else None)
        page.goto(f"{site}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_load_state()
        return page

    yield make
    for context in contexts:
        context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"
