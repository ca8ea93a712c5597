"""A table locked elsewhere (a long import, a manual LOCK TABLE) makes a request wait at most the lock
timeout, then answer 503 — never a request that hangs as long as the lock is held."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections

pytestmark = [pytest.mark.integration]


def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("lock timeouts are PostgreSQL's (SQLite queues writers behind its busy timeout)")


@pytest.mark.django_db(transaction=True)
def test_every_connection_has_the_lock_timeout_of_the_settings(defaults: None) -> None:
    postgresql_only()
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        shown = cursor.fetchone()[0]

    assert shown == f"{settings.DATABASE_LOCK_TIMEOUT_MS // 1000}s"


@pytest.mark.django_db(transaction=True)
def test_a_request_behind_a_locked_table_answers_503_and_the_next_one_200(
    defaults: None, make_leads: Any, rep: Any, api_for: Any
) -> None:
    postgresql_only()
    ids = make_leads(1)
    client = api_for(rep)
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE leads_lead IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")  # this test's session only: 10 s by default

        blocked = client.get(f"/api/leads/{ids[0]}")

        assert blocked.status_code == 503
        assert "busy" in blocked.json()["detail"]
        assert blocked["Retry-After"]
    finally:
        with holder.cursor() as cursor:
            cursor.execute("ROLLBACK")
        holder.close()

    assert client.get(f"/api/leads/{ids[0]}").status_code == 200
