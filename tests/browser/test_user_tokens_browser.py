"""An admin makes an API token on a user's page in a real browser, copies the key shown once, and
revokes the token from the same page; the key works, then is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from config.roles import Role
from tests.conftest import ApiClient, make_user

pytestmark = [pytest.mark.browser]


def test_an_admin_makes_a_token_then_revokes_it_from_the_users_page(login: Any, site: str) -> None:
    riley = make_user("riley", Role.REP)
    page = login("alex", Role.ADMIN)
    page.goto(f"{site}/settings/users/")
    page.click("a:has-text('riley') >> nth=0")
    page.click("a:has-text('API tokens')")
    assert page.locator("#tokens").inner_text().count("No live API token") == 1

    page.fill("#tokens input[name=name]", "zapier")
    page.click("#tokens button:has-text('Make a token')")

    key = page.locator("code.token-key").inner_text()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    assert "Copy the key now" in page.locator("#new-token").inner_text()
    assert ApiClient(key).get("/api/queue?limit=1").status_code == 200
    row = page.locator("#tokens tbody tr")
    assert row.count() == 1 and "zapier" in row.inner_text() and f"{key[:8]}…" in row.inner_text()

    page.click("#tokens button:has-text('Revoke')")
    page.wait_for_url(f"{site}/settings/users/{riley.pk}/#tokens")

    assert "Revoked riley's token 'zapier'" in page.inner_text("body")
    assert key not in page.content()
    assert page.locator("#tokens tbody tr").count() == 0
    assert ApiClient(key).get("/api/queue?limit=1").status_code == 401
