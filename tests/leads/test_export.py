"""CSV export of leads with scores: streamed, role-checked, safe against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from leads.export import csv_safe
from leads.services import import_leads

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored_leads(make_leads: Any) -> list[str]:
    from learning.rescoring import rescore_open_leads

    ids = make_leads(6)
    rescore_open_leads()
    return ids


def read_csv(response: Any) -> list[dict[str, str]]:
    assert response.streaming, "the export is streamed"
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Acme", "Acme"),
        (-12.5, -12.5),
        (None, ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_quoted(value: Any, expected: Any) -> None:
    assert csv_safe(value) == expected


def test_managers_export_leads_with_scores_and_formulas_defused(
    scored_leads: list[str], manager: Any, page_for: Any
) -> None:
    import_leads(rows=[(2, {"external_id": "EVIL", "company": "=cmd|' /C calc'!A0", "industry": "@risk"})])

    rows = read_csv(page_for(manager).get("/leads/export.csv?status=all"))

    by_id = {row["external_id"]: row for row in rows}
    assert set(scored_leads) | {"EVIL"} == set(by_id)
    assert by_id["EVIL"]["company"] == "'=cmd|' /C calc'!A0"
    assert by_id["EVIL"]["industry"] == "'@risk"
    assert float(by_id[scored_leads[0]]["score"]) >= 0


def test_the_api_export_filters_like_the_list(scored_leads: list[str], admin: Any, api_for: Any) -> None:
    from leads.models import Lead

    Lead.objects.filter(external_id=scored_leads[0]).update(status="converted")

    response = api_for(admin).get("/api/leads.csv", status="open")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert {row["external_id"] for row in read_csv(response)} == set(scored_leads[1:])


def test_reps_cannot_export(rep: Any, page_for: Any, api_for: Any) -> None:
    assert page_for(rep).get("/leads/export.csv").status_code == 403
    assert api_for(rep).get("/api/leads.csv").status_code == 403
