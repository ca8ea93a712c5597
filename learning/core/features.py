"""From raw leads and events to a feature frame, and from a feature frame to model input.

No Django here: production (learning.services) and the backtest (simulate) both call
``build_frame`` on the same kinds of frames, so there is one feature code path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

DAY_SECONDS = 86400.0
RECENT_DAYS = (7, 30)
HALF_LIFE_DAYS = 14.0
MAX_ACTIVITY_TYPES = 30
AS_OF_COLUMN = "_as_of_days"
TEXT_PROFILE = ["industry", "title", "seniority", "department", "country", "source"]
NUMERIC_PROFILE = ["employees", "deal_value"]
IGNORED = {"company", "external_id", "id", "lead_id", "status"}
# Row labels R and pandas write: Rdatasets' "rownames", and "Unnamed: N", pandas' name for a column with an empty
# header (an index saved without a name) once a file is read and saved again; a column with an empty header is
# never read. A row label numbers the file's rows: it says nothing about a lead, and in a file sorted by outcome
# it would tell the outcome.
ROW_LABEL = re.compile(r"^(rownames|unnamed: \d+)$", re.IGNORECASE)
BEHAVIOUR_PREFIXES = ("count__", "recent30__", "act_")
MISSING_WORD = "(missing)"


def _epoch_days(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    return (stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds() / DAY_SECONDS


def as_of_days(as_of: datetime) -> float:
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    return as_of.timestamp() / DAY_SECONDS


def _event_days(events: pd.DataFrame) -> np.ndarray:
    if "occurred_days" in events.columns:
        return events["occurred_days"].to_numpy(dtype=float)
    return _epoch_days(events["occurred_at"]).to_numpy(dtype=float)


def behaviour_features(
    events: pd.DataFrame, *, lead_ids: pd.Index, as_of: datetime, types: list[str] | None = None
) -> pd.DataFrame:
    """Counts per activity type, recency, frequency, engagement span and decayed counts as of ``as_of``.

    ``events`` has columns ``lead_id, type`` and ``occurred_at`` (datetimes or text) or
    ``occurred_days`` (days since the epoch); events after ``as_of`` are ignored. Vectorised:
    one pass of ``bincount`` per feature, whatever the number of leads.
    """
    n = len(lead_ids)
    now = as_of_days(as_of)
    if events.empty:
        position = np.zeros(0, dtype=np.int64)
        age = np.zeros(0)
        kinds: pd.Series | np.ndarray = np.zeros(0, dtype=object)
    else:
        position = lead_ids.get_indexer(events["lead_id"])
        age = now - _event_days(events)
        keep = (position >= 0) & (age >= -1e-9) & ~np.isnan(age)
        position, age = position[keep], np.maximum(age[keep], 0.0)
        kinds = events["type"]
        # A categorical column (the scoring read) stays one: recoding it is cheap, text is not.
        kinds = kinds[keep] if isinstance(kinds.dtype, pd.CategoricalDtype) else kinds.astype(str).to_numpy()[keep]

    def count(mask: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        if mask is None:
            return np.bincount(position, weights=weights, minlength=n).astype(float)
        return np.bincount(position[mask], weights=None if weights is None else weights[mask], minlength=n).astype(
            float
        )

    columns: dict[str, np.ndarray] = {"act_total": count()}
    for window in RECENT_DAYS:
        columns[f"act_last_{window}d"] = count(age <= window)
    columns["act_decayed"] = count(weights=np.power(0.5, age / HALF_LIFE_DAYS))
    newest = np.full(n, np.inf)
    oldest = np.full(n, -np.inf)
    np.minimum.at(newest, position, age)
    np.maximum.at(oldest, position, age)
    has_events = columns["act_total"] > 0
    columns["act_days_since_last"] = np.where(has_events, newest, np.nan)
    columns["act_span_days"] = np.where(has_events, oldest - newest, 0.0)
    day_keys = np.unique(position * 100_000 + np.floor(age).astype(np.int64).clip(0, 99_999))
    columns["act_active_days"] = np.bincount(day_keys // 100_000, minlength=n).astype(float)
    if types is None:
        texts = np.asarray(kinds, dtype=object).astype(str)
        names, counts = np.unique(texts, return_counts=True) if len(texts) else (np.array([]), np.array([]))
        types = [str(name) for name in names[np.argsort(-counts, kind="stable")][:MAX_ACTIVITY_TYPES]]
    if types:
        known = pd.Index(types)
        if isinstance(kinds, pd.Series) and isinstance(kinds.dtype, pd.CategoricalDtype):
            recode = np.append(known.get_indexer(kinds.cat.categories), -1)  # code -1 (NaN) stays -1
            codes = recode[kinds.cat.codes.to_numpy()]
        else:  # text: a type the list does not name counts only in the totals
            codes = known.get_indexer(np.asarray(kinds, dtype=object))
        width = len(types)
        valid = codes >= 0
        flat = position[valid] * width + codes[valid]
        totals = np.bincount(flat, minlength=n * width).reshape(n, width)
        recent = valid & (age <= 30)
        recent_flat = position[recent] * width + codes[recent]
        recents = np.bincount(recent_flat, minlength=n * width).reshape(n, width)
        for k, kind in enumerate(types):
            columns[f"count__{kind}"] = totals[:, k].astype(float)
            columns[f"recent30__{kind}"] = recents[:, k].astype(float)
    return pd.DataFrame(columns, index=lead_ids)


def never_a_feature(name: str) -> str | None:
    """Why a lead column is never a feature by its name (a row label; an id, a company's name, the lead's own
    status, which would tell the outcome), or None."""
    if ROW_LABEL.match(name):
        return "a row label"
    return "never a feature by its name" if name in IGNORED else None


def build_frame(
    profiles: pd.DataFrame, events: pd.DataFrame, *, as_of: datetime, activity_types: list[str] | None = None
) -> pd.DataFrame:
    """One row per lead (``profiles``' index): profile, custom attributes and behaviour features."""
    frame = profiles.drop(columns=[c for c in profiles.columns if never_a_feature(str(c))], errors="ignore")
    now = as_of_days(as_of)
    if "created_days" in frame.columns:
        frame = frame.assign(lead_age_days=now - frame["created_days"].astype(float)).drop(columns="created_days")
    elif "created_at" in frame.columns:
        frame = frame.assign(lead_age_days=now - _epoch_days(frame["created_at"])).drop(columns="created_at")
    behaviour = behaviour_features(events, lead_ids=frame.index, as_of=as_of, types=activity_types)
    frame = pd.concat([frame, behaviour], axis=1)
    frame[AS_OF_COLUMN] = now
    return frame


def is_behaviour(name: str) -> bool:
    return name.startswith(BEHAVIOUR_PREFIXES)


def activity_types_of(columns: list[str]) -> list[str]:
    return [c.removeprefix("count__") for c in columns if c.startswith("count__")]


# A number as people write one: thousands commas, a percent sign, a currency sign before or after ("$12,000").
_NUMBERISH = re.compile(r"^\s*[-+]?[$€£¥]?[-+]?[\d,]*\.?\d+([eE][-+]?\d+)?\s*[%$€£¥]?\s*$")
_NOT_IN_A_NUMBER = re.compile(r"[,$€£¥\s]")


@dataclass
class ColumnPlan:
    numeric: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.dates, *self.categorical]


class DistinctText:
    """The distinct values of a text column, and what the pipeline derives from each of them.

    Text work (stripping, regular expressions, date parsing) is element-wise, so doing it once
    per distinct value and gathering by row gives the same result as doing it row by row: a lead
    column holds a few dozen values over thousands of rows.
    """

    def __init__(self, values: pd.Series) -> None:
        self.values = values.reset_index(drop=True)
        self._dates = np.full(len(values), np.nan)  # per value: 1 parses as a date, 0 does not, nan unknown

    @classmethod
    def of(cls, column: pd.Series) -> tuple[np.ndarray, DistinctText]:
        """Per row the index of its value among the distinct values (-1: missing), and those values."""
        if column.dtype == object:  # mixed objects (1 and True hash alike): compare them as text
            column = column.astype("string")
        codes, uniques = pd.factorize(column)
        return codes, cls(pd.Series(uniques, dtype=column.dtype))

    # What infer_plan looks at: the text stripped of surrounding blanks.
    @cached_property
    def stripped(self) -> pd.Series:
        return self.values.astype(str).str.strip()

    @cached_property
    def has_text(self) -> np.ndarray:
        return (self.stripped != "").to_numpy(dtype=bool)

    @cached_property
    def numberish(self) -> np.ndarray:
        return self.stripped.str.match(_NUMBERISH).to_numpy(dtype=bool)

    @cached_property
    def date_length(self) -> np.ndarray:
        return self.stripped.str.len().between(8, 40).to_numpy(dtype=bool)

    @cached_property
    def lowered(self) -> np.ndarray:
        """Per value, an id shared by the values that are equal ignoring case."""
        return pd.factorize(self.stripped.str.lower())[0]

    def parses_as_date(self, which: np.ndarray) -> np.ndarray:
        unknown = np.unique(which[np.isnan(self._dates[which])])
        if len(unknown):
            self._dates[unknown] = _epoch_days(self.stripped.iloc[unknown]).notna().to_numpy(dtype=float)
        return self._dates[which] == 1.0

    # What FrameEncoder makes of each value; the last entry is for a missing value (code -1).
    @cached_property
    def numbers(self) -> np.ndarray:
        parsed = pd.to_numeric(
            self.values.astype(str).str.replace(_NOT_IN_A_NUMBER, "", regex=True).str.rstrip("%"), errors="coerce"
        )
        return np.append(parsed.to_numpy(dtype=float), np.nan)

    @cached_property
    def days(self) -> np.ndarray:
        return np.append(_epoch_days(self.values).to_numpy(dtype=float), np.nan)

    @cached_property
    def words(self) -> np.ndarray:
        text = self.values.astype("string").str.strip().str.lower().fillna("")
        return np.append(text.where(text != "", MISSING_WORD).to_numpy(dtype=object), MISSING_WORD)


def _is_text(column: pd.Series) -> bool:
    return column.dtype == object or pd.api.types.is_string_dtype(column)


class PreparedFrame:
    """A feature frame whose per-value work is done once, for many fits and transforms on its rows.

    The backtest refits the scorer on growing row subsets of one frame and scores the other rows
    every round. Each fit infers a plan and each transform encodes values, and both are per-value
    work followed by per-subset decisions; handed a PreparedFrame (``LeadScorer().fit(..., prepared=...)``),
    they gather the per-value part from here instead of redoing it. The plan and the encoded
    values are the same as without it. Frames handed over with it must be row subsets of it
    (same index labels, same values).
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        if not frame.index.is_unique:
            raise ValueError("a prepared frame needs a unique index")
        self.frame = frame
        self._text: dict[str, tuple[np.ndarray, DistinctText]] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self._encoded: dict[tuple[str, str], np.ndarray] = {}

    def positions(self, X: pd.DataFrame) -> np.ndarray | None:
        """Where X's rows sit in the prepared frame, or None when X is not made of its rows."""
        if X is self.frame:
            return np.arange(len(X))
        positions = self.frame.index.get_indexer(X.index)
        return None if (positions < 0).any() else positions

    def text(self, name: str) -> tuple[np.ndarray, DistinctText]:
        if name not in self._text:
            self._text[name] = DistinctText.of(self.frame[name])
        return self._text[name]

    def numbers(self, name: str) -> np.ndarray:
        if name not in self._numbers:
            self._numbers[name] = self.frame[name].astype(float).to_numpy()
        return self._numbers[name]

    def encoded(self, name: str, kind: str) -> np.ndarray:
        if (name, kind) not in self._encoded:
            self._encoded[name, kind] = _ENCODERS[kind](name, self.frame)
        return self._encoded[name, kind]


def _share(flags: np.ndarray, codes: np.ndarray) -> float:
    """The share of rows whose value has ``flags`` set."""
    return float(flags[codes].mean())


def infer_plan(frame: pd.DataFrame, *, max_categories: int = 50, prepared: PreparedFrame | None = None) -> ColumnPlan:
    """Decide what each column is: numbers as numbers, dates as ages, text as categories;
    empty, constant and ID-like columns are dropped with the reason."""
    plan = ColumnPlan()
    n = max(len(frame), 1)
    rows = prepared.positions(frame) if prepared is not None else None
    for name in frame.columns:
        if name == AS_OF_COLUMN:
            continue
        column = frame[name]
        if _is_text(column):
            if rows is not None:
                all_codes, distinct = prepared.text(name)  # type: ignore[union-attr]
                codes = all_codes[rows]
            else:
                codes, distinct = DistinctText.of(column)
            codes = codes[codes >= 0]
            codes = codes[distinct.has_text[codes]]  # rows with text, in order
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            numbers = prepared.numbers(name)[rows] if rows is not None else column.astype(float).to_numpy()  # type: ignore[union-attr]
            numbers = numbers[~np.isnan(numbers)]
            if len(numbers) == 0:
                plan.dropped[name] = "empty"
            elif len(np.unique(numbers)) <= 1 and not is_behaviour(name):
                plan.dropped[name] = "constant"
            else:
                plan.numeric.append(name)
            continue
        else:  # booleans, timestamps: judged by their text
            codes, distinct = DistinctText.of(column.dropna().astype(str))
        if len(codes) == 0:
            plan.dropped[name] = "empty"
            continue
        if _share(distinct.numberish, codes) >= 0.95:
            plan.numeric.append(name)
            continue
        if _share(distinct.date_length, codes) >= 0.95 and distinct.parses_as_date(codes[:500]).mean() >= 0.95:
            plan.dates.append(name)
            continue
        distinct_count = len(np.unique(distinct.lowered[np.unique(codes)]))
        if distinct_count <= 1:
            plan.dropped[name] = "constant"
        elif distinct_count > max(max_categories, 0.5 * n) and distinct_count > 0.5 * len(codes):
            plan.dropped[name] = f"ID-like ({distinct_count} distinct values)"
        else:
            plan.categorical.append(name)
    return plan


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)


def _encode_numeric(name: str, frame: pd.DataFrame) -> np.ndarray:
    column = _column(frame, name)
    if pd.api.types.is_numeric_dtype(column):
        numbers = column.astype(float).to_numpy()
    else:
        codes, distinct = DistinctText.of(column)
        numbers = distinct.numbers[codes]
    if is_behaviour(name) and not name.endswith("days_since_last"):
        numbers = np.where(np.isnan(numbers), 0.0, numbers)
    return numbers


def _encode_date(name: str, frame: pd.DataFrame) -> np.ndarray:
    """Age in days at the frame's as-of time."""
    codes, distinct = DistinctText.of(_column(frame, name))
    reference = frame[AS_OF_COLUMN].to_numpy(dtype=float) if AS_OF_COLUMN in frame.columns else np.nan
    return reference - distinct.days[codes]


def _encode_categorical(name: str, frame: pd.DataFrame) -> np.ndarray:
    codes, distinct = DistinctText.of(_column(frame, name))
    return distinct.words[codes]


_ENCODERS = {"numeric": _encode_numeric, "date": _encode_date, "categorical": _encode_categorical}


class FrameEncoder(TransformerMixin, BaseEstimator):
    """Learns a ColumnPlan on fit; turns any feature frame into typed columns on transform.

    ``prepared`` (optional): a PreparedFrame the frames handed over are row subsets of; see there.
    """

    def __init__(self, max_categories: int = 50, prepared: PreparedFrame | None = None) -> None:
        self.max_categories = max_categories
        self.prepared = prepared

    def fit(self, X: pd.DataFrame, y: object = None) -> FrameEncoder:
        self.plan_ = infer_plan(X, max_categories=self.max_categories, prepared=self.prepared)
        self.feature_names_out_ = np.array(self.plan_.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        prepared = self.prepared
        rows = prepared.positions(X) if prepared is not None else None
        kinds = [
            *((name, "numeric") for name in self.plan_.numeric),
            *((name, "date") for name in self.plan_.dates),
            *((name, "categorical") for name in self.plan_.categorical),
        ]
        out: dict[str, pd.Series] = {}
        for name, kind in kinds:
            values = prepared.encoded(name, kind)[rows] if rows is not None else _ENCODERS[kind](name, X)  # type: ignore[union-attr]
            out[name] = pd.Series(values, index=X.index, dtype=values.dtype, copy=False)  # words stay objects
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return self.feature_names_out_
