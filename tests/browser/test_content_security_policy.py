"""Every page works in a real browser under the Content-Security-Policy: nothing it needs is refused
(the ``login`` fixture fails a test on any violation in the console), the API explorer included."""

from __future__ import annotations

from typing import Any

import pytest

from config.roles import Role
from leads.services import import_leads
from learning.rescoring import rescore_open_leads

pytestmark = pytest.mark.browser

PAGES = {
    Role.REP: ["/queue/", "/leads/", "/leads/..%2F..%2Fsettings%2Fwebhook/"],
    Role.MANAGER: ["/dashboards/", "/dashboards/reasons/?reason=champion"],
    Role.ADMIN: ["/settings/", "/settings/webhook/", "/leads/import/", "/leads/?sort=score"],
}


def test_every_page_loads_without_a_policy_violation(login: Any, site: str, make_leads: Any) -> None:
    make_leads(30, labeled=0.5)
    import_leads(rows=[(2, {"external_id": "../../settings/webhook", "company": "Hostile Id GmbH"})])
    rescore_open_leads()
    for role, urls in PAGES.items():
        page = login(f"csp-{role.value}", role)
        for url in urls:
            response = page.goto(f"{site}{url}")
            assert response is not None and response.status == 200, url
            page.wait_for_load_state("networkidle")


def test_a_hostile_lead_id_link_opens_that_lead(login: Any, site: str, make_leads: Any) -> None:
    make_leads(3)
    import_leads(rows=[(2, {"external_id": "../../settings/webhook", "company": "Hostile Id GmbH"})])
    page = login("csp-links", Role.ADMIN)
    page.goto(f"{site}/leads/")

    page.click("a:text('../../settings/webhook')")
    page.wait_for_load_state()

    assert page.locator("h1").inner_text() == "Hostile Id GmbH"


def test_the_api_explorer_renders_under_the_policy(login: Any, site: str) -> None:
    page = login("csp-api", Role.ADMIN)
    page.goto(f"{site}/api/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=20_000)

    assert "Leadloop API" in page.locator(".swagger-ui .info").inner_text()
