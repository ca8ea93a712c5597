"""Fuzzing the importers with hypothesis: whatever the bytes, a clear file error or row errors,
never an exception; and nothing saved before is lost."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.csvfile import CsvFileError
from leads.models import Activity, Lead
from leads.services import ImportResult, import_activities_csv, import_leads, import_leads_csv

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

LEAD_COLUMNS = [
    "external_id",
    "company",
    "industry",
    "employees",
    "title",
    "country",
    "source",
    "created_at",
    "deal_value",
    "outcome",
    "crm_stage",
    "",
]
nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "-5",
            "1e400",
            "nan",
            "inf",
            "-0",
            "51-200",
            "200-51",
            "10000+",
            "99999999999999",
            "$1,000",
            "2026-13-45",
            "0000-01-01",
            "9999-12-31T99:99",
            "converted",
            "won",
            "=1+1",
            '"',
            '""',
            "\x00",
            "\ud800",
            "a" * 600,
            "b" * 70000,
            "é€",
            "\r\n",
            "NULL",
            "true",
        ]
    ),
)
ids = st.sampled_from(["F1", "F2", "F3", "F 4", "", " ", "F" * 101])


@st.composite
def csv_files(draw: Any, columns: list[str], id_column: str) -> bytes:
    header = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=8))
    if draw(st.booleans()):
        header = [id_column, *header]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " ", ":"]))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        cells = [draw(ids) if name == id_column else draw(nasty_text) for name in header]
        extra = draw(st.integers(-1, 2))
        cells = cells[:extra] if extra < 0 else cells + [draw(nasty_text) for _ in range(extra)]
        quoted = [f'"{c}"' if draw(st.booleans()) else c for c in cells]
        rows.append(delimiter.join(quoted))
    text = "\n".join([delimiter.join(header), *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace" if encoding != "utf-8" else "surrogatepass")


def run_import(importer: Any, data: bytes, **kwargs: Any) -> ImportResult | None:
    try:
        result = importer(stream=io.BytesIO(data), **kwargs)
    except CsvFileError as exc:
        assert str(exc), "a file error says what is wrong"
        return None
    for error in result.errors:
        assert error.row >= 2 and error.field and error.message
    return result


@pytest.fixture
def saved(make_leads: Any) -> dict[str, Any]:
    ids = make_leads(5, labeled=0.6)
    import_leads(rows=[(2, {"external_id": "KEEP-1", "company": "Kept Ltd"})])
    return {
        "leads": dict(Lead.objects.values_list("external_id", "company")),
        "activities": Activity.objects.count(),
        "ids": ids,
    }


def assert_nothing_lost(saved: dict[str, Any]) -> None:
    now = dict(Lead.objects.values_list("external_id", "company"))
    assert all(now.get(key) == company for key, company in saved["leads"].items()), "saved leads are untouched"
    assert Activity.objects.count() >= saved["activities"]


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_never_break_the_lead_importer(data: bytes, saved: dict[str, Any]) -> None:
    run_import(import_leads_csv, data)
    assert_nothing_lost(saved)


@pytest.mark.django_db
@FUZZ
@given(data=csv_files(LEAD_COLUMNS, "external_id"), with_outcome=st.booleans())
def test_malformed_lead_files_end_in_row_errors_or_a_file_error(
    data: bytes, with_outcome: bool, saved: dict[str, Any]
) -> None:
    before = Lead.objects.count()
    result = run_import(import_leads_csv, data, outcome_column="outcome" if with_outcome else None)
    if result is not None:
        assert Lead.objects.count() <= before + result.imported
    assert_nothing_lost(saved)


@pytest.mark.django_db
@FUZZ
@given(data=csv_files(["lead", "type", "occurred_at", "extra"], "lead"))
def test_malformed_activity_files_end_in_row_errors_or_a_file_error(data: bytes, saved: dict[str, Any]) -> None:
    data = data.replace(b"F1", saved["ids"][0].encode())  # some rows name a real lead
    run_import(import_activities_csv, data)
    assert_nothing_lost(saved)


@pytest.mark.django_db
def test_duplicate_ids_in_one_file_are_reported_on_the_later_row(defaults: None) -> None:
    data = b"external_id,company\nD1,First\nD2,Other\nD1,Second\n"

    result = run_import(import_leads_csv, data)

    assert result is not None and result.imported == 2 and result.rejected == 1
    assert (result.errors[0].row, result.errors[0].field) == (4, "external_id")
    assert Lead.objects.get(external_id="D1").company == "First"


@pytest.mark.django_db
def test_the_upload_page_answers_400_to_a_file_it_cannot_read(admin: Any, page_for: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("leads.csv", b"\x00\x01\x02binary", content_type="text/csv")
    response = page_for(admin).post("/leads/import/", {"kind": "leads", "file": upload})

    assert response.status_code == 400
    assert b"binary" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_a_stray_nul_in_a_cell_is_that_rows_problem_not_the_files(newline: bytes) -> None:
    """One NUL in one cell once refused the whole file as binary, naming no row (whatever ends a line)."""
    text = b'external_id,company\nN1,Good One\nN2,Bad\x00Co\nN\x003,Three\nN4,"quoted\x00x"\n'
    text = text.replace(b"\n", newline)

    result = import_leads_csv(stream=io.BytesIO(text))

    assert (result.imported, result.rejected) == (3, 1)
    assert [(e.row, e.field, e.message) for e in result.errors] == [(4, "external_id", "contains a NUL character")]
    assert [(w.row, w.field) for w in result.warnings] == [(3, "company"), (5, "company")]
    assert dict(Lead.objects.values_list("external_id", "company")) == {"N1": "Good One", "N2": "", "N4": ""}


@pytest.mark.parametrize(
    ("start", "why"),
    [
        (b"external_id\x00,company\nA,B\n", "it contains NUL bytes"),
        (b"PK\x03\x04" + bytes(40) + b"xl/workbook.xml", "it starts as a ZIP archive or an Excel .xlsx file does"),
        (b"PK\x03\x04\n\x00\x00\x00external_id,company\nA,B\n", "ZIP"),  # a stored zip entry: few NULs
        (b"\x1f\x8b\x08\x00" + b"x" * 40, "gzip"),
        (b"\x89PNG\r\n\x1a\n" + bytes(30), "PNG"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "it starts as a PDF does"),  # no NUL: said by its signature
    ],
)
def test_a_file_that_is_no_text_is_refused_as_binary_saying_why(start: bytes, why: str) -> None:
    with pytest.raises(CsvFileError, match="the file looks binary, not CSV") as refused:
        import_leads_csv(stream=io.BytesIO(start))
    assert why in str(refused.value)
