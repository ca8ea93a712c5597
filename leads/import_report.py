"""What the import page shows of an import: the counts in words and every row problem, kept for an
hour so the page can offer them as a CSV file."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass

from django.core.cache import cache

from leads.export import csv_safe
from leads.parsing import RowError
from leads.services import ImportResult

KEEP_SECONDS = 3600
MAX_KEPT = 100_000  # problems kept for the download; a file with more is broken as a whole
CSV_HEADER = ["row", "field", "problem", "what happened"]


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    message: str
    outcome: (
        str  # what happened to the row: "row rejected", "value dropped, row imported" or (activities) "row imported"
    )


@dataclass(frozen=True)
class ImportReport:
    kind: str  # leads or activities
    imported: int
    labels: int
    rejected: int
    warned: int
    problems: list[Problem]
    token: str
    kept: bool = False  # the problems are kept for the download (not when the shared cache is down)
    duplicates: int | None = None  # activities: events already stored, skipped (None for leads)
    reopened: int = 0  # leads whose imported outcome the file withdrew (an open value)
    notices: tuple[str, ...] = ()  # about the file as a whole

    @property
    def sentences(self) -> list[str]:
        """The counts in words, the thing that happened first."""
        noun = "lead" if self.kind == "leads" else "activity event"
        plural = "leads" if self.kind == "leads" else "activity events"
        done = f"Imported {self.imported:,} {noun if self.imported == 1 else plural}"
        if self.kind == "leads":
            done += f", {self.labels:,} of them with a historical outcome (a label the model learns from)"
        elif self.duplicates is not None:
            done = f"Imported {self.imported:,} new {noun if self.imported == 1 else plural}"
            if self.duplicates:
                done += (
                    f", {self.duplicates:,} already there (left as {'it was' if self.duplicates == 1 else 'they were'})"
                )
        lines = [done + "."]
        if self.reopened:
            lines.append(
                f"{self.reopened:,} lead{'s' if self.reopened != 1 else ''} reopened: the file says "
                f"{'they are' if self.reopened != 1 else 'it is'} still open, "
                "so an earlier import's outcome was withdrawn."
            )
        lines += self.notices
        if self.rejected:
            lines.append(
                f"{self.rejected:,} row{'s were' if self.rejected != 1 else ' was'} rejected and not imported."
            )
        if self.warned and self.kind == "activities":  # an event comes in whole: its warnings name new types
            types = "activity types" if self.warned != 1 else "activity type"
            lines.append(f"{self.warned:,} {types} the model has not learned from came in: check the spelling below.")
        elif self.warned:
            was = "values were" if self.warned != 1 else "value was"
            lines.append(
                f"{self.warned:,} {was} dropped with a warning; those rows came in without them "
                "(a lead already stored keeps its value)."
            )
        if not self.rejected and not self.warned:
            lines.append("No row had a problem.")
        return lines

    @property
    def ok(self) -> bool:
        """Something came in, or every event was there already (a file imported again): the import
        commands' rule for their exit status."""
        return ImportResult(imported=self.imported, rejected=self.rejected, duplicates=self.duplicates).succeeded


def _warnings(result: ImportResult) -> list[RowError]:
    """The importer's warnings (an optional value dropped, the row kept), where it reports them."""
    return list(result.warnings)


def import_report(*, result: ImportResult, kind: str) -> ImportReport:
    """Build the page's report from the importer's problem lists, and keep them for the download."""
    warnings = _warnings(result)
    problems = [Problem(e.row, e.field, e.message, "row rejected") for e in result.errors]
    kept = "row imported" if kind == "activities" else "value dropped, row imported"
    problems += [Problem(w.row, w.field, w.message, kept) for w in warnings]
    problems.sort(key=lambda p: (p.row, p.field))
    token = secrets.token_urlsafe(16)
    # The key is new, so add says whether it was kept (a shared cache that is down keeps nothing).
    stored = bool(problems) and cache.add(f"import-problems:{token}", problems[:MAX_KEPT], KEEP_SECONDS)
    return ImportReport(
        kind=kind,
        imported=result.imported,
        labels=result.labels,
        rejected=result.rejected,
        warned=len(warnings),
        problems=problems,
        token=token,
        kept=stored,
        duplicates=result.duplicates,
        reopened=result.reopened,
        notices=tuple(result.notices),
    )


def kept_problems(*, token: str) -> list[Problem] | None:
    """The problems of an import of the last hour, or None when they are gone (or never were)."""
    problems: list[Problem] | None = cache.get(f"import-problems:{token}")
    return problems


def problems_csv(problems: list[Problem]) -> str:
    """The problems as CSV; a field or message holds the file's own column names and values, so a
    cell a spreadsheet would run as a formula is prefixed with a quote, as the lead export does."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for p in problems:
        writer.writerow([p.row, csv_safe(p.field), csv_safe(p.message), csv_safe(p.outcome)])
    return out.getvalue()
