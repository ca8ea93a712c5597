"""Reading an uploaded or local CSV file: encoding, delimiter, header, row numbers."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import IO

csv.field_size_limit(10 * 1024 * 1024)

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"


class CsvFileError(Exception):
    """The file as a whole cannot be read (no header, a required column missing...)."""


def _decode(raw: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return codecs.decode(raw, encoding)
        except UnicodeDecodeError:
            continue
    raise CsvFileError("the file is not text")  # latin-1 decodes anything; kept for clarity


SHORT_ROW = "__short__"  # a row with fewer fields than the header: its warning, under this key


def read_rows(stream: IO[bytes], *, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, values)``; row 1 is the header, so data starts at row 2."""
    raw = stream.read()
    if b"\x00" in raw[:4096]:
        raise CsvFileError("the file looks binary, not CSV (it contains NUL bytes)")
    text = _decode(raw)
    if not text.strip():
        raise CsvFileError("the file is empty")
    # Only the delimiter is guessed, from the header line; quoting is always the standard one (RFC 4180:
    # a quote inside a quoted value is doubled), which a guess from a header without quotes would turn off.
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CsvFileError(f"the header row cannot be read: {exc}") from None
    header = [name.strip() for name in header]
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvFileError(
            f"missing required column(s): {', '.join(missing)}; the header has: {', '.join(header)[:300]}"
        )
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise CsvFileError(f"column(s) named twice in the header: {', '.join(duplicated)}")
    row_number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_number += 1
            yield row_number, {"__error__": str(exc)}
            continue
        row_number += 1
        if not any(cell.strip() for cell in values):
            continue
        if len(values) > len(header):
            yield row_number, {"__error__": f"{len(values)} fields, the header has {len(header)}"}
            continue
        row = dict(zip(header, values, strict=False))
        if len(values) < len(header):  # a line cut short: what is there comes in, and the importer says so
            row[SHORT_ROW] = f"{len(values)} fields, the header has {len(header)}: the missing ones read as empty"
        yield row_number, row
