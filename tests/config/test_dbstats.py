"""Planner statistics refreshed by the app (PostgreSQL's autovacuum may be off, as on CI)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from config.dbstats import analyze_if_stale
from leads.models import Activity, Lead

pytestmark = pytest.mark.django_db


def planner_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return float(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's")
def test_an_import_leaves_the_planner_knowing_how_many_leads_there_are(make_leads: Any) -> None:
    make_leads(60)

    assert planner_rows("leads_lead") == 60
    assert planner_rows("leads_activity") > 0
    assert analyze_if_stale([Lead, Activity]) == [], "nothing changed since"


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the PostgreSQL case is the test above")
def test_other_databases_have_no_statistics_to_refresh(make_leads: Any) -> None:
    make_leads(3)

    assert analyze_if_stale([Lead, Activity]) == []
