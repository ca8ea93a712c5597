"""CSV export of leads with their scores: streamed, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse

from leads.sync import EXPORT_COLUMNS, SyncFilters, lead_export_rows

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); a leading quote makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_safe(value: Any) -> Any:
    """The cell as a spreadsheet will show it, never as a formula. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(rows: Iterable[tuple[Any, ...]], *, header: tuple[str, ...]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_safe(value) for value in row])


def leads_csv_response(*, filters: SyncFilters, filename: str = "leads.csv") -> StreamingHttpResponse:
    """Every matching lead with its scores, streamed row by row (no whole file in memory)."""
    response = StreamingHttpResponse(
        csv_lines(lead_export_rows(filters=filters), header=EXPORT_COLUMNS), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
