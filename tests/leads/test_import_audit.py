"""Every import is in the audit log: who (the command for the command line), from where, the file's
name (or "API") and the counts; the same for the upload page and the bulk API."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from config.models import AuditLog
from leads.models import Lead

pytestmark = pytest.mark.django_db


def entry(action: str) -> AuditLog:
    return AuditLog.objects.get(action=action)


def test_the_import_leads_command_records_the_command_the_file_and_the_counts(defaults: None, tmp_path: Path) -> None:
    path = tmp_path / "q4-leads.csv"
    path.write_text("external_id,stage,deal_value\nL1,Won,abc\nL2,,\n,Lost,\n")

    call_command("import_leads", str(path), "--outcome-column", "stage", "--positive", "Won", stdout=io.StringIO())

    audited = entry("import.leads")
    assert audited.user is None and audited.target == "leads from q4-leads.csv"
    assert audited.changes == {
        "source": "manage.py import_leads",
        "file": "q4-leads.csv",
        "imported": 2,
        "labels": 1,
        "rejected": 1,
        "warnings": 1,
    }


def test_the_import_activities_command_records_the_duplicates_too(defaults: None, tmp_path: Path) -> None:
    Lead.objects.create(external_id="L1")
    path = tmp_path / "events.csv"
    path.write_text("lead,type,occurred_at\nL1,call,2026-10-01\nL1,call,2026-10-01\nNOPE,call,2026-10-01\n")

    call_command("import_activities", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    audited = entry("import.activities")
    assert audited.user is None and audited.target == "activities from events.csv"
    assert audited.changes == {
        "source": "manage.py import_activities",
        "file": "events.csv",
        "imported": 1,
        "labels": 0,
        "rejected": 1,
        "warnings": 0,
        "duplicates": 1,
    }


def test_an_import_that_saved_nothing_is_recorded_with_its_counts(defaults: None, tmp_path: Path) -> None:
    path = tmp_path / "empty-ids.csv"
    path.write_text("external_id,company\n,Acme\n")

    with pytest.raises(CommandError):
        call_command("import_leads", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert entry("import.leads").changes["rejected"] == 1


def test_the_upload_page_records_the_admin_and_the_file_name(admin: Any, page_for: Any) -> None:
    upload = SimpleUploadedFile("hubspot export.csv", b"external_id,company\nL1,Acme\n", content_type="text/csv")

    response = page_for(admin).post("/leads/import/", {"kind": "leads", "file": upload})

    assert response.status_code == 200
    audited = entry("import.leads")
    assert audited.user == admin and audited.target == "leads from hubspot export.csv"
    assert audited.changes["source"] == "upload page" and audited.changes["imported"] == 1


@pytest.mark.parametrize(
    ("path", "items", "action"),
    [
        ("/api/leads/bulk", [{"external_id": "L9"}], "import.leads"),
        ("/api/activities/bulk", [{"lead": "L1", "type": "call", "occurred_at": "2026-10-01"}], "import.activities"),
    ],
)
def test_the_bulk_api_records_the_token_user_and_api(
    admin: Any, api_for: Any, path: str, items: list[dict[str, str]], action: str
) -> None:
    Lead.objects.create(external_id="L1")

    assert api_for(admin).post(path, {"items": items}).status_code == 200

    audited = entry(action)
    assert audited.user == admin and audited.target.endswith("from API")
    assert audited.changes["source"] == "API" and audited.changes["file"] == "API"
    assert audited.changes["imported"] == 1
