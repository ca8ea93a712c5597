"""A new team's first visit: the lead list says what to do instead of "no leads match"."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_an_admin_on_an_empty_database_is_pointed_to_the_import_and_the_users(page_for: Any, admin: Any) -> None:
    page = page_for(admin).get("/leads/").content.decode()

    assert "No leads yet." in page and 'href="/leads/import/"' in page and 'href="/settings/users/"' in page
    assert "No open leads match" not in page


def test_a_manager_on_an_empty_database_is_told_who_imports(page_for: Any, manager: Any) -> None:
    page = page_for(manager).get("/leads/").content.decode()

    assert "No leads yet. An admin imports them" in page and 'href="/leads/import/"' not in page


def test_once_leads_exist_an_empty_filter_says_no_lead_matches(page_for: Any, admin: Any, make_leads: Any) -> None:
    make_leads(3)

    page = page_for(admin).get("/leads/?industry=nowhere").content.decode()

    assert "No leads yet." not in page and "match" in page
