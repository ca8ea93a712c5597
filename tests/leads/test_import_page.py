"""The import page's report: counts in words, the row problems in a table and as a CSV file."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.import_report import Problem, import_report, problems_csv
from leads.parsing import RowError
from leads.services import ImportResult

ROWS = "external_id,company,stage\nW1,Acme,Won\nW2,Globex,Lost\n,Nobody,\nW1,Again,\n"


def upload(rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("leads.csv", rows.encode(), content_type="text/csv")


def post(client: Any, rows: str = ROWS) -> str:
    response = client.post(
        "/leads/import/", {"kind": "leads", "file": upload(rows), "outcome_column": "stage", "positive": "Won"}
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_summary_reads_as_sentences_with_a_table_of_row_problems(admin: Any, page_for: Any) -> None:
    body = post(page_for(admin))

    assert "Imported 2 leads, 2 of them with a historical outcome" in body
    assert "2 rows were rejected and not imported." in body
    assert "imported=" not in body
    table = body.split('class="problems"')[1]
    assert re.search(r'<td class="num">4</td><td>row</td>', table) is None
    assert "<td>external_id</td>" in table and "already appears on row 2" in table
    assert table.count("row rejected") == 2


@pytest.mark.django_db
def test_the_row_problems_download_as_csv(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    body = post(client)
    link = re.search(r'href="(/leads/import/problems/[^"]+\.csv)"', body)
    assert link is not None

    response = client.get(link.group(1))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["row", "field", "problem", "what happened"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("4", "external_id", "row rejected"),
        ("5", "external_id", "row rejected"),
    ]


@pytest.mark.django_db
def test_a_clean_file_says_so_and_offers_no_download(admin: Any, page_for: Any) -> None:
    body = post(page_for(admin), "external_id,company,stage\nA1,Acme,\n")

    assert "No row had a problem." in body
    assert "problems.csv" not in body
    assert "<strong>0</strong> rows rejected" in body


@pytest.mark.django_db
def test_one_rejected_row_reads_in_the_singular(admin: Any, page_for: Any) -> None:
    body = post(page_for(admin), "external_id,company,stage\nA1,Acme,\n,Nameless,\n")

    assert "<strong>1</strong> row rejected" in body and "1 rows" not in body


@pytest.mark.django_db
def test_an_unknown_or_expired_download_is_404_in_words(admin: Any, page_for: Any) -> None:
    response = page_for(admin).get("/leads/import/problems/nope.csv")

    assert response.status_code == 404
    assert "import the file again" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager"])
def test_only_an_admin_downloads_problems(role: str, request: pytest.FixtureRequest, page_for: Any) -> None:
    assert page_for(request.getfixturevalue(role)).get("/leads/import/problems/x.csv").status_code == 403


def test_the_importers_warnings_show_as_values_dropped_and_rows_kept() -> None:
    result = ImportResult(imported=3, labels=1)
    result.reject(RowError(7, "external_id", "missing"))
    warnings = [RowError(3, "deal_value", "not a number: 'lots'"), RowError(5, "created_at", "not a date")]
    result.warnings = warnings  # type: ignore[attr-defined]

    report = import_report(result=result, kind="leads")

    assert report.sentences == [
        "Imported 3 leads, 1 of them with a historical outcome (a label the model learns from).",
        "1 row was rejected and not imported.",
        "2 values were dropped with a warning; those rows came in without them "
        "(a lead already stored keeps its value).",
    ]
    assert [(p.row, p.field, p.outcome) for p in report.problems] == [
        (3, "deal_value", "value dropped, row imported"),
        (5, "created_at", "value dropped, row imported"),
        (7, "external_id", "row rejected"),
    ]


@pytest.mark.parametrize(
    ("counts", "ok"),
    [
        ({"imported": 1}, True),
        ({"duplicates": 3}, True),  # a file imported again
        ({"duplicates": 3, "rejected": 1}, False),
        ({"rejected": 2}, False),
    ],
)
def test_an_activity_import_is_done_when_something_came_in_or_every_event_was_there(
    counts: dict[str, int], ok: bool
) -> None:
    result = ImportResult(**{"duplicates": 0, **counts})

    assert import_report(result=result, kind="activities").ok is ok


def test_activity_imports_count_new_events() -> None:
    assert import_report(result=ImportResult(imported=1_234, duplicates=0), kind="activities").sentences == [
        "Imported 1,234 new activity events.",
        "No row had a problem.",
    ]


@pytest.mark.django_db
def test_an_activity_dated_in_the_future_is_a_row_problem_on_the_page(admin: Any, page_for: Any) -> None:
    from leads.models import Activity, Lead

    Lead.objects.create(external_id="L1")
    rows = "lead,type,occurred_at\nL1,call,2026-10-01\nL1,meeting,2199-01-01\n"

    response = page_for(admin).post("/leads/import/", {"kind": "activities", "file": upload(rows)})

    body = response.content.decode()
    assert "Imported 1 new activity event." in body and "1 row was rejected and not imported." in body
    table = body.split('class="problems"')[1]
    assert re.search(r'<td class="num">3</td><td>occurred_at</td><td>2199-01-01 00:00 UTC is in the future', table)
    assert Activity.objects.count() == 1


@pytest.mark.django_db
def test_an_activity_import_counts_new_events_and_the_ones_already_there_apart(admin: Any, page_for: Any) -> None:
    from leads.models import Activity, Lead

    Lead.objects.create(external_id="L1")
    client = page_for(admin)
    client.post("/leads/import/", {"kind": "activities", "file": upload("lead,type,occurred_at\nL1,call,2026-10-01\n")})
    rows = "lead,type,occurred_at\n" + "".join(f"L1,call,2026-10-0{day}\n" for day in range(1, 6))

    body = client.post("/leads/import/", {"kind": "activities", "file": upload(rows)}).content.decode()

    assert "Imported 4 new activity events, 1 already there (left as it was)." in body
    assert "<strong>4</strong> new" in body and "<strong>1</strong> already there" in body
    assert Activity.objects.count() == 5


@pytest.mark.django_db
def test_importing_the_same_activities_again_reads_as_done_with_nothing_new(admin: Any, page_for: Any) -> None:
    from leads.models import Lead

    Lead.objects.create(external_id="L1")
    client = page_for(admin)
    rows = "lead,type,occurred_at\nL1,call,2026-10-01\nL1,call,2026-10-02\n"
    client.post("/leads/import/", {"kind": "activities", "file": upload(rows)})

    body = client.post("/leads/import/", {"kind": "activities", "file": upload(rows)}).content.decode()

    assert "Import done" in body
    assert "Imported 0 new activity events, 2 already there (left as they were)." in body


@pytest.mark.django_db
def test_a_type_new_to_the_model_reads_as_a_new_type_not_a_dropped_value(
    admin: Any, page_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leads.models import Activity, Lead

    monkeypatch.setattr("leads.views.known_activity_types", lambda: {"call", "meeting"})
    Lead.objects.create(external_id="L1")
    rows = "lead,type,occurred_at\nL1,call,2026-10-01\nL1,teleport,2026-10-02\nL1,teleport,2026-10-03\n"

    body = page_for(admin).post("/leads/import/", {"kind": "activities", "file": upload(rows)}).content.decode()

    assert "1 activity type the model has not learned from came in: check the spelling below." in body
    assert "<strong>1</strong> new activity type" in body and "dropped" not in body
    table = body.split('class="problems"')[1]
    assert re.search(r"<td class=\"num\">3</td><td>type</td><td>&#x27;teleport&#x27; is new to the model", table)
    assert Activity.objects.count() == 3


@pytest.mark.django_db
def test_the_row_problems_csv_never_holds_a_formula_from_the_file(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    formula = '=HYPERLINK("http://evil.example")'
    rows = f"external_id,{formula},+won\nF1,{'x' * 10_241},maybe\n"
    response = client.post("/leads/import/", {"kind": "leads", "file": upload(rows), "outcome_column": "+won"})
    link = re.search(r'href="(/leads/import/problems/[^"]+\.csv)"', response.content.decode())
    assert link is not None

    rows_out = list(csv.reader(io.StringIO(client.get(link.group(1)).content.decode())))

    assert sorted(row[1] for row in rows_out[1:]) == ["'+won", "'" + formula]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows_out for cell in row)


def test_every_cell_of_the_problems_csv_that_would_start_a_formula_is_quoted() -> None:
    problems = [Problem(2, "@cmd", "-1+1 is odd", "=row rejected"), Problem(3, "company", "fine", "row rejected")]

    rows = list(csv.reader(io.StringIO(problems_csv(problems))))

    assert rows[1:] == [["2", "'@cmd", "'-1+1 is odd", "'=row rejected"], ["3", "company", "fine", "row rejected"]]


@pytest.mark.django_db
def test_a_quote_that_never_closes_is_a_row_problem_on_the_page(admin: Any, page_for: Any) -> None:
    body = post(page_for(admin), 'external_id,company,stage\nA1,Acme,\nA2,"open quote,\nA3,x,\n')

    assert "Imported 1 lead" in body
    assert "a quoted value that starts on line 3 runs to the end of the file" in body


@pytest.mark.django_db
def test_an_excel_unicode_text_file_imports_on_the_page(admin: Any, page_for: Any) -> None:
    data = "external_id\tcompany\r\nU1\tZürich AG\r\n".encode("utf-16")
    upload_utf16 = SimpleUploadedFile("leads.txt", data, content_type="text/plain")

    response = page_for(admin).post("/leads/import/", {"kind": "leads", "file": upload_utf16})

    assert response.status_code == 200
    assert "Imported 1 lead" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"kind": "leads", "positive": "Won"}, ("positive", "“Value that means converted” needs an outcome column")),
        ({"kind": "leads", "open_values": "Open"}, ("open_values", "“Values that mean still open” needs an outcome")),
        ({"kind": "leads", "outcome_date_column": "closed"}, ("outcome_date_column", "“Outcome date column” needs")),
        ({"kind": "activities", "outcome_column": "stage"}, ("outcome_column", "is for leads only")),
    ],
)
def test_an_option_that_cannot_apply_is_refused_naming_it_and_nothing_is_imported(
    admin: Any, page_for: Any, form: dict[str, str], said: tuple[str, str]
) -> None:
    """Ignored, ``positive`` without an outcome column imported the file unlabeled, as asked by nobody."""
    from leads.models import Lead

    response = page_for(admin).post("/leads/import/", {**form, "file": upload(ROWS)})

    field, words = said
    assert response.status_code == 400
    assert re.search(rf'<ul class="errorlist" id="id_{field}_error"><li>{words}', response.content.decode())
    assert not Lead.objects.exists()
