"""The outcome's words on every import path: a known column named as the outcome is never a
feature, and an open value cannot also be the converted one."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from feedback.models import Label
from leads.csvframes import CsvFileError, lead_frames_from_csv
from leads.models import Lead
from leads.parsing import means_positive

STATUS_AS_SOURCE = "Lead ID,Industry,Source\nS1,software,Won\nS2,retail,Lost\nS3,software,Won\n"


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["Source", "source"])
def test_a_known_column_named_as_the_outcome_is_not_also_the_field(tmp_path: Path, column: str) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(STATUS_AS_SOURCE)

    call_command("import_leads", str(path), "--outcome-column", column, "--positive", "Won", stdout=io.StringIO())
    frames = lead_frames_from_csv(stream=io.BytesIO(STATUS_AS_SOURCE.encode()), outcome_column=column, positive="Won")

    assert dict(Label.objects.values_list("lead__external_id", "outcome")) == {
        "S1": "converted",
        "S2": "not_converted",
        "S3": "converted",
    }
    assert set(Lead.objects.values_list("source", flat=True)) == {""}  # the outcome, not a lead source
    assert frames.profiles["source"].fillna("").eq("").all()  # so the backtest cannot learn the outcome from it


def test_the_backtest_keeps_the_first_row_of_an_id_as_the_import_does() -> None:
    rows = "external_id,stage\nL1,Open\nL1,Won\nL2,Lost\n"

    frames = lead_frames_from_csv(
        stream=io.BytesIO(rows.encode()), outcome_column="stage", positive="Won", open_values=["open"]
    )

    assert list(frames.profiles.index) == ["L2"]  # L1 is open: its first row says so
    assert [str(error) for error in frames.errors] == [
        "row 3: external_id: 'L1' already appears on row 2 (the first is kept)"
    ]
    assert frames.unlabeled == 1


@pytest.mark.parametrize(
    ("text", "positive", "meant"),
    [
        ("1.0", "1", True),
        ("+1", "1", True),
        ("1e0", "1", True),
        ("1_0", "10", False),  # Python's float() reads these; an outcome column does not
        ("Infinity", "inf", False),
        ("\u0661", "1", False),  # an Arabic-Indic one
        ("1,000", "1000", False),
        ("x" * 50, "1", False),
    ],
)
def test_a_value_matches_as_a_number_only_when_both_are_plain_decimals(text: str, positive: str, meant: bool) -> None:
    assert means_positive(text, positive) is meant


@pytest.mark.django_db
def test_the_command_line_refuses_an_open_value_that_is_the_converted_one(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(STATUS_AS_SOURCE)

    with pytest.raises(CommandError, match=r"--open-value: 'won' cannot mean both converted \('Won'\) and still open"):
        call_command(
            "import_leads", str(path), "--outcome-column", "Source", "--positive", "Won", "--open-value", "won"
        )
    with pytest.raises(CommandError, match=r"--open-value: '1.0' cannot mean both converted \('1'\)"):
        call_command(
            "simulate",
            *("--csv", str(path), "--outcome-column", "Source", "--positive", "1", "--open-value", "1.0"),
            *("--json", str(tmp_path / "out.json")),
        )
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_the_upload_page_and_the_api_refuse_it_too(admin: Any, page_for: Any, api_for: Any) -> None:
    upload = SimpleUploadedFile("leads.csv", STATUS_AS_SOURCE.encode(), content_type="text/csv")
    form = {"kind": "leads", "file": upload, "outcome_column": "Source", "positive": "Won", "open_values": "Open, WON"}

    page = page_for(admin).post("/leads/import/", form).content.decode()
    api = api_for(admin).post(
        "/api/leads/bulk",
        {
            "items": [{"external_id": "A1", "stage": "Won"}],
            "outcome_column": "stage",
            "positive": "Won",
            "open_values": ["won"],
        },
    )

    assert "&#x27;WON&#x27; cannot mean both converted (&#x27;Won&#x27;) and still open" in page
    assert api.status_code == 400 and api.json()["detail"].startswith("open_values: 'won' cannot mean both converted")
    assert not Lead.objects.exists()


def test_the_outcome_column_is_found_whatever_its_case_and_before_any_alias() -> None:
    rows = "external_id,Stage,Amount\nA1,Won,5\nA2,Lost,6\n"

    by_stage = lead_frames_from_csv(stream=io.BytesIO(rows.encode()), outcome_column="stage", positive="Won")
    by_amount = lead_frames_from_csv(stream=io.BytesIO(rows.encode()), outcome_column="amount", positive="5")

    assert by_stage.outcomes.to_dict() == {"A1": "converted", "A2": "not_converted"}
    assert by_stage.renamed == {"Amount": "deal_value"}
    assert by_amount.outcomes.to_dict() == {"A1": "converted", "A2": "not_converted"}  # not read as deal_value
    assert by_amount.renamed == {}


def test_a_missing_outcome_column_is_said_with_the_files_own_header() -> None:
    rows = "external_id,Stage,Amount\nA1,Won,5\n"

    with pytest.raises(
        CsvFileError, match=r"missing required column\(s\): result; the header has: external_id, Stage, Amount$"
    ):
        lead_frames_from_csv(stream=io.BytesIO(rows.encode()), outcome_column="result")
