"""Reading an uploaded or local CSV file: encoding, delimiter, header, row numbers."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from typing import IO

csv.field_size_limit(10 * 1024 * 1024)

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"


class CsvFileError(Exception):
    """The file as a whole cannot be read (no header, a required column missing...)."""


def _utf16(raw: bytes) -> str | None:
    """The text of a UTF-16 file (Excel's "Unicode text"): one with a byte order mark, or whose
    start is ASCII with a NUL byte beside each character; None for any other file."""
    start = raw[:4096]
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(start) >= 4 and not start.startswith(b"\x00") and set(start[1::2]) == {0}:
        encoding = "utf-16-le"
    elif len(start) >= 4 and start.startswith(b"\x00") and set(start[0::2]) == {0}:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return codecs.decode(raw, encoding)
    except UnicodeDecodeError:
        raise CsvFileError("the file looks UTF-16 encoded but cannot be read as such; save it as CSV UTF-8") from None


def _decode(raw: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return codecs.decode(raw, encoding)
        except UnicodeDecodeError:
            continue
    raise CsvFileError("the file is not text")  # latin-1 decodes anything; kept for clarity


# A row the reader ends only at the end of the file has a quoted value that never closes: it would
# hold every line after it. The row is reported, never imported with the rest of the file inside.
_UNCLOSED = 'a quoted value that starts on line {line} runs to the end of the file (its closing " is missing)'
_UNCLOSED_ROW = _UNCLOSED + ": this row and the lines after it were not imported"


class _Lines:
    """The file's lines for the reader, saying when the reader asked for one past the last: csv reads
    a row to its end, so it asks past the last line only in a quoted value that is never closed."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self._lines)
        except StopIteration:
            self.ended = True
            raise


# A number with a decimal comma, as a spreadsheet set to a European locale writes it in a file it delimits with
# semicolons ("1.234,5", "0,75"): read with a decimal point. Only a value with a comma is read so ("1.234" stays).
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+\s*$")
AS_WRITTEN = ("external_id", "lead")  # ids are text, whatever they look like

SHORT_ROW = "__short__"  # a row with fewer fields than the header: its warning, under this key


def _key(name: str) -> str:
    """A header name with case, spaces and hyphens set aside: "Deal Value", "deal-value" → deal_value."""
    return "_".join(name.replace("-", " ").split()).casefold()


def _could_be(missing: list[str], header: list[str], aliases: Mapping[str, Collection[str]]) -> str:
    """What to do when more than one column could be a missing one: '(Id and Lead ID could each be …)'."""
    hints = []
    for name in missing:
        keys = {_key(alias) for alias in aliases.get(name, ())}
        if len(candidates := [column for column in header if _key(column) in keys]) > 1:
            hints.append(f"{' and '.join(candidates)} could each be {name}: rename the one that is to {name}")
    return f" ({'; '.join(hints)})" if hints else ""


def _known_names(
    header: list[str], known: Collection[str], aliases: Mapping[str, Collection[str]], *, keep: Collection[str] = ()
) -> tuple[list[str], dict[str, str]]:
    """The header with each name that is a ``known`` column but for case, spaces or hyphens (a CRM's
    "Company", "Deal Value", "External ID") under the known name, unless the file has that name
    already or two of its columns would take it. Then, for a known column the file still lacks, a
    name ``aliases`` lists for it (a CRM's "Lead ID" for external_id), if exactly one column has
    such a name. A name in ``keep`` (a column the caller asked for by name) stays as it is. Also
    returns ``{name: known name}`` for the names read by an alias. First of all, a column asked for
    by name (``keep``) that the file has but for case, spaces or hyphens ("Stage" for stage) is read
    under the name asked for, if exactly one column has it."""
    wanted = {_key(name): name for name in keep if name not in header}
    counts = Counter(_key(name) for name in header)
    header = [wanted[key] if (key := _key(name)) in wanted and counts[key] == 1 else name for name in header]
    canonical = {name.casefold(): name for name in known}

    def read_as(names: list[str], lookup: Mapping[str, str]) -> list[str]:
        taken = [None if name in keep else lookup.get(_key(name)) for name in names]
        return [
            found if found and found not in names and taken.count(found) == 1 else name
            for name, found in zip(names, taken, strict=True)
        ]

    header = read_as(header, canonical)
    by_alias = {_key(alias): name for name, names in aliases.items() for alias in names if name not in header}
    renamed = read_as(header, by_alias)
    return renamed, {old: new for old, new in zip(header, renamed, strict=True) if old != new}


def _with_decimal_points(header: list[str], values: list[str]) -> list[str]:
    """A semicolon-delimited row's numbers with a decimal comma ("1.234,5") written with a point ("1234.5")."""
    return [
        value.strip().replace(".", "").replace(",", ".")
        if "," in value and name not in AS_WRITTEN and _DECIMAL_COMMA.match(value)
        else value
        for name, value in zip(header, values, strict=False)
    ]


def renamed_words(renamed: Mapping[str, str]) -> str:
    """``read_rows``' ``renamed`` in words: "'Lead ID' as external_id, 'Amount' as deal_value"."""
    return ", ".join(f"'{name}' as {column}" for name, column in renamed.items())


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c")
# How a spreadsheet, archive, image or PDF begins: zip (xlsx, ods), gzip, PNG, PDF, OLE (xls).
_NOT_TEXT = {
    b"PK\x03\x04": "a ZIP archive or an Excel .xlsx file",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls file",
}


def _binary_kind(start: bytes) -> str | None:
    """What a spreadsheet, archive or image saved as .csv is, by its signature, a NUL byte in the first
    line, or control bytes beyond a stray few (more than 16, and more than one in fifty); None for text.
    A text file's stray NUL in a cell is that cell's problem, said with its row and field."""
    for signature, kind in _NOT_TEXT.items():
        if start.startswith(signature):
            return f"it starts as {kind} does"
    if b"\x00" not in start:
        return None
    controls = len(start) - len(start.translate(None, _CONTROL_BYTES))
    if b"\x00" in start.splitlines()[0] or controls > max(16, len(start) // 50):
        return "it contains NUL bytes"
    return None


def read_rows(
    stream: IO[bytes],
    *,
    required: tuple[str, ...],
    known: Collection[str] = (),
    aliases: Mapping[str, Collection[str]] | None = None,
    renamed: dict[str, str] | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, values)``; row 1 is the header, so data starts at row 2. In a file delimited
    by semicolons, a number with a decimal comma ("1.234,5") is read with a decimal point ("1234.5"),
    but in an id. A header name
    that is one of the ``known`` columns but for case, spaces or hyphens is read as that column, and
    so is a name ``aliases`` lists for a known column the file lacks; those are put in ``renamed``
    (``{name in the file: column}``) once the header is read, for the importer to say."""
    raw = stream.read()
    text = _utf16(raw)
    if text is None and (kind := _binary_kind(raw[:4096])):
        raise CsvFileError(f"the file looks binary, not CSV ({kind}): save it as CSV and upload that")
    if text is None:
        text = _decode(raw)
    if not text.strip():
        raise CsvFileError("the file is empty")
    # Only the delimiter is guessed, from the header line; quoting is always the standard one (RFC 4180:
    # a quote inside a quoted value is doubled), which a guess from a header without quotes would turn off.
    try:
        delimiter = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    lines = _Lines(io.StringIO(text, newline=""))
    reader = csv.reader(lines, csv.excel, delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CsvFileError(f"the header row cannot be read: {exc}") from None
    if lines.ended:
        raise CsvFileError("the header row cannot be read: " + _UNCLOSED.format(line=1))
    as_given = [name.strip() for name in header]
    header, by_alias = _known_names(as_given, known, aliases or {}, keep=required)
    if renamed is not None:
        renamed.update(by_alias)
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvFileError(
            f"missing required column(s): {', '.join(missing)}; the header has: {', '.join(as_given)[:300]}"
            + _could_be(missing, header, aliases or {})
        )
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise CsvFileError(f"column(s) named twice in the header: {', '.join(duplicated)}")
    row_number = 1
    while True:
        first_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_number += 1
            yield row_number, {"__error__": str(exc)}
            continue
        row_number += 1
        if lines.ended:  # the reader ran out of lines inside a row: a quote that never closes
            yield row_number, {"__error__": _UNCLOSED_ROW.format(line=first_line)}
            return
        if not any(cell.strip() for cell in values):
            continue
        if len(values) > len(header):
            yield row_number, {"__error__": f"{len(values)} fields, the header has {len(header)}"}
            continue
        if delimiter == ";":
            values = _with_decimal_points(header, values)
        row = dict(zip(header, values, strict=False))
        if len(values) < len(header):  # a line cut short: what is there comes in, and the importer says so
            row[SHORT_ROW] = (
                f"{len(values)} fields, the header has {len(header)}: the missing ones are not read "
                "(a lead already stored keeps them)"
            )
        yield row_number, row
