"""A CRM's export names the known columns its own way ("Lead ID", "No. of Employees", "Created
Date"): an import reads such a column as Leadloop's when the file lacks the column itself, and says so."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from feedback.models import Label
from leads.models import Activity, Lead
from tests.leads.test_import_leads import last_line, run_import, write_csv


@pytest.mark.django_db
def test_a_salesforce_export_comes_in_under_the_known_columns_and_says_which(defaults: None, tmp_path: Path) -> None:
    header = ["Lead ID", "Company / Account", "No. of Employees", "Lead Source", "Created Date", "Amount", "Region"]
    rows = [["00Q5e01", "Acme", "51-200", "Webinar", "2026-03-14", "12,500", "EMEA"]]

    out, err = run_import(write_csv(tmp_path, rows, header=header))

    lead = Lead.objects.get(external_id="00Q5e01")
    assert (lead.company, lead.employees, lead.source, lead.deal_value) == ("Acme", 125, "Webinar", 12500.0)
    assert lead.created_at.date().isoformat() == "2026-03-14"
    assert lead.attributes == {"Region": "EMEA"}  # a column no known one goes by stays custom, as named
    read = "'Lead ID' as external_id, 'Company / Account' as company, 'No. of Employees' as employees"
    assert f"note: Columns read under Leadloop's names: {read}, 'Lead Source' as source" in err
    assert "'Created Date' as created_at, 'Amount' as deal_value (to keep one" in err
    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0"


@pytest.mark.django_db
def test_the_known_column_itself_wins_and_the_other_name_stays_custom(defaults: None, tmp_path: Path) -> None:
    header = ["external_id", "Id", "Deal Value", "Amount"]

    _, err = run_import(write_csv(tmp_path, [["X1", "17", "900", "12"]], header=header))

    lead = Lead.objects.get(external_id="X1")
    assert (lead.deal_value, lead.attributes) == (900.0, {"Id": "17", "Amount": "12"})
    assert "Columns read" not in err  # nothing was read by another name


@pytest.mark.django_db
def test_two_columns_that_could_each_be_the_id_are_refused_naming_both(defaults: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["1", "00Q5e01", "Acme"]], header=["Id", "Lead ID", "company"])

    with pytest.raises(CommandError, match="Id and Lead ID could each be external_id: rename the one that is"):
        run_import(path)

    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_column_named_in_the_options_keeps_its_name(defaults: None, tmp_path: Path) -> None:
    rows = [["X1", "Won", "2026-05-02"]]

    run_import(
        write_csv(tmp_path, rows, header=["Lead ID", "Status", "Created"]),
        *("--outcome-column", "Status", "--positive", "Won", "--outcome-date-column", "Created"),
    )

    lead = Lead.objects.get(external_id="X1")
    assert lead.created_at is None or lead.created_at.date().isoformat() != "2026-05-02"  # not the lead's creation
    assert Label.objects.get(lead=lead).outcome_at.date().isoformat() == "2026-05-02"


@pytest.mark.django_db
def test_an_activity_export_comes_in_under_the_known_columns(defaults: None, tmp_path: Path) -> None:
    Lead.objects.create(external_id="00Q5e01", company="Acme")
    path = write_csv(
        tmp_path,
        [["00Q5e01", "call", "2026-03-14"]],
        header=["Lead ID", "Activity Type", "Activity Date"],
        name="a.csv",
    )
    err = io.StringIO()

    call_command("import_activities", str(path), stdout=io.StringIO(), stderr=err)

    assert list(Activity.objects.values_list("lead__external_id", "type")) == [("00Q5e01", "call")]
    assert "names: 'Lead ID' as lead, 'Activity Type' as type, 'Activity Date' as occurred_at" in err.getvalue()


@pytest.mark.django_db
def test_the_upload_page_says_which_columns_it_read_by_another_name(admin: Any, page_for: Any) -> None:
    data = b"Record ID,Company Name,Job Title\n101,Acme,CTO\n"

    response = page_for(admin).post(
        "/leads/import/", {"kind": "leads", "file": SimpleUploadedFile("hubspot.csv", data)}
    )

    assert "Columns read under Leadloop&#x27;s names: &#x27;Record ID&#x27; as external_id" in response.content.decode()
    assert Lead.objects.filter(external_id="101", company="Acme", title="CTO").exists()
