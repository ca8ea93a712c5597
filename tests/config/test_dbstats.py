"""Planner statistics refreshed by the app (PostgreSQL's autovacuum may be off, as on CI)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection

from config.dbstats import analyze_if_stale
from leads.models import Activity, Lead


def planner_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return float(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_an_import_leaves_the_planner_knowing_how_many_leads_there_are(transactional_db: None, make_leads: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")  # the planner now believes the table is empty
    assert planner_rows("leads_lead") == 0

    make_leads(60)  # analyses at its end what the statistics already show of it
    # A backend reports its counters at most once a second: the import's last ones may come late,
    # and the next check (the learning loop's) catches them.
    time.sleep(1.1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    analyze_if_stale([Lead])

    assert planner_rows("leads_lead") == 60
    assert analyze_if_stale([Lead]) == [], "nothing changed since"


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the PostgreSQL case is the test above")
@pytest.mark.django_db
def test_other_databases_have_no_statistics_to_refresh(make_leads: Any) -> None:
    make_leads(3)

    assert analyze_if_stale([Lead, Activity]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="dead rows are PostgreSQL's")
def test_the_learning_loops_check_vacuums_a_table_full_of_dead_rows(transactional_db: None, make_leads: Any) -> None:
    make_leads(40)
    for _ in range(5):  # every update leaves a dead row version behind
        Lead.rows.update(status="open")
    time.sleep(1.1)  # counters reach pg_stat_user_tables at most once a second
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    assert analyze_if_stale([Lead], vacuum=True) == ["leads_lead"]

    with connection.cursor() as cursor:
        cursor.execute("SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'leads_lead'")
        assert cursor.fetchone()[0]
