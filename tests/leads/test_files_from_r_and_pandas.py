"""Files as R, pandas and spreadsheets write them: "NA" cells, row labels, currency signs, wide tables."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from feedback.models import Label
from leads.csvframes import lead_frames_from_csv
from leads.models import Lead
from leads.parsing import MAX_ATTRIBUTES, parse_lead_row
from learning.core.backtest import feature_frame
from learning.core.features import FrameEncoder, infer_plan


def frames(text: str, **options: object) -> object:
    return lead_frames_from_csv(stream=io.BytesIO(text.encode()), outcome_column="won", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("word", ["NA", "N/A", "NaN", "null", "NULL", "#N/A", "?", " NA "])
def test_a_missing_word_is_an_empty_cell_in_a_field_an_attribute_and_a_number(word: str) -> None:
    row = parse_lead_row(
        {"external_id": "L1", "industry": word, "deal_value": word, "income": word, "age": "41"}, missing_words=True
    )

    assert row.profile["industry"] == ""
    assert row.profile["deal_value"] is None
    assert row.warnings == []  # not "expected a number, got 'NA'"
    assert row.attributes == {"age": "41"}
    assert "income" in row.dropped  # a value stored by an earlier import is removed, as an empty cell removes it


def test_an_id_and_a_country_that_read_like_a_missing_word_are_as_written() -> None:
    row = parse_lead_row({"external_id": "NA", "country": "NA", "industry": "NA"}, missing_words=True)

    assert (row.external_id, row.profile["country"], row.profile["industry"]) == ("NA", "NA", "")  # Namibia


def test_the_apis_json_says_no_value_with_null_so_its_text_is_as_written() -> None:
    row = parse_lead_row({"external_id": "A", "industry": "NA", "city": "null", "deal_value": None})

    assert (row.profile["industry"], row.attributes) == ("NA", {"city": "null"})


def test_a_missing_outcome_is_no_outcome_even_with_a_positive_value() -> None:
    read = frames("external_id,won\nA,1\nB,0\nC,NA\nD,\n", positive="1")

    assert dict(read.outcomes) == {"A": "converted", "B": "not_converted"}  # C is not counted as a lost deal
    assert read.unlabeled == 2


@pytest.mark.django_db
def test_the_import_leaves_a_missing_outcome_open(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("external_id,won,income\nA,1,NA\nB,0,52000\nC,NA,40000\n")

    call_command("import_leads", str(path), "--outcome-column", "won", "--positive", "1", stdout=io.StringIO())

    assert dict(Label.objects.values_list("lead__external_id", "outcome")) == {"A": "converted", "B": "not_converted"}
    assert Lead.objects.get(external_id="A").attributes == {}


def test_a_number_column_with_missing_words_stays_numbers() -> None:
    rng = np.random.default_rng(0)
    income = [("NA" if i % 3 == 0 else f"{v:.1f}") for i, v in enumerate(rng.normal(50, 10, 90))]
    text = "external_id,won,income\n" + "".join(f"L{i},{i % 2},{v}\n" for i, v in enumerate(income))

    read = frames(text, positive="1")
    plan = infer_plan(feature_frame(read.profiles, pd.DataFrame({"lead_id": [], "type": [], "occurred_at": []})))

    assert "income" in plan.numeric  # with "NA" read as text, a third of it made the column ID-like and dropped


def test_amounts_written_with_a_currency_sign_are_numbers() -> None:
    values = [f"${v:,}" for v in range(1000, 91000, 1000)]
    text = "external_id,won,budget\n" + "".join(f'L{i},{i % 2},"{v}"\n' for i, v in enumerate(values))

    read = frames(text, positive="1")
    frame = feature_frame(read.profiles, pd.DataFrame({"lead_id": [], "type": [], "occurred_at": []}))
    plan = infer_plan(frame)

    assert "budget" in plan.numeric
    encoded = FrameEncoder().fit(frame).transform(frame)
    assert encoded["budget"].iloc[:3].tolist() == [1000.0, 2000.0, 3000.0]


@pytest.mark.parametrize("header", ["rownames", "Unnamed: 0", "Unnamed: 3", "RowNames", "external_id,rownames"])
def test_a_row_label_is_never_a_feature(header: str) -> None:
    # Sorted by outcome, the row number would tell the outcome.
    label = header.split(",")[-1]
    ids = [f"L{i}," if "," in header else "" for i in range(40)]
    rows = "".join(f"{ids[i]}{i},{int(i >= 20)},{i % 7}\n" for i in range(40))
    read = frames(f"{header},won,age\n" + rows, positive="1")

    frame = feature_frame(read.profiles, pd.DataFrame({"lead_id": [], "type": [], "occurred_at": []}))

    assert label not in frame.columns
    assert "age" in frame.columns


def test_the_first_columns_of_the_header_are_read_in_every_row_whatever_is_empty() -> None:
    names = [f"c{i}" for i in range(MAX_ATTRIBUTES + 20)]
    first = parse_lead_row({"external_id": "A", **{name: "1" for name in names}})
    gappy = parse_lead_row({"external_id": "B", **{name: ("" if i % 2 else "1") for i, name in enumerate(names)}})

    assert set(first.attributes) == set(names[:MAX_ATTRIBUTES])
    assert set(gappy.attributes) == set(names[:MAX_ATTRIBUTES:2])  # not the first 100 that have a value
    assert ("attributes", f"more than {MAX_ATTRIBUTES} custom columns; 20 left out, from 'c100' on") in first.warnings


def test_empty_cells_past_the_100th_custom_column_are_no_warning() -> None:
    names = [f"c{i}" for i in range(MAX_ATTRIBUTES + 20)]
    row = parse_lead_row(
        {"external_id": "A", **{name: ("1" if i < MAX_ATTRIBUTES else "") for i, name in enumerate(names)}}
    )

    assert len(row.attributes) == MAX_ATTRIBUTES
    assert row.warnings == []


def test_a_semicolon_file_reads_decimal_commas_as_a_european_spreadsheet_writes_them() -> None:
    text = "external_id;won;ratio;budget;note;deal_value\n1,5;1;0,596;1.234,5;a, b;12.000,50\n2;0;0.713;1.234;x;7\n"

    read = lead_frames_from_csv(stream=io.BytesIO(text.encode()), outcome_column="won", positive="1")

    first, second = read.profiles.loc["1,5"], read.profiles.loc["2"]  # an id is as written
    assert (first["ratio"], first["budget"], first["note"], first["deal_value"]) == ("0.596", "1234.5", "a, b", 12000.5)
    assert (second["ratio"], second["budget"]) == ("0.713", "1.234")  # no comma: as written


def test_a_comma_file_keeps_its_commas_as_thousands() -> None:
    read = lead_frames_from_csv(
        stream=io.BytesIO(b'external_id,won,budget\nA,1,"1,234"\nB,0,7\n'), outcome_column="won", positive="1"
    )

    assert read.profiles.loc["A", "budget"] == "1,234"  # the model reads it as 1234
