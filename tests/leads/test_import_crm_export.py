"""A CRM's own export, as a customer brings it: a status column that holds more than won and lost
("Open" leads among them), and headers as the CRM writes them ("Company", "Deal Value")."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from feedback.models import Label, LabelSource
from feedback.services import label_submit
from leads.models import Lead, LeadStatus
from tests.leads.test_import_leads import last_line, run_import, write_csv

HEADER = ["external_id", "company", "Status"]
ROWS = [["W1", "Won Co", "Won"], ["L1", "Lost Co", "Lost"], ["O1", "Open Co", "Open"], ["O2", "Busy Co", " open "]]


def statuses() -> dict[str, str]:
    return dict(Lead.objects.values_list("external_id", "status"))


@pytest.mark.django_db
def test_a_status_column_with_more_than_won_and_lost_is_said_plainly(defaults: None, tmp_path: Path) -> None:
    out, err = run_import(write_csv(tmp_path, ROWS, header=HEADER), "--outcome-column", "Status", "--positive", "Won")

    assert last_line(out) == "imported=4 labels=4 rejected=0 warnings=0"  # the contract: any other value is a loss
    # "Open" and " open " are one value, as an open value would match them, shown as first seen
    assert "note: Status: besides 'Won' (converted), 2 values were imported as not converted" in err
    assert "'Open' (2 rows)" in err and "'Lost' (1 row)" in err and "--open-value" in err


@pytest.mark.django_db
def test_open_values_leave_their_leads_open(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, ROWS, header=HEADER)

    out, err = run_import(path, "--outcome-column", "Status", "--positive", "Won", "--open-value", "OPEN")

    assert last_line(out) == "imported=4 labels=2 rejected=0 warnings=0"
    assert statuses() == {"W1": "converted", "L1": "not_converted", "O1": "open", "O2": "open"}
    assert "note:" not in err  # one value besides Won is left: won and lost, nothing to say


@pytest.mark.django_db
def test_importing_again_with_an_open_value_withdraws_what_an_import_gave_but_never_a_reps_label(
    defaults: None, tmp_path: Path, rep: Any
) -> None:
    path = write_csv(tmp_path, ROWS, header=HEADER)
    run_import(path, "--outcome-column", "Status", "--positive", "Won")  # Open read as lost, the contract's default
    assert statuses()["O1"] == "not_converted"
    rep_lead = Lead.objects.create(external_id="R1", company="Rep Co")
    label_submit(user=rep, lead=rep_lead, outcome="converted", reason_code="champion")
    path = write_csv(tmp_path, [*ROWS, ["R1", "Rep Co", "Open"]], header=HEADER)

    out, err = run_import(path, "--outcome-column", "Status", "--positive", "Won", "--open-value", "Open")

    assert statuses() == {"W1": "converted", "L1": "not_converted", "O1": "open", "O2": "open", "R1": "converted"}
    assert set(Label.objects.values_list("lead__external_id", flat=True)) == {"W1", "L1", "R1"}
    assert Label.objects.get(lead__external_id="R1").source != LabelSource.IMPORT
    assert "reopened 2 lead(s)" in err
    assert last_line(out) == "imported=5 labels=2 rejected=0 warnings=0"


@pytest.mark.django_db
def test_an_open_value_needs_the_outcome_column(defaults: None, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="--open-value needs --outcome-column"):
        run_import(write_csv(tmp_path, ROWS, header=HEADER), "--open-value", "Open")


@pytest.mark.django_db
def test_known_columns_are_read_whatever_their_case_spaces_or_hyphens(defaults: None, tmp_path: Path) -> None:
    header = ["External ID", "Company", "INDUSTRY", "Deal Value", "created-at", "Region"]
    path = write_csv(tmp_path, [["X1", "Acme", "retail", "$12,500.00", "2026-03-14", "EMEA"]], header=header)

    out, _ = run_import(path)

    lead = Lead.objects.get(external_id="X1")
    assert (lead.company, lead.industry, lead.deal_value, lead.created_at.date().isoformat()) == (
        "Acme",
        "retail",
        12500.0,
        "2026-03-14",
    )
    assert lead.attributes == {"Region": "EMEA"}  # an unknown column stays a custom attribute, as named
    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0"


@pytest.mark.django_db
def test_a_known_name_already_in_the_file_keeps_the_look_alike_a_custom_column(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["X1", "Acme", "Acme Corp"]], header=["external_id", "company", "Company"])

    run_import(path)

    lead = Lead.objects.get(external_id="X1")
    assert (lead.company, lead.attributes) == ("Acme", {"Company": "Acme Corp"})


@pytest.mark.django_db
def test_the_upload_page_takes_open_values_and_says_what_it_reopened(admin: Any, page_for: Any) -> None:
    data = b"external_id,Status\nW1,Won\nO1,Open\nO2,In progress\n"
    body = {"kind": "leads", "outcome_column": "Status", "positive": "Won"}
    first = page_for(admin).post("/leads/import/", {**body, "file": SimpleUploadedFile("crm.csv", data)})
    assert "2 values were imported as not converted" in first.content.decode()

    again = page_for(admin).post(
        "/leads/import/",
        {**body, "open_values": "open, in progress", "file": SimpleUploadedFile("crm.csv", data)},
    )

    page = again.content.decode()
    assert "2 leads reopened" in page and "imported as not converted" not in page
    assert statuses() == {"W1": "converted", "O1": LeadStatus.OPEN, "O2": LeadStatus.OPEN}


@pytest.mark.django_db
def test_the_bulk_api_takes_open_values_and_reports_notices_and_reopened_leads(admin: Any, api_for: Any) -> None:
    items = [
        {"external_id": "W1", "stage": "won"},
        {"external_id": "O1", "stage": "open"},
        {"external_id": "L1", "stage": "lost"},
    ]
    api = api_for(admin)

    first = api.post("/api/leads/bulk", {"items": items, "outcome_column": "stage", "positive": "won"}).json()
    again = api.post(
        "/api/leads/bulk", {"items": items, "outcome_column": "stage", "positive": "won", "open_values": ["Open"]}
    ).json()
    orphan = api.post("/api/leads/bulk", {"items": items, "open_values": ["open"]})

    assert first["notices"] and "'open' (1 row)" in first["notices"][0] and first["reopened"] == 0
    assert (again["labels"], again["reopened"], again["notices"]) == (2, 1, [])
    assert statuses()["O1"] == "open"
    assert orphan.status_code == 400 and "open_values: needs outcome_column" in orphan.json()["detail"]


@pytest.mark.django_db
def test_an_outcome_a_reps_label_contradicts_is_left_out_and_said(defaults: None, tmp_path: Path, rep: Any) -> None:
    lead = Lead.objects.create(external_id="L1", company="Lost Co")
    label_submit(user=rep, lead=lead, outcome="not_converted", reason_code="competitor")
    rows = [["W1", "Won Co", "Won"], ["L1", "Lost Co", "Won"]]

    out, err = run_import(write_csv(tmp_path, rows, header=HEADER), "--outcome-column", "Status", "--positive", "Won")

    assert Label.objects.get(lead=lead).outcome == "not_converted"  # the rep's answer stands
    assert "note: Status: 1 outcome left out: a rep labeled that lead otherwise" in err
    assert last_line(out) == "imported=2 labels=1 rejected=0 warnings=0"


@pytest.mark.django_db
def test_a_column_of_dates_in_another_format_is_said_once_with_what_to_do(defaults: None, tmp_path: Path) -> None:
    rows = [[f"D{i}", "Acme", f"03/{10 + i}/2026"] for i in range(12)]

    _, err = run_import(write_csv(tmp_path, rows, header=["external_id", "company", "Made On"]))
    leads_out, leads_err = run_import(write_csv(tmp_path, rows, header=["external_id", "company", "created_at"]))
    events = write_csv(tmp_path, [[lead, "call", day] for lead, _, day in rows], header=["lead", "type", "occurred_at"])
    events_err = io.StringIO()
    with pytest.raises(CommandError):  # every row rejected: nothing could be imported
        call_command("import_activities", str(events), stdout=io.StringIO(), stderr=events_err)

    assert "note:" not in err  # "Made On" is a custom column: nothing was read as a date
    assert last_line(leads_out) == "imported=12 labels=0 rejected=0 warnings=12"
    assert "note: created_at: 12 values are not dates Leadloop reads. Dates are ISO: 2026-03-14" in leads_err
    assert "note: occurred_at: 12 values are not dates Leadloop reads" in events_err.getvalue()
