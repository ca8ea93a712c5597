"""``manage.py import_activities``: columns lead, type, occurred_at; bad rows reported and skipped."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from leads.models import Activity, Lead

HEADER = ["lead", "type", "occurred_at"]


@pytest.fixture
def leads(defaults: None) -> None:
    Lead.objects.create(external_id="L1", company="Acme")
    Lead.objects.create(external_id="L2", company="Globex")


def write_csv(tmp_path: Path, rows: list[list[str]], *, header: list[str] = HEADER) -> Path:
    path = tmp_path / "activities.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_activities", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.mark.django_db
def test_it_imports_events_and_prints_the_summary_last(leads: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            ["L1", "email_open", "2026-10-01"],
            ["L1", "Pricing Visit", "2026-10-02T14:30:00+02:00"],
            ["L2", "meeting", "2026-10-03 09:00"],
        ],
    )

    out, err = run_import(path)

    assert last_line(out) == "imported=3 labels=0 rejected=0 warnings=0 duplicates=0"
    assert err == ""
    events = list(
        Activity.objects.filter(lead__external_id="L1").order_by("occurred_at").values_list("type", "occurred_at")
    )
    assert events == [
        ("email_open", datetime(2026, 10, 1, tzinfo=UTC)),
        ("pricing_visit", datetime(2026, 10, 2, 12, 30, tzinfo=UTC)),
    ]
    assert Activity.objects.get(lead__external_id="L2").occurred_at == datetime(2026, 10, 3, 9, 0, tzinfo=UTC)


BAD_ROWS = [
    pytest.param(["NOPE", "call", "2026-10-01"], "lead", id="unknown lead"),
    pytest.param(["", "call", "2026-10-01"], "lead", id="missing lead"),
    pytest.param(["L1", "", "2026-10-01"], "type", id="missing type"),
    pytest.param(["L1", "call", "yesterday"], "occurred_at", id="bad occurred_at"),
    pytest.param(["L1", "call", ""], "occurred_at", id="missing occurred_at"),
    pytest.param(["L1", "x" * 51, "2026-10-01"], "type", id="type over its max length"),
    pytest.param(["L1", "call", "2026-10-01", "extra"], "row", id="too many fields"),
    pytest.param(["L1", "call", "2199-01-01"], "occurred_at", id="in the future"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("bad", "field"), BAD_ROWS)
def test_it_reports_a_bad_row_with_its_number_and_field_and_imports_the_others(
    leads: None, tmp_path: Path, bad: list[str], field: str
) -> None:
    path = write_csv(tmp_path, [["L1", "email_open", "2026-10-01"], bad, ["L2", "call", "2026-10-02"]])

    out, err = run_import(path)

    assert last_line(out) == "imported=2 labels=0 rejected=1 warnings=0 duplicates=0"
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"row 3: {field}: ")
    assert Activity.objects.count() == 2


@pytest.mark.django_db
def test_an_event_more_than_a_day_ahead_is_a_row_problem_and_one_within_a_day_comes_in(
    leads: None, tmp_path: Path
) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=20)).isoformat()
    later = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    path = write_csv(
        tmp_path, [["L1", "call", soon], ["L1", "meeting", later.isoformat()], ["L2", "call", "2199-01-01"]]
    )

    out, err = run_import(path)

    assert last_line(out) == "imported=1 labels=0 rejected=2 warnings=0 duplicates=0"
    assert err.strip().splitlines() == [
        f"row 3: occurred_at: {later:%Y-%m-%d %H:%M} UTC is in the future (more than a day ahead)",
        "row 4: occurred_at: 2199-01-01 00:00 UTC is in the future (more than a day ahead)",
    ]
    assert list(Activity.objects.values_list("type", flat=True)) == ["call"]


@pytest.mark.django_db
def test_an_unknown_lead_is_named_in_the_error(leads: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["L1", "call", "2026-10-01"], ["GHOST-7", "call", "2026-10-01"]])

    _, err = run_import(path)

    assert err.strip().startswith("row 3: lead: ")
    assert "GHOST-7" in err


@pytest.mark.django_db
def test_importing_the_same_file_again_duplicates_no_event(leads: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            ["L1", "email_open", "2026-10-01"],
            ["L1", "email_open", "2026-10-02"],
            ["L2", "call", "2026-10-01T10:00:00Z"],
        ],
    )
    run_import(path)

    out, err = run_import(path)  # nothing new, and not a failure

    assert last_line(out) == "imported=0 labels=0 rejected=0 warnings=0 duplicates=3"
    assert err == ""
    assert Activity.objects.count() == 3


@pytest.mark.django_db
def test_the_same_event_written_differently_is_stored_once(leads: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        [
            ["L1", "Email Open", "2026-10-01"],
            ["L1", "email_open", "2026-10-01T00:00:00Z"],
            ["L1", "email-open", "2026-10-01T02:00:00+02:00"],
        ],
    )

    out, _ = run_import(path)

    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0 duplicates=2"
    assert Activity.objects.count() == 1


@pytest.mark.django_db
def test_the_count_is_of_new_events_and_an_event_already_there_is_counted_apart(leads: None, tmp_path: Path) -> None:
    run_import(write_csv(tmp_path, [["L1", "call", "2026-10-01"]]))
    path = write_csv(
        tmp_path,
        [
            ["L1", "call", "2026-10-01"],
            ["L1", "call", "2026-10-02"],
            ["L1", "meeting", "2026-10-02"],
            ["L2", "call", "2026-10-01"],
            ["L2", "call", "2026-10-03"],
        ],
    )

    out, _ = run_import(path)

    assert last_line(out) == "imported=4 labels=0 rejected=0 warnings=0 duplicates=1"
    assert Activity.objects.count() == 5


@pytest.mark.django_db
def test_it_fails_when_no_row_can_be_imported(leads: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path, [["NOPE", "call", "2026-10-01"], ["L1", "call", "soon"]])
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="nothing could be imported"):
        call_command("import_activities", str(path), stdout=out, stderr=err)

    assert last_line(out.getvalue()) == "imported=0 labels=0 rejected=2 warnings=0 duplicates=0"
    assert "row 2: lead: " in err.getvalue()
    assert "row 3: occurred_at: " in err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("missing", HEADER)
def test_it_fails_on_a_file_without_a_required_column_and_names_it(leads: None, tmp_path: Path, missing: str) -> None:
    header = [name for name in HEADER if name != missing]
    path = write_csv(tmp_path, [["L1", "call"]], header=header)

    out = io.StringIO()

    with pytest.raises(CommandError, match=missing):
        call_command("import_activities", str(path), stdout=out, stderr=io.StringIO())

    assert last_line(out.getvalue()) == "imported=0 labels=0 rejected=0 warnings=0 duplicates=0"
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_it_fails_when_rows_were_rejected_and_the_rest_were_stored_already(leads: None, tmp_path: Path) -> None:
    run_import(write_csv(tmp_path, [["L1", "call", "2026-10-01"]]))
    path = write_csv(tmp_path, [["L1", "call", "2026-10-01"], ["GHOST-7", "call", "2026-10-01"]])
    out = io.StringIO()

    with pytest.raises(CommandError, match="nothing could be imported") as failed:
        call_command("import_activities", str(path), stdout=out, stderr=io.StringIO())

    assert failed.value.returncode == 1
    assert last_line(out.getvalue()) == "imported=0 labels=0 rejected=1 warnings=0 duplicates=1"


@pytest.mark.django_db
def test_it_exits_1_from_the_command_line_when_only_rejected_rows_and_duplicates_remain(
    leads: None, tmp_path: Path
) -> None:
    run_import(write_csv(tmp_path, [["L1", "call", "2026-10-01"]]))
    path = write_csv(tmp_path, [["L1", "call", "2026-10-01"], ["L1", "call", "soon"]])

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_activities", str(path)]).execute()

    assert exited.value.code == 1


@pytest.mark.django_db
def test_a_type_the_model_has_not_learned_from_is_imported_with_a_warning_on_its_first_row(
    leads: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo ("teleport" for a kind of visit) would become a kind of activity of its own: say so once."""
    monkeypatch.setattr(
        "leads.management.commands.import_activities.known_activity_types", lambda: {"email_open", "meeting"}
    )
    path = write_csv(
        tmp_path,
        [
            ["L1", "email_open", "2026-10-01"],
            ["L1", "teleport", "2026-10-02"],
            ["L2", "teleport", "2026-10-03"],
            ["L9", "warp", "2026-10-03"],  # an unknown lead: rejected, so no warning about its type
            ["L2", "teleport", "2026-10-04"],
        ],
    )

    out, err = run_import(path)

    assert Activity.objects.filter(type="teleport").count() == 3
    warning = "row 3: type: 'teleport' is new to the model (it knows email_open, meeting), on this row and 2 more: if"
    assert warning in err
    assert "'warp'" not in err
    assert last_line(out) == "imported=4 labels=0 rejected=1 warnings=1 duplicates=0"


@pytest.mark.django_db
def test_before_the_first_model_every_type_is_welcome(leads: None, tmp_path: Path) -> None:
    out, _ = run_import(write_csv(tmp_path, [["L1", "teleport", "2026-10-02"]]))
    assert last_line(out) == "imported=1 labels=0 rejected=0 warnings=0 duplicates=0"


@pytest.mark.django_db
def test_a_quote_that_never_closes_is_reported_on_the_line_it_opens(leads: None, tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    path.write_bytes(b'lead,type,occurred_at\nL1,call,2026-10-01\nL2,"call,2026-10-02\nL1,email,2026-10-03\n')

    out, err = run_import(path)

    assert last_line(out) == "imported=1 labels=0 rejected=1 warnings=0 duplicates=0"
    assert err.strip().startswith("row 3: row: a quoted value that starts on line 3 runs to the end of the file")
    assert list(Activity.objects.values_list("type", flat=True)) == ["call"]


@pytest.mark.django_db
def test_a_time_zone_offset_beyond_fourteen_hours_is_a_row_problem_as_in_the_sync_api(
    leads: None, tmp_path: Path
) -> None:
    rows = [
        ["L1", "call", "2026-10-01T10:00:00+15:00"],
        ["L1", "email", "2026-10-01T10:00:00+14:00"],
        ["L2", "call", "2026-10-01T10:00:00-12:00"],
    ]

    out, err = run_import(write_csv(tmp_path, rows))

    assert last_line(out) == "imported=2 labels=0 rejected=1 warnings=0 duplicates=0"
    assert err.strip() == "row 2: occurred_at: a time zone offset is at most ±14:00, got '2026-10-01T10:00:00+15:00'"
