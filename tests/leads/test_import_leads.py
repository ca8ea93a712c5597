"""``manage.py import_leads``: the CSV contract of DESIGN.md, and the admin upload page doing the same."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import get_resolver, resolve

from config.api import api
from config.site import currency_set
from feedback.models import Label, LabelSource
from feedback.services import label_submit
from leads import parsing
from leads.models import Lead
from leads.templatetags.leadloop import lead_url

HEADER = ["external_id", "company", "industry", "employees", "deal_value", "created_at"]


def write_csv(tmp_path: Path, rows: list[list[str]], *, header: list[str] = HEADER, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_leads", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def good_row(external_id: str, company: str = "Acme") -> list[str]:
    return [external_id, company, "software", "120", "5000", "2026-10-01"]


@pytest.mark.django_db
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_quote_inside_a_quoted_value_is_read_as_one_quote(defaults: None, tmp_path: Path, delimiter: str) -> None:
    # A spreadsheet doubles a quote inside a quoted value (RFC 4180); the header has no quotes to guess from.
    companies = ['Acme "Best" Ltd', 'Says "call back, next week"; please', 'Trailing quote"']
    path = tmp_path / "quoted.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerows(good_row(f"Q{i}", company) for i, company in enumerate(companies))

    out, _ = run_import(path)

    assert last_line(out) == "imported=3 labels=0 rejected=0 warnings=0"
    assert [Lead.objects.get(external_id=f"Q{i}").company for i in range(3)] == companies


@pytest.mark.django_db
def test_it_imports_every_good_row_and_prints_the_summary_last(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [good_row("L1"), good_row("L2", "Globex")])

    out, err = run_import(path)

    assert last_line(out) == "imported=2 labels=0 rejected=0 warnings=0"
    assert err == ""
    lead = Lead.objects.get(external_id="L2")
    assert lead.company == "Globex"
    assert lead.industry == "software"
    assert lead.employees == 120
    assert lead.deal_value == 5000
    assert lead.created_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert lead.status == "open"


BAD_ROWS = [
    pytest.param(["", "Acme", "", "", "", ""], "external_id", id="missing external_id"),
    pytest.param(["B1", "Acme", "", "", "", "", "extra"], "row", id="too many fields"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "field"), BAD_ROWS)
def test_it_reports_a_bad_row_with_its_number_and_field_and_imports_the_others(
    defaults: None, tmp_path: Path, bad: list[str], field: str
) -> None:
    path = write_csv(tmp_path, [good_row("G1"), bad, good_row("G2")])

    out, err = run_import(path)

    assert last_line(out) == "imported=2 labels=0 rejected=1 warnings=0"
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"row 3: {field}: ")
    assert set(Lead.objects.values_list("external_id", flat=True)) == {"G1", "G2"}


@pytest.mark.django_db
def test_an_outcome_that_is_neither_converted_nor_not_converted_leaves_the_lead_open_with_a_warning(
    defaults: None, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path, [["O1", "converted"], ["O2", "maybe"], ["O3", "not_converted"]], header=["external_id", "outcome"]
    )

    out, err = run_import(path, "--outcome-column", "outcome")

    assert last_line(out) == "imported=3 labels=2 rejected=0 warnings=1"
    assert err.strip().startswith("row 3: outcome: ")
    assert "maybe" in err
    assert Lead.objects.get(external_id="O2").status == "open"


@pytest.mark.django_db
def test_it_rejects_the_second_row_with_the_same_external_id(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [good_row("D1", "First"), good_row("D2"), good_row("D1", "Second")])

    out, err = run_import(path)

    assert last_line(out) == "imported=2 labels=0 rejected=1 warnings=0"
    assert err.strip().startswith("row 4: external_id: ")
    assert "row 2" in err
    assert Lead.objects.get(external_id="D1").company == "First"


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "stored"), [("51-200", 125), ("10000+", 10000), ("1,500", 1500), ("", None)])
def test_it_reads_employees_as_a_number_a_range_or_an_open_range(
    defaults: None, tmp_path: Path, raw: str, stored: int | None
) -> None:
    path = write_csv(tmp_path, [["E1", raw]], header=["external_id", "employees"])

    run_import(path)

    assert Lead.objects.get(external_id="E1").employees == stored


@pytest.mark.django_db
def test_it_keeps_unknown_columns_as_lead_attributes(defaults: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [["A1", "Acme", "Salesforce", "42", ""]],
        header=["external_id", "company", "crm", "nps", "empty_extra"],
    )

    run_import(path)

    assert Lead.objects.get(external_id="A1").attributes == {"crm": "Salesforce", "nps": "42"}


@pytest.mark.django_db
def test_an_outcome_column_creates_labels_and_closes_the_leads(defaults: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [["H1", "Acme", "converted"], ["H2", "Globex", "not_converted"], ["H3", "Initech", ""]],
        header=["external_id", "company", "won"],
    )

    out, err = run_import(path, "--outcome-column", "won")

    assert last_line(out) == "imported=3 labels=2 rejected=0 warnings=0"
    assert err == ""
    labels = {label.lead.external_id: label for label in Label.objects.select_related("lead")}
    assert set(labels) == {"H1", "H2"}
    assert labels["H1"].outcome == "converted"
    assert labels["H2"].outcome == "not_converted"
    assert all(label.source == LabelSource.IMPORT and label.user is None for label in labels.values())
    statuses = dict(Lead.objects.values_list("external_id", "status"))
    assert statuses == {"H1": "converted", "H2": "not_converted", "H3": "open"}
    assert "won" not in Lead.objects.get(external_id="H1").attributes


@pytest.mark.django_db
def test_positive_maps_that_value_to_converted_and_any_other_value_to_not_converted(
    defaults: None, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path,
        [["P1", "Won"], ["P2", "Lost"], ["P3", "Stalled"], ["P4", ""]],
        header=["external_id", "stage"],
    )

    out, _ = run_import(path, "--outcome-column", "stage", "--positive", "Won")

    assert last_line(out) == "imported=4 labels=3 rejected=0 warnings=0"
    assert dict(Label.objects.values_list("lead__external_id", "outcome")) == {
        "P1": "converted",
        "P2": "not_converted",
        "P3": "not_converted",
    }
    assert Lead.objects.get(external_id="P4").status == "open"


@pytest.mark.django_db
def test_positive_matches_the_same_value_whatever_its_case_or_number_format(defaults: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [["F1", "1.0"], ["F2", "0.0"], ["F3", " 1 "], ["F4", "1e0"], ["F5", "10"], ["F6", ""]],
        header=["external_id", "churned"],
    )
    run_import(path, "--outcome-column", "churned", "--positive", "1")
    cased = write_csv(tmp_path, [["C1", "won"], ["C2", "WON "], ["C3", "Wonder"]], header=["external_id", "stage"])
    run_import(cased, "--outcome-column", "stage", "--positive", "Won")

    assert dict(Label.objects.values_list("lead__external_id", "outcome")) == {
        "F1": "converted",  # pandas writes a 0/1 column with an empty cell as 1.0 / 0.0
        "F2": "not_converted",
        "F3": "converted",
        "F4": "converted",
        "F5": "not_converted",
        "C1": "converted",
        "C2": "converted",
        "C3": "not_converted",
    }


@pytest.mark.django_db
def test_positive_without_an_outcome_column_is_refused(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [good_row("P1")])

    with pytest.raises(CommandError, match="--outcome-column"):
        run_import(path, "--positive", "Won")


@pytest.mark.django_db
def test_importing_the_same_file_again_duplicates_nothing(defaults: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [["R1", "Acme", "converted"], ["R2", "Globex", ""]],
        header=["external_id", "company", "outcome"],
    )
    run_import(path, "--outcome-column", "outcome")

    out, err = run_import(path, "--outcome-column", "outcome")

    assert last_line(out).startswith("imported=2 ")
    assert last_line(out).endswith(" rejected=0 warnings=0")
    assert err == ""
    assert Lead.objects.count() == 2
    assert Label.objects.count() == 1
    assert Lead.objects.get(external_id="R1").status == "converted"


@pytest.mark.django_db
def test_importing_a_changed_file_updates_the_leads_and_their_imported_labels(defaults: None, tmp_path: Path) -> None:
    header = ["external_id", "company", "employees", "crm", "outcome"]
    run_import(
        write_csv(tmp_path, [["U1", "Acme", "10", "hubspot", "converted"]], header=header),
        "--outcome-column",
        "outcome",
    )

    path = write_csv(tmp_path, [["U1", "Acme Corp", "51-200", "salesforce", "not_converted"]], header=header)
    out, _ = run_import(path, "--outcome-column", "outcome")

    assert last_line(out) == "imported=1 labels=1 rejected=0 warnings=0"
    lead = Lead.objects.get(external_id="U1")
    assert (lead.company, lead.employees, lead.attributes) == ("Acme Corp", 125, {"crm": "salesforce"})
    assert lead.status == "not_converted"
    assert Label.objects.get().outcome == "not_converted"


@pytest.mark.django_db
def test_an_import_never_overwrites_a_label_a_rep_gave(defaults: None, rep: Any, tmp_path: Path) -> None:
    header = ["external_id", "company", "outcome"]
    run_import(write_csv(tmp_path, [["K1", "Acme", ""]], header=header), "--outcome-column", "outcome")
    label_submit(user=rep, lead=Lead.objects.get(external_id="K1"), outcome="converted", reason_code="budget_approved")

    path = write_csv(tmp_path, [["K1", "Acme Corp", "not_converted"]], header=header)
    out, _ = run_import(path, "--outcome-column", "outcome")

    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0"
    label = Label.objects.get()
    assert (label.outcome, label.source, label.user, label.reason.code) == ("converted", "rep", rep, "budget_approved")
    lead = Lead.objects.get(external_id="K1")
    assert lead.status == "converted"
    assert lead.company == "Acme Corp"


@pytest.mark.django_db
def test_it_fails_when_no_row_can_be_imported(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["", "Acme", "", "", "", ""], ["X" * 101, "Acme", "", "many", "", ""]])
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="nothing could be imported"):
        call_command("import_leads", str(path), stdout=out, stderr=err)

    assert last_line(out.getvalue()) == "imported=0 labels=0 rejected=2 warnings=0"
    assert "row 2: external_id: is required" in err.getvalue()
    assert "row 3: external_id: longer than 100 characters" in err.getvalue()


@pytest.mark.django_db
def test_it_fails_on_a_file_with_only_a_header(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [])

    with pytest.raises(CommandError):
        run_import(path)


@pytest.mark.django_db
def test_it_fails_on_a_file_without_the_external_id_column_and_names_it(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["Acme", "software"]], header=["company", "industry"])
    out = io.StringIO()

    with pytest.raises(CommandError, match="external_id"):
        call_command("import_leads", str(path), stdout=out, stderr=io.StringIO())

    assert last_line(out.getvalue()) == "imported=0 labels=0 rejected=0 warnings=0"
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_it_fails_naming_the_outcome_column_when_the_file_lacks_it(defaults: None, tmp_path: Path) -> None:
    """A mistyped --outcome-column must not silently import a team's history as open leads."""
    path = write_csv(tmp_path, [["H1", "converted"]], header=["external_id", "outcome"])

    with pytest.raises(CommandError, match="outcom"):
        run_import(path, "--outcome-column", "outcom")

    assert not Label.objects.exists()


@pytest.mark.django_db
def test_it_fails_on_a_file_that_does_not_exist(defaults: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run_import(tmp_path / "missing.csv")


@pytest.mark.django_db
def test_it_imports_a_semicolon_delimited_file(defaults: None, tmp_path: Path) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text("external_id;company;employees;deal_value\nS1;Acme, Inc.;51-200;1500\nS2;Globex;7;\n")

    out, _ = run_import(path)

    assert last_line(out) == "imported=2 labels=0 rejected=0 warnings=0"
    lead = Lead.objects.get(external_id="S1")
    assert (lead.company, lead.employees, lead.deal_value) == ("Acme, Inc.", 125, 1500)


@pytest.mark.django_db
def test_it_imports_a_cp1252_encoded_file(defaults: None, admin: Any, tmp_path: Path) -> None:
    currency_set(user=admin, code="EUR")  # a team in euros: "€900" is its money
    path = tmp_path / "windows.csv"
    path.write_bytes("external_id,company,country,deal_value\nW1,Société Générale,Österreich,€900\n".encode("cp1252"))

    out, _ = run_import(path)

    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0"
    lead = Lead.objects.get(external_id="W1")
    assert (lead.company, lead.country, lead.deal_value) == ("Société Générale", "Österreich", 900)


@pytest.mark.django_db
def test_it_imports_an_excel_utf8_file_with_a_bom_and_crlf_line_endings(defaults: None, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "external_id,company,outcome\r\nX1,Zürich AG,Converted\r\nX2,Ørsted,Not Converted\r\n".encode("utf-8-sig")
    )

    out, _ = run_import(path, "--outcome-column", "outcome")

    assert last_line(out) == "imported=2 labels=2 rejected=0 warnings=0"
    assert dict(Lead.objects.values_list("company", "status")) == {"Zürich AG": "converted", "Ørsted": "not_converted"}


def upload(rows: str, name: str = "leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, rows.encode(), content_type="text/csv")


@pytest.mark.django_db
def test_the_upload_page_imports_like_the_command_and_shows_the_summary(admin: Any, page_for: Any) -> None:
    rows = "external_id,company,employees,stage\nW1,Acme,51-200,Won\nW2,Globex,,Lost\nW3,Initech,,\n,Nobody,,\n"

    response = page_for(admin).post(
        "/leads/import/",
        {"kind": "leads", "file": upload(rows), "outcome_column": "stage", "positive": "Won"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Imported 3 leads, 2 of them with a historical outcome" in body
    assert "1 row was rejected and not imported." in body
    assert "external_id" in body
    assert Lead.objects.get(external_id="W1").employees == 125
    assert dict(Label.objects.values_list("lead__external_id", "outcome")) == {
        "W1": "converted",
        "W2": "not_converted",
    }


@pytest.mark.django_db
def test_the_upload_page_imports_activities_too(admin: Any, page_for: Any) -> None:
    client = page_for(admin)
    client.post("/leads/import/", {"kind": "leads", "file": upload("external_id\nL1\n")})

    response = client.post(
        "/leads/import/",
        {
            "kind": "activities",
            "file": upload("lead,type,occurred_at\nL1,email_open,2026-10-01\nNOPE,call,2026-10-01\n"),
        },
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Imported 1 new activity event." in body and "1 row was rejected and not imported." in body
    assert Lead.objects.get(external_id="L1").activities.count() == 1


@pytest.mark.django_db
def test_the_upload_page_answers_400_naming_a_missing_column(admin: Any, page_for: Any) -> None:
    response = page_for(admin).post("/leads/import/", {"kind": "leads", "file": upload("company\nAcme\n")})

    assert response.status_code == 400
    assert "external_id" in response.content.decode()
    assert not Lead.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["rep", "manager"])
def test_the_upload_page_is_forbidden_to_anyone_but_an_admin(
    role: str, request: pytest.FixtureRequest, page_for: Any
) -> None:
    client = page_for(request.getfixturevalue(role))

    assert client.get("/leads/import/").status_code == 403
    assert client.post("/leads/import/", {"kind": "leads", "file": upload("external_id\nL1\n")}).status_code == 403
    assert not Lead.objects.exists()


def write_bytes(tmp_path: Path, data: bytes, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.django_db
def test_a_quote_that_never_closes_is_reported_on_the_line_it_opens_instead_of_swallowing_the_file(
    defaults: None, tmp_path: Path
) -> None:
    path = write_bytes(tmp_path, b'external_id,company\nHQC0,Acme\nHQC1,"open quote\nHQC2,x\nHQC3,y\n')

    out, err = run_import(path)

    assert last_line(out) == "imported=1 labels=0 rejected=1 warnings=0"
    assert err.strip() == (
        'row 3: row: a quoted value that starts on line 3 runs to the end of the file (its closing " is missing): '
        "this row and the lines after it were not imported"
    )
    assert list(Lead.objects.values_list("external_id", "company")) == [("HQC0", "Acme")]


@pytest.mark.django_db
def test_a_file_whose_only_row_has_a_quote_that_never_closes_fails(defaults: None, tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b'external_id,company\nHQC1,"open quote\nHQC2,x\nHQC3,y\n')

    with pytest.raises(CommandError, match="nothing could be imported"):
        run_import(path)

    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_header_whose_quote_never_closes_is_refused_naming_line_1(defaults: None, tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b'"external_id,company\nHQC1,Acme\n')

    with pytest.raises(CommandError, match="starts on line 1 runs to the end of the file"):
        run_import(path)


@pytest.mark.django_db
def test_a_quoted_value_over_several_lines_that_closes_still_comes_in(defaults: None, tmp_path: Path) -> None:
    path = write_bytes(tmp_path, b'external_id,company\nM1,"two\nlines"\nM2,"last, unterminated line"')

    out, _ = run_import(path)

    assert last_line(out) == "imported=2 labels=0 rejected=0 warnings=0"
    assert Lead.objects.get(external_id="M1").company == "two\nlines"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data"),
    [
        pytest.param("external_id\tcompany\r\nU1\tZürich AG\r\n".encode("utf-16"), id="Excel Unicode text, BOM"),
        pytest.param("external_id,company\nU1,Zürich AG\n".encode("utf-16-le"), id="UTF-16LE without a BOM"),
        pytest.param("external_id,company\nU1,Zürich AG\n".encode("utf-16-be"), id="UTF-16BE without a BOM"),
    ],
)
def test_it_imports_a_utf16_file_as_excel_saves_unicode_text(defaults: None, tmp_path: Path, data: bytes) -> None:
    out, _ = run_import(write_bytes(tmp_path, data))

    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0"
    assert Lead.objects.get(external_id="U1").company == "Zürich AG"


@pytest.mark.django_db
def test_a_broken_utf16_file_is_refused_asking_for_csv_utf8(defaults: None, tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "external_id\nU1\n".encode("utf-16") + b"\x00")  # an odd byte at the end

    with pytest.raises(CommandError, match=r"looks UTF-16 encoded .*save it as CSV UTF-8"):
        run_import(path)


@pytest.mark.django_db
def test_two_long_column_names_are_never_merged_into_one_attribute(defaults: None, tmp_path: Path) -> None:
    long_a, long_b = "k" * 100 + "A", "k" * 100 + "B"
    path = write_csv(tmp_path, [["LC1", "first", "second", "kept"]], header=["external_id", long_a, long_b, "crm"])

    out, err = run_import(path)

    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=2"
    assert (
        err.strip().splitlines()
        == [
            f"row 2: attributes: the column {'k' * 40!r}… has a name longer than 100 characters; "
            "its value was left out (shorten the name and import again)"
        ]
        * 2
    )
    assert Lead.objects.get(external_id="LC1").attributes == {"crm": "kept"}


RESERVED_IDS = ["import", "export.csv", "bulk", ".", "..", "HX/label", "HX/score", "a/b/score"]


@pytest.mark.django_db
@pytest.mark.parametrize("external_id", RESERVED_IDS)
def test_an_external_id_that_is_the_address_of_another_page_is_rejected_naming_it(
    defaults: None, tmp_path: Path, external_id: str
) -> None:
    path = write_csv(tmp_path, [good_row("G1"), good_row(external_id)])

    out, err = run_import(path)

    assert last_line(out) == "imported=1 labels=0 rejected=1 warnings=0"
    assert err.startswith(f"row 3: external_id: {external_id!r} is reserved") or err.startswith(
        "row 3: external_id: cannot end in '/"
    )
    assert list(Lead.objects.values_list("external_id", flat=True)) == ["G1"]


@pytest.mark.django_db
@pytest.mark.parametrize("external_id", ["ACME/42", "a/../b", "import/x", "score", "label", "x/score/y", "..."])
def test_an_external_id_with_a_slash_or_dots_elsewhere_comes_in_and_each_of_its_pages_is_its_own(
    defaults: None, tmp_path: Path, external_id: str
) -> None:
    out, _ = run_import(write_csv(tmp_path, [good_row(external_id)]))

    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0"
    for page in ("lead_detail", "lead_score", "lead_label"):
        # A link encodes the slashes (lead_url); the server reads them back decoded, as resolve() does.
        match = resolve(unquote(lead_url(external_id, page)))
        assert (match.url_name, match.kwargs) == (page, {"external_id": external_id})
    assert resolve(f"/api/leads/{external_id}").kwargs == {"external_id": external_id}


def test_every_fixed_address_under_leads_is_a_reserved_external_id() -> None:
    fixed = set()
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", [pattern]):
            route = str(inner.pattern)
            if route.startswith("leads/") and "<" not in route.split("/")[1]:
                fixed.add(route.split("/")[1])
    for route in api.urls[0]:
        parts = str(route.pattern).split("/")
        if parts[0] == "leads" and len(parts) > 1 and "<" not in parts[1]:
            fixed.add(parts[1])

    assert fixed - {""} <= parsing.RESERVED_IDS
    assert {"import", "export.csv", "bulk"} <= fixed


@pytest.mark.django_db
def test_a_created_at_with_an_offset_beyond_fourteen_hours_is_dropped_with_a_warning(
    defaults: None, tmp_path: Path
) -> None:
    rows = [
        ["Z1", "Acme", "", "", "", "2026-10-01T10:00:00+15:00"],
        ["Z2", "Acme", "", "", "", "2026-10-01T10:00:00-12:00"],
    ]

    out, err = run_import(write_csv(tmp_path, rows))

    assert last_line(out) == "imported=2 labels=0 rejected=0 warnings=1"
    assert err.strip() == ("row 2: created_at: a time zone offset is at most ±14:00, got '2026-10-01T10:00:00+15:00'")
    assert Lead.objects.get(external_id="Z1").created_at is None
    assert Lead.objects.get(external_id="Z2").created_at == datetime(2026, 10, 1, 22, tzinfo=UTC)
