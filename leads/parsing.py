"""Parsing and validating one imported row; shared by the CSV importer and the API."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from config.site import CURRENCIES
from leads.models import PROFILE_FIELDS

PROFILE_TEXT_FIELDS: dict[str, int] = {
    "company": 200,
    "industry": 100,
    "title": 200,
    "seniority": 50,
    "department": 100,
    "country": 100,
    "source": 100,
}
KNOWN_LEAD_COLUMNS = {"external_id", *PROFILE_FIELDS}
# Other names CRMs' exports (Salesforce, HubSpot, Pipedrive) give the known columns; an import reads
# one as its column when the file lacks the column itself (case, spaces and hyphens aside) and says so.
LEAD_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("Id", "Lead ID", "Record ID", "Contact ID"),
    "company": ("Company Name", "Account Name", "Company / Account", "Organization", "Organisation"),
    "employees": ("No. of Employees", "Number of Employees", "Employee Count", "Headcount"),
    "title": ("Job Title",),
    "seniority": ("Job Level", "Seniority Level"),
    "department": ("Job Function",),
    "country": ("Country/Region", "Country Region"),
    "source": ("Lead Source", "Original Source"),
    "created_at": ("Created", "Created Date", "Create Date", "Date Created", "Created On"),
    "deal_value": ("Amount", "Deal Amount", "Opportunity Amount"),
}
ACTIVITY_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "lead": ("Lead ID", "Lead External ID", "external_id", "Record ID"),
    "type": ("Activity Type", "Event Type", "Event", "Activity"),
    "occurred_at": ("Date", "Activity Date", "Event Date", "Timestamp", "Occurred"),
}
MAX_ATTRIBUTE_LENGTH = 10_240  # characters: a long note or description still comes in whole
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_NAME = 100  # characters of a custom column's name (a longer one is left out, never cut)
MAX_OFFSET = timedelta(hours=14)  # Kiribati; the farthest west is -12:00
MAX_DEAL_VALUE = 1e12
MAX_EMPLOYEES = 10_000_000
OUTCOMES = ("converted", "not_converted")

_RANGE = re.compile(r"^\s*(\d[\d,]*)\s*[-–]\s*(\d[\d,]*)\s*$")
_PLUS = re.compile(r"^\s*(\d[\d,]*)\s*\+\s*$")
_ACTIVITY_TYPE = re.compile(r"[^a-z0-9]+")
# A lead's pages are leads/<external_id>/, …/score/ and …/label/ beside these fixed pages under leads/
# (leads.urls; /api/leads/bulk in the API): an id equal to one of them, "." or ".." (which a browser
# resolves as a folder) or ending in /score or /label would open another page than its lead's.
RESERVED_IDS = frozenset({"import", "export.csv", "bulk", ".", ".."})
LEAD_SUBPAGES = ("score", "label")


class RowInvalid(Exception):
    """A field of a row is invalid; the row is skipped, the import goes on."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


@dataclass
class LeadRow:
    external_id: str
    profile: dict[str, Any]
    attributes: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None
    outcome_at: datetime | None = None  # when the outcome happened; None: dated at import
    still_open: bool = False  # the outcome column says so in words (one of the import's open values)
    # Optional values that were invalid and left out: (field, reason); the lead comes in without them.
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # What an update leaves as stored: the profile fields the row has no key for or an invalid value
    # in (``profile`` holds their defaults), and the attributes beside the ones it names. An attribute
    # the row names empty is removed (``dropped``).
    kept: frozenset[str] = frozenset()
    dropped: tuple[str, ...] = ()


@dataclass
class ActivityRow:
    lead: str
    type: str
    occurred_at: datetime


def storable_text_problem(text: str) -> str | None:
    """Why a database cannot store this text (PostgreSQL refuses NUL; no UTF-8 has lone surrogates)."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None


def _text(value: Any) -> str:
    """Text of a cell or JSON value; TypeError for a type that is not text or a number,
    ValueError (with the reason) for text no database can store."""
    if value is None:
        return ""
    if not isinstance(value, str) and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError
    text = str(value)
    problem = storable_text_problem(text)
    if problem:
        raise ValueError(problem)
    return text.strip()


# What spreadsheets, R and pandas write in a CSV cell that has no value (pandas' read_csv defaults, and the "?"
# of the UCI files): in a file, read as an empty cell, so "NA" is no category, no outcome and no obstacle to
# a number. Not in an id, a country (Namibia's code) or the API's JSON, where null says it.
MISSING_WORDS = frozenset(
    {"NA", "na", "Na", "N/A", "n/a", "N/a", "#N/A", "#NA", "NaN", "nan", "NAN", "-NaN", "-nan"}
    | {"NULL", "null", "Null", "<NA>", "?"}
)


def is_missing_word(text: str) -> bool:
    return len(text) <= 4 and text in MISSING_WORDS


def _field_text(value: Any, name: str, expected: str = "expected text", *, missing_words: bool = False) -> str:
    """A cell's text, stripped; with ``missing_words``, one of the ``MISSING_WORDS`` is read as empty."""
    try:
        text = _text(value)
    except TypeError:
        raise RowInvalid(name, expected) from None
    except ValueError as exc:
        raise RowInvalid(name, str(exc)) from None
    return "" if missing_words and is_missing_word(text) else text


def parse_number(raw: Any, *, name: str, minimum: float, maximum: float) -> float | None:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool):
        raise RowInvalid(name, "expected a number, got true/false")
    if isinstance(raw, (int, float)):
        try:
            value = float(raw)
        except OverflowError:  # a JSON integer of 400 digits: no float holds it
            raise RowInvalid(name, "expected a finite number") from None
    elif isinstance(raw, str):
        cleaned = raw.strip().replace(",", "")
        for symbol, _ in _CURRENCY_SYMBOLS:
            cleaned = cleaned.replace(symbol, "")
        try:
            value = float(cleaned)
        except ValueError:
            raise RowInvalid(name, f"expected a number, got {raw.strip()[:40]!r}") from None
    else:
        raise RowInvalid(name, f"expected a number, got {type(raw).__name__}")
    if not math.isfinite(value):
        raise RowInvalid(name, "expected a finite number")
    if value < minimum:
        raise RowInvalid(name, f"must be at least {minimum:g}, got {value:g}")
    if value > maximum:
        raise RowInvalid(name, f"must be at most {maximum:g}, got {value:g}")
    return value


# The marks an amount may carry for the currencies an admin can pick (``config.site.CURRENCIES``):
# symbols longest first ("CA$" before "$"), and the ISO codes.
_CURRENCY_SYMBOLS = tuple(
    sorted(((mark, code) for code, mark in CURRENCIES.items() if not mark.strip().isalpha()), key=lambda m: -len(m[0]))
)
_CURRENCY_CODE = re.compile(rf"\b({'|'.join(CURRENCIES)})\b", re.I)


def parse_amount(raw: Any, *, name: str, maximum: float, currency: str | None = None) -> float | None:
    """A money amount; with ``currency`` (the team's ISO code), one marked as another currency
    ("€154,496" for a team in USD) is refused naming it, never read as the team's money. A bare "$"
    is any dollar's."""
    if currency and isinstance(raw, str):
        text = raw.strip()
        marked = next((code for symbol, code in _CURRENCY_SYMBOLS if symbol in text), None)
        if match := _CURRENCY_CODE.search(text):
            marked = match.group(1).upper()
        elif marked == "USD" and "$" in CURRENCIES.get(currency, ""):  # a bare "$": the team's dollar
            marked = currency
        if marked and marked != currency:
            problem = f"{text[:40]!r} is in {marked}, not the team's currency ({currency}): convert it first"
            raise RowInvalid(name, problem)
        raw = _CURRENCY_CODE.sub("", text)
    return parse_number(raw, name=name, minimum=0, maximum=maximum)


def parse_employees(raw: Any) -> int | None:
    """A head count: a number, a range such as ``51-200`` (its midpoint) or ``10000+``."""
    if isinstance(raw, str):
        if match := _RANGE.match(raw):
            low, high = (int(g.replace(",", "")) for g in match.groups())
            if low > high:
                raise RowInvalid("employees", f"range {raw.strip()!r} runs backwards")
            if high > MAX_EMPLOYEES:
                raise RowInvalid("employees", f"must be at most {MAX_EMPLOYEES}")
            return (low + high) // 2
        if match := _PLUS.match(raw):
            raw = match.group(1)
    value = parse_number(raw, name="employees", minimum=0, maximum=MAX_EMPLOYEES)
    if value is None:
        return None
    if value != int(value):
        raise RowInvalid("employees", f"expected a whole number, got {value:g}")
    return int(value)


def offset_problem(value: datetime) -> str | None:
    """Why a datetime's time zone offset is not one any place on Earth uses (PostgreSQL refuses
    offsets past ±15:59, which Python accepts)."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        return "a time zone offset is at most ±14:00"
    return None


NOT_A_DATE = "expected a date (YYYY-MM-DD) or datetime"


def parse_when(raw: Any, *, name: str) -> datetime | None:
    """A date or a datetime; a naive value is taken as UTC."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if not isinstance(raw, str):
        raise RowInvalid(name, f"expected a date or datetime, got {type(raw).__name__}")
    text = raw.strip()
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day: date | None = parse_date(text)
            if day is None:
                raise ValueError
            parsed = datetime.combine(day, time.min)
    except ValueError:
        raise RowInvalid(name, f"{NOT_A_DATE}, got {text[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if problem := offset_problem(parsed):
        raise RowInvalid(name, f"{problem}, got {text[:40]!r}")
    if not 1900 <= parsed.year <= 2200:
        raise RowInvalid(name, f"year {parsed.year} is out of range")
    return parsed


# How to say which value of an outcome column means converted: the command line, the upload page, the API.
NAME_POSITIVE = (
    "or name the value that means converted: --positive VALUE, on the upload page 'Value that means converted', "
    "'positive' in the API"
)


def is_open_value(raw: Any, open_values: Collection[str]) -> bool:
    """Is ``raw`` one of the words an import said mean "still open" (case and spaces aside)?"""
    text = raw.strip().casefold() if isinstance(raw, str) else ""
    return bool(text) and text in {value.strip().casefold() for value in open_values}


def means_positive(text: str, positive: str) -> bool:
    """Is an outcome value the one named to mean converted? The same text but for case and
    surrounding spaces ("won" for "Won"), or the same number ("1.0" for "1": a column with an
    empty cell comes out of pandas or R as floats)."""
    if text == positive or text.strip().casefold() == positive.strip().casefold():
        return True
    number = _number_or_none(positive)
    return number is not None and _number_or_none(text) == number


_PLAIN_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", re.ASCII)


@lru_cache(maxsize=64)
def _number_or_none(text: str) -> float | None:
    """``text`` as a plain decimal number ("1", "1.0", "1e0"), or None: not "Infinity", "1_0" or
    other digits than 0-9, which Python's float() also reads. Cached: an import asks about the same
    few outcome values on every row (a long text is never a number, and is not kept)."""
    if len(text) > 40 or not _PLAIN_NUMBER.fullmatch(text):
        return None
    return float(text)


class LostWords:
    """The values of an outcome column read as lost (with a converted value named), counted as an
    open value would match them: case and surrounding spaces aside ("Lost" and "lost " are one),
    each shown as first seen."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.shown: dict[str, str] = {}

    def add(self, raw: Any) -> None:
        text = str(raw if raw is not None else "").strip()[:40]
        key = text.casefold()
        self.shown.setdefault(key, text)
        self.counts[key] += 1

    def __len__(self) -> int:
        return len(self.counts)

    def listed(self, shown: int = 6) -> str:
        """The most common ones with their rows: "'Lost' (800 rows), 'Open' (1 row) and 2 more"."""
        top = self.counts.most_common(shown)
        counted = ", ".join(f"{self.shown[key]!r} ({n:,} row{'s' if n != 1 else ''})" for key, n in top)
        return counted + (f" and {len(self) - shown} more" if len(self) > shown else "")


def positive_problem(positive: str | None) -> str | None:
    """A converted value that is empty: every outcome in the column would be a lost deal."""
    if positive is not None and positive.strip() == "":
        return "is empty: name the value that means converted (e.g. won), or leave the option out"
    return None


def open_value_problem(positive: str | None, open_values: Collection[str]) -> str | None:
    """An open value that is also the converted one (an import would read no lead as converted)."""
    if positive is None:
        return None
    both = next((value for value in open_values if means_positive(value, positive)), None)
    return None if both is None else f"{both!r} cannot mean both converted ({positive!r}) and still open"


def parse_outcome(raw: Any, *, column: str, positive: str | None) -> str | None:
    text = _field_text(raw, column)
    if text == "":
        return None
    if positive is not None:
        return "converted" if means_positive(text, positive) else "not_converted"
    normalised = text.lower().replace(" ", "_").replace("-", "_")
    if normalised in OUTCOMES:
        return normalised
    raise RowInvalid(
        column,
        f"expected converted or not_converted, got {text[:40]!r} ({NAME_POSITIVE})",
    )


def parse_lead_row(
    values: dict[str, Any],
    *,
    outcome_column: str | None = None,
    positive: str | None = None,
    outcome_date_column: str | None = None,
    latest: datetime | None = None,
    open_values: Collection[str] = (),
    missing_words: bool = False,
    currency: str | None = None,
) -> LeadRow:
    """Validate one lead; unknown keys become attributes (features). Only a missing or invalid
    ``external_id`` raises RowInvalid: any other invalid value is left out and listed in
    ``warnings``, and the lead comes in without it. With ``latest``, an outcome dated after it
    (in the future) keeps its outcome but not its date. Keys are read stripped of spaces, as the CSV
    importer reads its header. ``missing_words`` (a CSV file's row): a cell reading one of the
    ``MISSING_WORDS`` is an empty one, but for the id and the country. ``currency`` (the team's):
    a deal value marked as another currency is left out with a warning."""
    warnings: list[tuple[str, str]] = []
    values = _stripped_keys(values, warnings)
    external_id = _field_text(values.get("external_id"), "external_id")
    if not external_id:
        raise RowInvalid("external_id", "is required")
    if len(external_id) > 100:
        raise RowInvalid("external_id", "longer than 100 characters")
    if problem := external_id_problem(external_id):
        raise RowInvalid("external_id", problem)

    def optional(parse: Callable[[], Any], default: Any = None) -> Any:
        try:
            return parse()
        except RowInvalid as exc:
            warnings.append((exc.field, exc.message))
            return default

    kept: set[str] = set()

    def cell(name: str | None) -> Any:
        raw = values.get(name) if name is not None else None
        return "" if missing_words and isinstance(raw, str) and is_missing_word(raw.strip()) else raw

    def given(name: str, parse: Callable[[], Any], default: Any = None) -> Any:
        """A profile field's value; one the row has no key for, or an invalid one, is kept as stored.
        The outcome's columns are never a field (a "source" column named as the outcome would teach
        the model the outcome itself)."""
        if name not in values or name in (outcome_column, outcome_date_column):
            kept.add(name)
            return default
        try:
            return parse()
        except RowInvalid as exc:
            warnings.append((exc.field, exc.message))
            kept.add(name)
            return default

    profile: dict[str, Any] = {}
    for name, max_length in PROFILE_TEXT_FIELDS.items():
        words = missing_words and name != "country"
        profile[name] = given(name, partial(_bounded_text, values, name, max_length, missing_words=words), "")
    profile["employees"] = given("employees", lambda: parse_employees(cell("employees")))
    profile["deal_value"] = given(
        "deal_value",
        lambda: parse_amount(cell("deal_value"), name="deal_value", maximum=MAX_DEAL_VALUE, currency=currency),
    )
    profile["created_at"] = given(
        "created_at",
        lambda: _not_after(parse_when(cell("created_at"), name="created_at"), latest, name="created_at"),
    )

    attributes: dict[str, str] = {}
    dropped: list[str] = []
    columns = 0  # custom columns so far, empty or not: the first MAX_ATTRIBUTES of the header are read, in every row
    left_out: list[str] = []
    for key, raw in values.items():
        if key is not None and key in (outcome_column, outcome_date_column):
            dropped.append(str(key))  # never a feature: one an earlier import stored is removed
            continue
        if key is None or key in KNOWN_LEAD_COLUMNS:
            continue
        name = str(key).strip()
        if not name:
            continue
        if problem := storable_text_problem(name):
            warnings.append(("attributes", f"the column name {name[:40]!r} {problem}"))
            continue
        if (columns := columns + 1) > MAX_ATTRIBUTES:
            if raw is not None and str(raw).strip():
                left_out.append(name)
            continue
        try:
            text = _attribute_text(name, raw, missing_words=missing_words)
        except RowInvalid as exc:  # the stored value, if any, stays
            warnings.append((exc.field, exc.message))
            continue
        if len(name) > MAX_ATTRIBUTE_NAME:  # cut short, two long names could become one
            if text:
                warnings.append(
                    (
                        "attributes",
                        f"the column {name[:40]!r}… has a name longer than {MAX_ATTRIBUTE_NAME} characters; "
                        "its value was left out (shorten the name and import again)",
                    )
                )
        elif not text:
            dropped.append(name)
        else:
            attributes[name] = text
    if left_out:
        warnings.append(
            (
                "attributes",
                f"more than {MAX_ATTRIBUTES} custom columns; {len(left_out)} left out, from {left_out[0][:40]!r} on",
            )
        )

    outcome = outcome_at = None
    still_open = False
    if outcome_column is not None:
        raw_outcome = values.get(outcome_column)
        still_open = is_open_value(raw_outcome, open_values)  # no outcome: the lead is open
        if not still_open:
            outcome = optional(lambda: parse_outcome(cell(outcome_column), column=outcome_column, positive=positive))
    if outcome is not None and outcome_date_column is not None:
        outcome_at = optional(
            lambda: _not_after(
                parse_when(cell(outcome_date_column), name=outcome_date_column),
                latest,
                name=str(outcome_date_column),
                then="; the outcome is dated when it is imported",
            )
        )
    return LeadRow(
        external_id=external_id,
        profile=profile,
        attributes=attributes,
        outcome=outcome,
        outcome_at=outcome_at,
        still_open=still_open,
        warnings=warnings,
        kept=frozenset(kept),
        dropped=tuple(dropped),
    )


def external_id_problem(external_id: str) -> str | None:
    """Why a lead's pages could not be reached under this id: the address of another page
    (RESERVED_IDS), or of one of a lead's own pages (``ACME/42/score``). Other slashes are fine
    (``ACME/42``): a link encodes them."""
    if external_id in RESERVED_IDS:
        return f"{external_id!r} is reserved: leads/{external_id}/ is the address of another page"
    head, slash, last = external_id.rpartition("/")
    if slash and head and last in LEAD_SUBPAGES:
        return f"cannot end in '/{last}': leads/{external_id}/ is the address of the {last} page of lead {head!r}"
    return None


def missing_columns(*, rows: Iterable[dict[str, Any]], columns: Iterable[str]) -> list[str]:
    """The columns no row has a key for (keys read stripped of spaces, as parse_lead_row reads them)."""
    wanted = list(columns)
    keys = {key.strip() for row in rows for key in row}
    return [column for column in wanted if column not in keys]


def _stripped_keys(values: dict[str, Any], warnings: list[tuple[str, str]]) -> dict[str, Any]:
    """``values`` under keys stripped of spaces (``"external_id "`` is the external_id). Two keys that
    differ only in spaces are left out with a warning; for external_id, the row is rejected."""
    if all(key == key.strip() for key in values):
        return values
    stripped: dict[str, Any] = {}
    twice: set[str] = set()
    for key, value in values.items():
        if key.strip() in stripped:
            twice.add(key.strip())
        stripped[key.strip()] = value
    for name in sorted(twice):
        if name == "external_id":
            raise RowInvalid("external_id", "given twice, under keys that differ only in spaces")
        del stripped[name]
        if name:  # a key of spaces alone is no column
            warnings.append((name, "given twice, under keys that differ only in spaces; both left out"))
    return stripped


def _attribute_text(name: str, raw: Any, *, missing_words: bool = False) -> str:
    return _bounded_text(
        {name: raw}, name, MAX_ATTRIBUTE_LENGTH, "expected text or a number", missing_words=missing_words
    )


def _bounded_text(
    values: dict[str, Any], name: str, max_length: int, expected: str = "expected text", *, missing_words: bool = False
) -> str:
    text = _field_text(values.get(name), name, expected, missing_words=missing_words)
    if len(text) > max_length:
        raise RowInvalid(name, f"longer than {max_length} characters")
    return text


def normalise_activity_type(raw: str) -> str:
    return _ACTIVITY_TYPE.sub("_", raw.strip().lower()).strip("_")


def parse_activity_row(values: dict[str, Any], *, latest: datetime | None = None) -> ActivityRow:
    """Validate one event; with ``latest``, an event after it (a date in the future) is invalid."""
    lead = _field_text(values.get("lead"), "lead")
    if not lead:
        raise RowInvalid("lead", "is required")
    kind = normalise_activity_type(_field_text(values.get("type"), "type"))
    if not kind:
        raise RowInvalid("type", "is required")
    if len(kind) > 50:
        raise RowInvalid("type", "longer than 50 characters")
    occurred_at = parse_when(values.get("occurred_at"), name="occurred_at")
    if occurred_at is None:
        raise RowInvalid("occurred_at", "is required")
    _not_after(occurred_at, latest, name="occurred_at")
    return ActivityRow(lead=lead, type=kind, occurred_at=occurred_at)


def _not_after(when: datetime | None, latest: datetime | None, *, name: str, then: str = "") -> datetime | None:
    """``when``, unless it is after ``latest`` (a date in the future: a clock or a typo)."""
    if when is not None and latest is not None and when > latest:
        raise RowInvalid(
            name, f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC is in the future (more than a day ahead){then}"
        )
    return when
