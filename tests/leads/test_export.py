"""CSV export of leads with scores: streamed, role-checked, safe against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from feedback.services import label_submit
from leads.export import csv_safe
from leads.forms import LeadFilterForm
from leads.models import Lead
from leads.services import import_leads
from tests.scores import spread_scores

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


@pytest.fixture
def varied_leads(make_leads: Any, rep: Any) -> list[str]:
    """Six leads with different scores, expected values and uncertainties; two labeled with reasons."""
    ids = spread_scores(make_leads(6))
    for i, (outcome, reason) in {1: ("converted", "champion"), 2: ("not_converted", "no_budget")}.items():
        label_submit(user=rep, lead=Lead.objects.get(external_id=ids[i]), outcome=outcome, reason_code=reason)
    return ids


# One query per filter of the list's form (and the default: open leads), each narrowing the six leads.
LIST_QUERIES = [
    pytest.param({}, id="defaults"),
    pytest.param({"status": "converted"}, id="status"),
    pytest.param({"status": "all", "industry": "retail"}, id="industry"),
    pytest.param({"status": "all", "source": "referral"}, id="source"),
    pytest.param({"status": "all", "q": "Company 3"}, id="q"),
    pytest.param({"status": "all", "q": "acme", "industry": "retail"}, id="q matching nothing"),
    pytest.param({"status": "all", "score_min": "40", "score_max": "80"}, id="score range"),
    pytest.param({"status": "all", "ev_min": "3500"}, id="ev_min"),
    pytest.param({"status": "all", "uncertainty_min": "30"}, id="uncertainty_min"),
    pytest.param({"status": "all", "reason": "no_budget"}, id="reason"),
    pytest.param({"status": "all", "sort": "company"}, id="sort"),
]


def test_every_filter_of_the_list_has_an_export_case() -> None:
    named = {name for case in LIST_QUERIES for name in case.values[0]}

    assert set(LeadFilterForm.base_fields) <= named


@pytest.mark.parametrize("query", LIST_QUERIES)
def test_the_export_holds_exactly_the_leads_the_list_shows_for_the_same_query(
    varied_leads: list[str], manager: Any, page_for: Any, query: dict[str, str]
) -> None:
    client = page_for(manager)
    page = client.get("/leads/", query)
    assert page.status_code == 200
    listed = set(re.findall(r'<td><a href="/leads/[^"]+/">([^<]+)</a>', page.content.decode()))

    exported = {row["external_id"] for row in read_csv(client.get("/leads/export.csv", query))}

    assert exported == listed
    if query.get("status") == "all" and "sort" not in query:
        assert len(listed) < len(varied_leads)  # the case narrows the list, so it tests its filter
