"""CSV files read into the same raw frames the database gives the feature pipeline.

``lead_profiles_frame`` / ``activity_events_frame`` (selectors) read stored leads; these read
a file with the importer's parsing, for a backtest that must see exactly what an import would
have stored. No database access.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import IO, Any

import pandas as pd

from leads.csvfile import SHORT_ROW, CsvFileError, read_rows
from leads.models import PROFILE_FIELDS
from leads.parsing import (
    ACTIVITY_COLUMN_ALIASES,
    KNOWN_LEAD_COLUMNS,
    LEAD_COLUMN_ALIASES,
    LostWords,
    RowError,
    RowInvalid,
    parse_activity_row,
    parse_lead_row,
)

ROW_ID = "row-{}"  # a row's id in a file without external_id: its row number
_ROW_ID = re.compile(r"row-\d+")


def is_row_id(lead_id: str) -> bool:
    """Is this the id a row without external_id was given (``ROW_ID``)?"""
    return _ROW_ID.fullmatch(lead_id) is not None


@dataclass
class LeadFrames:
    profiles: pd.DataFrame  # indexed by external_id, like lead_profiles_frame
    outcomes: pd.Series  # "converted" / "not_converted" per labeled lead
    errors: list[RowError] = field(default_factory=list)
    unlabeled: int = 0
    renamed: dict[str, str] = field(default_factory=dict)  # {name in the file: known column}, as the import reads it
    lost_values: LostWords = field(default_factory=LostWords)  # with ``positive``: the values read as not converted
    # Values the import would leave out of a lead it keeps (a bad deal value, columns over the limit):
    # per field, how many rows and the first of them.
    left_out: dict[str, tuple[int, RowError]] = field(default_factory=dict)
    # Without ``positive``: the outcome values that are neither converted nor not_converted, and how often.
    unreadable: Counter[str] = field(default_factory=Counter)


@dataclass
class Unmatched:
    """Activity rows whose lead is not among the leads read, and the first such lead."""

    rows: int = 0
    first: str | None = None


def lead_frames_from_csv(
    *, stream: IO[bytes], outcome_column: str, positive: str | None = None, open_values: Collection[str] = ()
) -> LeadFrames:
    """Leads with a known outcome. Rows are parsed as ``import_leads`` parses them; without an
    ``external_id`` column the row number stands in for it. Bad rows are reported and skipped,
    among them rows whose outcome is neither empty nor a value it can mean; an outcome in
    ``open_values`` is an open lead, as in the import. The header is read as the import reads it:
    "Deal Value" as deal_value, a CRM's "Lead ID" as external_id (``renamed``)."""
    records: list[dict[str, Any]] = []
    outcomes: dict[str, str] = {}
    errors: list[RowError] = []
    unlabeled = 0
    renamed: dict[str, str] = {}
    lost_values = LostWords()
    left_out: dict[str, tuple[int, RowError]] = {}
    unreadable: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    rows = read_rows(
        stream,
        required=(outcome_column,),
        known=KNOWN_LEAD_COLUMNS,
        aliases=LEAD_COLUMN_ALIASES,
        renamed=renamed,
    )
    for number, values in rows:
        if "__error__" in values:
            errors.append(RowError(number, "row", values["__error__"]))
            continue
        values.pop(SHORT_ROW, None)  # a backtest reads what the row has
        if not str(values.get("external_id") or "").strip():
            values = {**values, "external_id": ROW_ID.format(number)}
        try:
            row = parse_lead_row(
                values, outcome_column=outcome_column, positive=positive, open_values=open_values, missing_words=True
            )
        except RowInvalid as exc:
            errors.append(RowError(number, exc.field, exc.message))
            continue
        if row.external_id in first_seen:  # as the import: the first row of an id is the lead, open or not
            errors.append(
                RowError(
                    number,
                    "external_id",
                    f"{row.external_id!r} already appears on row {first_seen[row.external_id]} (the first is kept)",
                )
            )
            continue
        first_seen[row.external_id] = number
        if row.outcome is None:
            problem = next((message for name, message in row.warnings if name == outcome_column), None)
            if problem:  # a value the outcome column cannot mean: say so, rather than count it as unlabeled
                errors.append(RowError(number, outcome_column, problem))
                if positive is None:
                    unreadable[str(values.get(outcome_column, "")).strip()] += 1
            else:
                unlabeled += 1
            continue
        if positive is not None and row.outcome == "not_converted":
            lost_values.add(values.get(outcome_column))
        for name, message in row.warnings:
            count, first = left_out.get(name, (0, RowError(number, name, message)))
            left_out[name] = (count + 1, first)
        record = {"external_id": row.external_id, **row.profile}
        for key, value in row.attributes.items():
            record.setdefault(key, value)
        records.append(record)
        outcomes[row.external_id] = row.outcome
    columns = None if records else ["external_id", *PROFILE_FIELDS]
    profiles = pd.DataFrame.from_records(records, columns=columns).set_index("external_id")
    profiles.index.name = "lead_id"
    return LeadFrames(
        profiles=profiles,
        outcomes=pd.Series(outcomes, dtype=object).reindex(profiles.index),
        errors=errors,
        unlabeled=unlabeled,
        renamed=renamed,
        lost_values=lost_values,
        left_out=left_out,
        unreadable=unreadable,
    )


def activity_frame_from_csv(
    *,
    stream: IO[bytes],
    lead_ids: pd.Index,
    renamed: dict[str, str] | None = None,
    unmatched: Unmatched | None = None,
) -> tuple[pd.DataFrame, list[RowError]]:
    """Events as ``lead_id, type, occurred_at`` rows, parsed as ``import_activities`` parses them
    (its header names too: "Activity Date" as occurred_at, put in ``renamed``); events of leads not
    in ``lead_ids`` are left out, and counted in ``unmatched``."""
    known = set(lead_ids)
    rows: list[tuple[str, str, Any]] = []
    errors: list[RowError] = []
    columns = ("lead", "type", "occurred_at")
    lines = read_rows(stream, required=columns, known=columns, aliases=ACTIVITY_COLUMN_ALIASES, renamed=renamed)
    for number, values in lines:
        if "__error__" in values:
            errors.append(RowError(number, "row", values["__error__"]))
            continue
        try:
            row = parse_activity_row(values)
        except RowInvalid as exc:
            errors.append(RowError(number, exc.field, exc.message))
            continue
        if row.lead in known:
            rows.append((row.lead, row.type, row.occurred_at))
        elif unmatched is not None:
            unmatched.rows += 1
            unmatched.first = unmatched.first or row.lead
    return pd.DataFrame.from_records(rows, columns=["lead_id", "type", "occurred_at"]), errors


__all__ = [
    "ROW_ID",
    "CsvFileError",
    "LeadFrames",
    "Unmatched",
    "activity_frame_from_csv",
    "is_row_id",
    "lead_frames_from_csv",
]
