"""Everything served by the app: the API explorer from its own static files (offline), and
refused or missing pages styled, with the site's menu."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser]


def test_the_api_explorer_renders_offline_from_the_apps_own_files(login: Any, site: str) -> None:
    page = login("riley")
    host = urlparse(site).netloc
    elsewhere: list[str] = []

    def only_this_site(route: Any) -> None:
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:  # offline: anything from another host (a CDN) fails
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_site)
    page.goto(f"{site}/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)

    assert "Leadloop API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".swagger-ui .opblock").count() > 3  # the endpoints are listed
    assert elsewhere == []


def test_a_rep_refused_settings_gets_a_page_with_the_menu_and_a_plain_sentence(login: Any, site: str) -> None:
    page = login("riley")
    response = page.goto(f"{site}/settings/")

    assert response.status == 403
    menu = page.inner_text("header nav[aria-label=Main]")
    assert "My queue" in menu and "Leads" in menu and "Settings" not in menu
    text = page.inner_text("main")
    assert "You are signed in as a rep. This page is for admins." in text
    assert page.locator("link[rel=stylesheet]").count() >= 1


def test_a_missing_page_is_styled_with_the_menu(login: Any, site: str) -> None:
    page = login("riley")
    response = page.goto(f"{site}/leads/NO-SUCH-LEAD/")

    assert response.status == 404
    assert "My queue" in page.inner_text("header nav[aria-label=Main]")
    assert "There is nothing at this address" in page.inner_text("main")


def test_a_page_asks_for_nothing_the_app_does_not_serve(login: Any, site: str) -> None:
    page = login("riley")
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)

    page.goto(f"{site}/leads/")
    page.wait_for_load_state("networkidle")

    assert missing == []  # the favicon included: the page links its own, so the browser asks for no /favicon.ico
    icon = page.get_attribute("link[rel=icon]", "href")
    assert icon and page.request.get(f"{site}{icon}").status == 200
