"""A backtest reads a CRM's export as the import does: its header names, not only the exact ones."""

from __future__ import annotations

import io
import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from leads.csvframes import activity_frame_from_csv, lead_frames_from_csv
from leads.models import Lead
from leads.services import import_leads_csv

# "Lead ID" and "Amount" are aliases (a CRM's names for external_id and deal_value), "Industry" and
# "Job Title" differ from the known names by case and by an alias; "Plan" stays a custom attribute.
LEADS = "Lead ID,Industry,Job Title,Amount,Plan,Result\n" + "".join(
    f"L{i},{'software' if i % 3 else 'retail'},{'CTO' if i % 2 else 'Analyst'},{1000 * (i % 7)},"
    f"{'pro' if i % 4 else 'free'},{'Won' if i % 3 and i % 2 else 'Lost'}\n"
    for i in range(60)
)
ACTIVITIES = "Lead ID,Activity Type,Activity Date\n" + "".join(
    f"L{i},Pricing Visit,2026-06-{1 + i % 28:02d}\n" for i in range(60) if i % 2
)


def test_the_lead_frame_reads_the_header_as_the_import_does() -> None:
    frames = lead_frames_from_csv(stream=io.BytesIO(LEADS.encode()), outcome_column="Result", positive="Won")

    assert frames.errors == []
    assert frames.renamed == {"Lead ID": "external_id", "Job Title": "title", "Amount": "deal_value"}
    assert list(frames.profiles.index[:2]) == ["L0", "L1"]  # the CRM's ids, not the row numbers
    assert {"industry", "title", "deal_value", "Plan"} <= set(frames.profiles.columns)
    assert not {"Industry", "Job Title", "Amount", "Lead ID"} & set(frames.profiles.columns)
    assert frames.profiles.loc["L3", "deal_value"] == 3000
    assert frames.profiles.loc["L3", "industry"] == "retail"


@pytest.mark.django_db
def test_the_backtest_sees_what_the_import_stores() -> None:
    frames = lead_frames_from_csv(stream=io.BytesIO(LEADS.encode()), outcome_column="Result", positive="Won")
    import_leads_csv(stream=io.BytesIO(LEADS.encode()), outcome_column="Result", positive="Won")

    stored = {
        lead.external_id: (lead.industry, lead.title, lead.deal_value, lead.attributes) for lead in Lead.objects.all()
    }
    assert set(stored) == set(frames.profiles.index)
    for external_id, (industry, title, deal_value, attributes) in stored.items():
        row = frames.profiles.loc[external_id]
        assert (row["industry"], row["title"], row["Plan"]) == (industry, title, attributes["Plan"])
        assert float(row["deal_value"]) == float(deal_value)
        assert set(attributes) == {"Plan"}  # the aliases became fields on both paths, not attributes


def test_the_activity_frame_reads_the_activity_aliases() -> None:
    renamed: dict[str, str] = {}
    events, errors = activity_frame_from_csv(
        stream=io.BytesIO(ACTIVITIES.encode()), lead_ids=np.array([f"L{i}" for i in range(60)]), renamed=renamed
    )

    assert errors == []
    assert renamed == {"Lead ID": "lead", "Activity Type": "type", "Activity Date": "occurred_at"}
    assert len(events) == 30 and set(events["type"]) == {"pricing_visit"}  # normalised as the import stores it


def test_simulate_takes_a_crm_export_and_says_how_it_read_it(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(LEADS)
    (tmp_path / "activities.csv").write_text(ACTIVITIES)
    out, stdout = tmp_path / "out.json", StringIO()

    call_command(
        "simulate",
        *("--csv", str(tmp_path / "leads.csv"), "--outcome-column", "Result", "--positive", "Won"),
        *("--activities", str(tmp_path / "activities.csv"), "--initial", "10", "--batch", "5"),
        *("--rounds", "1", "--seeds", "1", "--json", str(out)),
        stdout=stdout,
    )

    printed = stdout.getvalue()
    assert "Columns read under Leadloop's names: 'Lead ID' as external_id, 'Job Title' as title" in printed
    assert "'Activity Type' as type, 'Activity Date' as occurred_at" in printed
    assert "60 leads with an outcome, 20 converted; 30 activities" in printed
    assert set(json.loads(out.read_text())["curves"]) >= {"random"}


def status_csv(tmp_path: Path) -> Path:
    """A CRM's status column: won, lost, and leads still open."""
    path = tmp_path / "status.csv"
    stages = ["Won", "Lost", "lost", "Open", "LOST "]  # one lost value, as an open value would match it
    rows = "".join(f"L{i},{'software' if i % 3 else 'retail'},{i % 7},{stages[i % 5]}\n" for i in range(100))
    path.write_text("Lead ID,Industry,Seats,Status\n" + rows)
    return path


def simulate_status(path: Path, *extra: str) -> str:
    stdout = StringIO()
    call_command(
        "simulate",
        *("--csv", str(path), "--outcome-column", "Status", "--positive", "Won", "--initial", "10"),
        *("--batch", "5", "--rounds", "1", "--seeds", "1", "--json", str(path.with_suffix(".json")), *extra),
        stdout=stdout,
    )
    return stdout.getvalue()


def test_simulate_says_which_values_it_read_as_lost(tmp_path: Path) -> None:
    printed = simulate_status(status_csv(tmp_path))

    assert (
        "Status: besides 'Won' (converted), 2 values were read as not converted: 'Lost' (60 rows), 'Open' (20 rows); "
        "if one means the lead is still open, name it with --open-value VALUE"
    ) in printed
    assert "100 leads with an outcome, 20 converted" in printed


def test_an_open_value_leaves_those_leads_out_as_the_import_keeps_them_open(tmp_path: Path) -> None:
    printed = simulate_status(status_csv(tmp_path), "--open-value", "open")

    assert "20 rows without an outcome left out" in printed
    assert "80 leads with an outcome, 20 converted" in printed
    assert "besides 'Won'" not in printed  # only one value is read as lost now


def test_values_the_import_would_leave_out_are_said_once_per_field(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ["deal_value", *(f"c{j}" for j in range(104)), "result"]
    rows = [
        [
            ("lots" if i % 10 == 0 else str(100 * i)),
            *(str((i * j) % 7) for j in range(104)),
            ("Won" if i % 3 else "Lost"),
        ]
        for i in range(60)
    ]
    path.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n")
    stderr = StringIO()

    call_command(
        "simulate",
        *("--csv", str(path), "--outcome-column", "result", "--positive", "Won", "--initial", "10", "--batch", "5"),
        *("--rounds", "1", "--seeds", "1", "--json", str(tmp_path / "out.json")),
        stdout=StringIO(),
        stderr=stderr,
    )

    said = stderr.getvalue().splitlines()
    assert len([line for line in said if line.startswith("deal_value: left out of 6 rows, the lead kept")]) == 1
    assert "(the first: row 2: deal_value: expected a number" in stderr.getvalue()
    assert len([line for line in said if line.startswith("attributes: left out of 60 rows")]) == 1
    assert "more than 100 custom columns; 4 left out" in stderr.getvalue()
