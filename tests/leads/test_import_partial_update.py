"""An update sets what it gives and keeps the rest: a file or a bulk item with fewer columns than the
lead has, or with an invalid value, never erases what is stored (the same on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction

from leads.models import Lead
from leads.parsing import parse_lead_row
from leads.services import UPSERT_LOCK, leads_upsert
from tests.leads.test_import_leads import last_line, run_import, write_csv

FULL = ["external_id", "company", "industry", "employees", "deal_value", "created_at", "Region", "Tier"]


def stored(external_id: str = "A1") -> tuple[Any, ...]:
    lead = Lead.objects.get(external_id=external_id)
    created = lead.created_at.date().isoformat() if lead.created_at else None
    return (lead.company, lead.industry, lead.employees, lead.deal_value, created, lead.attributes)


@pytest.fixture
def acme(defaults: None, tmp_path: Path) -> Path:
    run_import(
        write_csv(tmp_path, [["A1", "Acme", "retail", "120", "9000", "2026-03-14", "EMEA", "gold"]], header=FULL)
    )
    return tmp_path


@pytest.mark.django_db(transaction=True)
def test_a_file_with_fewer_columns_updates_those_and_keeps_the_others(acme: Path) -> None:
    out, _ = run_import(write_csv(acme, [["A1", "55000", "platinum"]], header=["external_id", "deal_value", "Tier"]))

    assert stored() == ("Acme", "retail", 120, 55000.0, "2026-03-14", {"Region": "EMEA", "Tier": "platinum"})
    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0"


@pytest.mark.django_db(transaction=True)
def test_an_empty_value_in_a_column_the_file_has_clears_it(acme: Path) -> None:
    run_import(write_csv(acme, [["A1", "", "", ""]], header=["external_id", "industry", "deal_value", "Region"]))

    assert stored() == ("Acme", "", 120, None, "2026-03-14", {"Tier": "gold"})


@pytest.mark.django_db(transaction=True)
def test_an_invalid_value_keeps_the_stored_one_and_says_so(acme: Path) -> None:
    out, err = run_import(
        write_csv(
            acme, [["A1", "-5", "next week", "Acme Two"]], header=["external_id", "deal_value", "created_at", "company"]
        )
    )

    assert stored() == ("Acme Two", "retail", 120, 9000.0, "2026-03-14", {"Region": "EMEA", "Tier": "gold"})
    assert "row 2: deal_value:" in err and "row 2: created_at:" in err
    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=2"


@pytest.mark.django_db(transaction=True)
def test_each_row_removes_only_the_attributes_it_names_empty(acme: Path) -> None:
    """The load table sends the dropped names the chunk's first row has once, not per row: a row that
    drops other names, or none, drops only its own."""
    run_import(
        write_csv(acme, [["B2", "EMEA", "gold"], ["C3", "APAC", "silver"]], header=["external_id", "Region", "Tier"])
    )

    run_import(
        write_csv(
            acme,
            [["A1", "", "gold"], ["B2", "EMEA", ""], ["C3", "APAC", "bronze"]],
            header=["external_id", "Region", "Tier"],
        )
    )

    assert stored()[5] == {"Tier": "gold"}
    assert stored("B2")[5] == {"Region": "EMEA"}
    assert stored("C3")[5] == {"Region": "APAC", "Tier": "bronze"}


@pytest.mark.django_db(transaction=True)
def test_a_new_lead_in_the_same_file_comes_in_with_what_it_has(acme: Path) -> None:
    run_import(write_csv(acme, [["A1", "1"], ["B2", "2"]], header=["external_id", "deal_value"]))

    assert stored("B2") == ("", "", None, 2.0, None, {})
    assert stored()[0] == "Acme"


@pytest.mark.django_db(transaction=True)
def test_a_bulk_item_with_one_key_keeps_the_rest_and_null_clears(acme: Path, admin: Any, api_for: Any) -> None:
    api = api_for(admin)

    first = api.post("/api/leads/bulk", {"items": [{"external_id": "A1", "deal_value": 55000}]})
    api.post("/api/leads/bulk", {"items": [{"external_id": "A1", "industry": None, "Tier": None, "Size": "L"}]})

    assert first.status_code == 200
    assert stored() == ("Acme", "", 120, 55000.0, "2026-03-14", {"Region": "EMEA", "Size": "L"})


@pytest.mark.django_db(transaction=True)
def test_a_column_read_as_the_outcome_or_a_known_field_is_no_attribute_any_more(defaults: None, tmp_path: Path) -> None:
    run_import(
        write_csv(tmp_path, [["A1", "won", "900", "12"]], header=["external_id", "Stage", "deal_value", "Amount"])
    )
    assert stored()[5] == {"Stage": "won", "Amount": "12"}  # no outcome column named, and deal_value given

    run_import(write_csv(tmp_path, [["A1", "won", "15"]], header=["external_id", "Stage", "Amount"]), *OUTCOME)

    assert stored()[3:] == (15.0, None, {})  # the outcome is a label, Amount is the deal value: neither a feature


OUTCOME = ("--outcome-column", "Stage", "--positive", "won")


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_upsert_waits_for_another_to_finish(defaults: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the upsert lock is PostgreSQL's (SQLite lets one writer at a time anyway)")
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:  # another import's chunk, mid-transaction
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [UPSERT_LOCK])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")  # this test's session only

        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            leads_upsert(rows=[parse_lead_row({"external_id": "W1"})])
    finally:
        with holder.cursor() as cursor:
            cursor.execute("ROLLBACK")
        holder.close()

    with transaction.atomic():
        assert set(leads_upsert(rows=[parse_lead_row({"external_id": "W1"})])) == {"W1"}
