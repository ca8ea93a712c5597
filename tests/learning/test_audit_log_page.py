"""/settings/audit/: the whole audit log, page by page, newest first — the changes, or the imports —
for admins only; any page number a link or a hand can write gives a page, never an error."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.audit import AUDIT_PAGE_SIZE
from config.models import AuditLog

pytestmark = pytest.mark.django_db


def log(*, changes: int = 0, imports: int = 0, by: Any = None) -> None:
    """``changes`` settings saves, then ``imports`` bulk API imports, each numbered in its changes."""
    AuditLog.objects.bulk_create(
        [AuditLog(user=by, action="settings.update", target="loop settings", changes={"n": i}) for i in range(changes)]
        + [
            AuditLog(user=by, action="import.activities", target="activities from API", changes={"n": i})
            for i in range(imports)
        ]
    )


def shown(client: Client, query: str = "") -> tuple[Any, list[AuditLog]]:
    response = client.get(f"/settings/audit/{query}")
    assert response.status_code == 200
    return response, list(response.context["page"].object_list)


def test_an_admin_reads_every_change_page_by_page_newest_first(admin: Any, page_for: Any) -> None:
    log(changes=2 * AUDIT_PAGE_SIZE + 20, imports=30, by=admin)
    client = page_for(admin)

    pages = [shown(client, f"?page={number}")[1] for number in (1, 2, 3)]

    assert [len(entries) for entries in pages] == [AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE, 20]
    numbers = [entry.changes["n"] for entries in pages for entry in entries]
    assert numbers == list(range(2 * AUDIT_PAGE_SIZE + 19, -1, -1))  # every change once, the latest first
    assert {entry.action for entries in pages for entry in entries} == {"settings.update"}


def test_the_imports_have_pages_of_their_own(admin: Any, page_for: Any) -> None:
    log(changes=5, imports=AUDIT_PAGE_SIZE + 3, by=admin)

    response, entries = shown(page_for(admin), "?kind=imports&page=2")

    assert [entry.changes["n"] for entry in entries] == [2, 1, 0]
    assert {entry.action for entry in entries} == {"import.activities"}
    text = response.content.decode()
    assert f"{AUDIT_PAGE_SIZE + 1}–{AUDIT_PAGE_SIZE + 3} of {AUDIT_PAGE_SIZE + 3}" in text
    assert "Page 2 of 2" in text and 'href="?kind=imports&amp;page=1"' in text  # the pager keeps the list
    assert "<th>Counts</th>" in text and "n: 2" in text


def test_the_pager_links_to_the_newest_the_older_and_the_oldest_pages(admin: Any, page_for: Any) -> None:
    log(changes=3 * AUDIT_PAGE_SIZE, by=admin)

    text = page_for(admin).get("/settings/audit/?page=2").content.decode()

    assert 'href="?kind=changes">« Newest' in text
    assert 'href="?kind=changes&amp;page=1" rel="prev">← Newer' in text
    assert 'href="?kind=changes&amp;page=3" rel="next">Older →' in text
    assert 'href="?kind=changes&amp;page=3">Oldest »' in text


@pytest.mark.parametrize(
    ("page", "number"),
    [
        ("abc", 1),
        ("", 1),
        ("1.5", 1),
        ("0", 1),
        ("-3", 1),
        ("3", 3),
        ("4", 3),
        ("99999999999999999999", 3),
    ],
)
def test_a_page_number_that_is_not_a_page_gives_the_first_or_the_last(
    admin: Any, page_for: Any, page: str, number: int
) -> None:
    log(changes=2 * AUDIT_PAGE_SIZE + 1, by=admin)

    response, entries = shown(page_for(admin), f"?page={page}")

    assert response.context["page"].number == number and entries


def test_an_unknown_list_shows_the_changes(admin: Any, page_for: Any) -> None:
    log(changes=1, imports=1, by=admin)

    response, entries = shown(page_for(admin), "?kind=everything")

    assert response.context["kind"] == "changes" and [entry.action for entry in entries] == ["settings.update"]


def test_an_empty_log_says_so(admin: Any, page_for: Any) -> None:
    client = page_for(admin)

    assert "No changes recorded yet." in client.get("/settings/audit/?page=7").content.decode()
    assert "No imports recorded yet." in client.get("/settings/audit/?kind=imports").content.decode()


def test_a_page_costs_the_same_queries_however_many_users_wrote_it(admin: Any, page_for: Any) -> None:
    client = page_for(admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            shown(client)
        return len(captured)

    log(changes=5, by=admin)
    one_writer = queries()
    for i in range(10):
        log(changes=5, by=get_user_model().objects.create_user(username=f"writer{i}"))

    assert queries() == one_writer  # each entry's user comes with the page, not one query per entry


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_reps_and_managers_are_refused_the_log(role: str, request: pytest.FixtureRequest, page_for: Any) -> None:
    log(changes=1, imports=1)
    client = page_for(request.getfixturevalue(role))

    for query in ("", "?kind=imports", "?page=2"):
        response = client.get(f"/settings/audit/{query}")
        assert response.status_code == 403
        assert "settings.update" not in response.content.decode()


def test_a_visitor_is_sent_to_sign_in(defaults: None, client: Client) -> None:
    response = client.get("/settings/audit/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_log_is_read_only(admin: Any, page_for: Any) -> None:
    assert page_for(admin).post("/settings/audit/", {}).status_code == 405


def test_the_settings_page_links_to_every_page_of_both_lists(admin: Any, page_for: Any) -> None:
    text = page_for(admin).get("/settings/").content.decode()

    assert 'href="/settings/audit/?kind=changes"' in text
    assert 'href="/settings/audit/?kind=imports"' in text
