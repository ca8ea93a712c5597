"""CSV export of leads with their scores: streamed, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import itertools
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


def _started(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The rows, with the first one read now: a query that fails does so before the response starts
    (an error status, not a 200 with only the header). A failure later ends the stream with the
    exception, so the transfer is cut short for the client to see, never a complete-looking file."""
    first = next(rows, None)
    if first is None:
        return iter(())
    return itertools.chain((first,), rows)


def leads_csv_response(*, filters: SyncFilters, filename: str = "leads.csv") -> StreamingHttpResponse:
    """Every matching lead with its scores, streamed row by row (no whole file in memory)."""
    rows = _started(iter(lead_export_rows(filters=filters)))
    response = StreamingHttpResponse(csv_lines(rows, header=EXPORT_COLUMNS), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
