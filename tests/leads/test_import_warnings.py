"""Imports keep the lead when an optional value is invalid (issue 16, finding 9): the value is
dropped, the row reported as a warning, and only a missing or invalid external_id rejects a row.
``--outcome-date-column`` dates a historical label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from feedback.models import Label
from leads.models import Lead
from tests.leads.test_import_leads import last_line, run_import, write_csv

HEADER = ["external_id", "company", "industry", "employees", "deal_value", "created_at", "outcome", "closed_on"]


@pytest.mark.django_db
def test_a_sentinel_deal_value_is_dropped_with_a_warning_and_the_lead_kept(defaults: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            ["F1", "Acme", "software", "51-200", "-137255.0", "2026-10-01", "converted", ""],
            ["F2", "Globex", "retail", "10", "5000", "2026-10-01", "", ""],
        ],
        header=HEADER,
    )

    out, err = run_import(path, "--outcome-column", "outcome")

    assert last_line(out) == "imported=2 labels=1 rejected=0 warnings=1"
    assert err.strip().splitlines() == ["row 2: deal_value: must be at least 0, got -137255"]
    lead = Lead.objects.get(external_id="F1")
    assert lead.deal_value is None and lead.company == "Acme" and lead.employees == 125
    assert lead.label.outcome == "converted"


OPTIONAL_PROBLEMS = [
    pytest.param(["B1", "Acme", "", "lots", "", "", "", ""], "employees", id="employees not a number"),
    pytest.param(["B1", "Acme", "", "200-51", "", "", "", ""], "employees", id="employees range backwards"),
    pytest.param(["B1", "Acme", "", "", "abc", "", "", ""], "deal_value", id="deal_value not a number"),
    pytest.param(["B1", "Acme", "", "", "1e400", "", "", ""], "deal_value", id="deal_value not finite"),
    pytest.param(["B1", "Acme", "", "", "", "not-a-date", "", ""], "created_at", id="created_at not a date"),
    pytest.param(["B1", "Acme", "x" * 101, "", "", "", "", ""], "industry", id="industry over its max length"),
    pytest.param(["B1", "Acme", "", "", "", "", "maybe", ""], "outcome", id="unknown outcome"),
    pytest.param(["B1", "Acme", "", "", "", "", "converted", "yesterday"], "closed_on", id="bad outcome date"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "field"), OPTIONAL_PROBLEMS)
def test_an_invalid_optional_value_is_a_warning_naming_row_and_field_and_the_lead_comes_in(
    defaults: None, tmp_path: Path, bad: list[str], field: str
) -> None:
    path = write_csv(tmp_path, [bad], header=HEADER)

    out, err = run_import(path, "--outcome-column", "outcome", "--outcome-date-column", "closed_on")

    assert last_line(out).startswith("imported=1 ")
    assert last_line(out).endswith(" rejected=0 warnings=1")
    assert err.strip().startswith(f"row 2: {field}: ")
    assert Lead.objects.get(external_id="B1").company == "Acme"


@pytest.mark.django_db
def test_only_a_missing_external_id_rejects_a_row(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["", "Acme", "", "lots", "", "", "", ""]], header=HEADER)

    with pytest.raises(Exception, match="nothing could be imported"):
        run_import(path)


@pytest.mark.django_db
def test_a_nul_in_a_custom_value_drops_that_value_with_a_warning(defaults: None) -> None:
    from leads.services import import_leads

    result = import_leads(rows=[(2, {"external_id": "N1", "city": "Ber\x00lin", "region": "EMEA"})])

    assert (result.imported, result.rejected) == (1, 0)
    assert [str(w) for w in result.warnings] == ["row 2: city: contains a NUL character"]
    assert Lead.objects.get(external_id="N1").attributes == {"region": "EMEA"}


@pytest.mark.django_db
def test_the_outcome_date_column_dates_the_historical_label(defaults: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            ["D1", "Acme", "", "", "", "", "converted", "2025-03-04"],
            ["D2", "Acme", "", "", "", "", "not_converted", "2025-05-06T10:30:00+02:00"],
            ["D3", "Acme", "", "", "", "", "converted", ""],
        ],
        header=HEADER,
    )
    before = timezone.now()

    out, _ = run_import(path, "--outcome-column", "outcome", "--outcome-date-column", "closed_on")

    assert last_line(out) == "imported=3 labels=3 rejected=0 warnings=0"
    dates = dict(Label.objects.values_list("lead__external_id", "outcome_at"))
    assert dates["D1"] == datetime(2025, 3, 4, tzinfo=UTC)
    assert dates["D2"] == datetime(2025, 5, 6, 8, 30, tzinfo=UTC)
    assert before <= dates["D3"] <= timezone.now() + timedelta(seconds=1)
    assert "closed_on" not in Lead.objects.get(external_id="D1").attributes


@pytest.mark.django_db
def test_an_outcome_dated_in_the_future_keeps_its_outcome_dated_when_imported(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["F1", "Acme", "", "", "", "", "converted", "2199-01-01"]], header=HEADER)
    before = timezone.now()

    out, err = run_import(path, "--outcome-column", "outcome", "--outcome-date-column", "closed_on")

    assert last_line(out) == "imported=1 labels=1 rejected=0 warnings=1"
    assert (
        "row 2: closed_on: 2199-01-01 00:00 UTC is in the future (more than a day ahead); "
        "the outcome is dated when it is imported"
    ) in out + err
    label = Label.objects.get()
    assert label.outcome == "converted" and before <= label.outcome_at <= timezone.now() + timedelta(seconds=1)


@pytest.mark.django_db
def test_importing_again_with_a_new_outcome_date_moves_the_label_date(defaults: None, tmp_path: Path) -> None:
    first = write_csv(tmp_path, [["D1", "Acme", "", "", "", "", "converted", "2025-03-04"]], header=HEADER)
    run_import(first, "--outcome-column", "outcome", "--outcome-date-column", "closed_on")
    again = write_csv(
        tmp_path, [["D1", "Acme", "", "", "", "", "converted", "2025-04-01"]], header=HEADER, name="again.csv"
    )

    run_import(again, "--outcome-column", "outcome", "--outcome-date-column", "closed_on")

    assert Label.objects.get().outcome_at == datetime(2025, 4, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_the_outcome_date_column_needs_the_outcome_column(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["D1", "Acme", "", "", "", "", "converted", "2025-03-04"]], header=HEADER)

    with pytest.raises(Exception, match="--outcome-date-column needs --outcome-column"):
        run_import(path, "--outcome-date-column", "closed_on")


@pytest.mark.django_db
def test_an_empty_converted_value_is_refused_before_a_row_is_read(defaults: None, tmp_path: Path) -> None:
    """``--positive ""`` once imported every outcome as a lost deal, with only a notice."""
    path = write_csv(tmp_path, [["D1", "Acme", "", "", "", "", "Won", ""]], header=HEADER)

    with pytest.raises(Exception, match="--positive is empty: name the value that means converted"):
        run_import(path, "--outcome-column", "outcome", "--positive", "")
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_the_bulk_api_keeps_the_lead_reports_warnings_and_dates_labels(admin: Any, api_for: Any) -> None:
    items = [
        {"external_id": "A1", "deal_value": -137255.0, "stage": "won", "closed": "2025-02-03"},
        {"external_id": "A2", "deal_value": "a lot", "stage": "lost", "closed": "never"},
        {"deal_value": 5},
    ]

    response = api_for(admin).post(
        "/api/leads/bulk",
        {"items": items, "outcome_column": "stage", "positive": "won", "outcome_date_column": "closed"},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["imported"], body["labels"], body["rejected"]) == (2, 2, 1)
    assert body["errors"] == [{"item": 3, "field": "external_id", "message": "is required"}]
    assert body["warnings"] == [
        {"item": 1, "field": "deal_value", "message": "must be at least 0, got -137255"},
        {"item": 2, "field": "deal_value", "message": "expected a number, got 'a lot'"},
        {"item": 2, "field": "closed", "message": "expected a date (YYYY-MM-DD) or datetime, got 'never'"},
    ]
    assert Label.objects.get(lead__external_id="A1").outcome_at == datetime(2025, 2, 3, tzinfo=UTC)
    assert Lead.objects.get(external_id="A2").deal_value is None


@pytest.mark.django_db
def test_the_upload_page_lists_warnings_with_row_and_field(admin: Any, page_for: Any) -> None:
    data = b"external_id,deal_value,outcome,closed\nU1,-137255.0,converted,2025-01-02\nU2,10,,\n"

    response = page_for(admin).post(
        "/leads/import/",
        {
            "kind": "leads",
            "file": SimpleUploadedFile("leads.csv", data),
            "outcome_column": "outcome",
            "outcome_date_column": "closed",
        },
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Imported 2 leads" in body and "value dropped, row imported" in body
    assert "must be at least 0, got -137255" in body
    assert Label.objects.get().outcome_at == datetime(2025, 1, 2, tzinfo=UTC)


@pytest.mark.django_db
def test_a_row_cut_short_comes_in_with_a_warning_saying_so(defaults: None, tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("external_id,company,industry,employees\nS1,Acme,retail,50\nS2,Beta\n", encoding="utf-8")

    out, err = run_import(path)

    assert last_line(out) == "imported=2 labels=0 rejected=0 warnings=1"
    assert "row 3: row: 2 fields, the header has 4: the missing ones are not read" in out + err
    short = Lead.objects.get(external_id="S2")
    assert (short.company, short.industry) == ("Beta", "") and "__short__" not in short.attributes


@pytest.mark.django_db
def test_a_deal_value_in_another_currency_is_left_out_naming_it_and_the_teams_is_read(
    defaults: None, tmp_path: Path
) -> None:
    amounts = ["$171,638", "€154,496", "123156.00", "USD 2000", "900 EUR", "CA$500"]
    rows = [[f"M{i}", amount] for i, amount in enumerate(amounts, start=1)]
    path = write_csv(tmp_path, rows, header=["external_id", "deal_value"])

    out, err = run_import(path)

    assert last_line(out) == "imported=6 labels=0 rejected=0 warnings=3"
    values = dict(Lead.objects.values_list("external_id", "deal_value"))
    assert values == {"M1": 171638, "M2": None, "M3": 123156, "M4": 2000, "M5": None, "M6": None}
    assert "row 3: deal_value: '€154,496' is in EUR, not the team's currency (USD): convert it first" in err
    assert "row 6: deal_value: '900 EUR' is in EUR" in err and "row 7: deal_value: 'CA$500' is in CAD" in err
