"""From raw leads and events to a feature frame, and from a feature frame to model input.

No Django here: production (learning.services) and the backtest (simulate) both call
``build_frame`` on the same kinds of frames, so there is one feature code path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
BEHAVIOUR_PREFIXES = ("count__", "recent30__", "act_")


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


def build_frame(
    profiles: pd.DataFrame, events: pd.DataFrame, *, as_of: datetime, activity_types: list[str] | None = None
) -> pd.DataFrame:
    """One row per lead (``profiles``' index): profile, custom attributes and behaviour features."""
    frame = profiles.drop(columns=[c for c in profiles.columns if c in IGNORED], errors="ignore")
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


_NUMBERISH = re.compile(r"^\s*[-+]?[\d,]*\.?\d+([eE][-+]?\d+)?\s*%?\s*$")


@dataclass
class ColumnPlan:
    numeric: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.dates, *self.categorical]


def infer_plan(frame: pd.DataFrame, *, max_categories: int = 50) -> ColumnPlan:
    """Decide what each column is: numbers as numbers, dates as ages, text as categories;
    empty, constant and ID-like columns are dropped with the reason."""
    plan = ColumnPlan()
    n = max(len(frame), 1)
    for name in frame.columns:
        if name == AS_OF_COLUMN:
            continue
        column = frame[name]
        present = column.dropna()
        if present.dtype == object or pd.api.types.is_string_dtype(present):
            present = present.astype(str).str.strip()
            present = present[present != ""]
        if present.empty:
            plan.dropped[name] = "empty"
            continue
        if pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present):
            if present.nunique() <= 1 and not is_behaviour(name):
                plan.dropped[name] = "constant"
            else:
                plan.numeric.append(name)
            continue
        text = present.astype(str)
        if text.str.match(_NUMBERISH).mean() >= 0.95:
            plan.numeric.append(name)
            continue
        if text.str.len().between(8, 40).mean() >= 0.95 and _epoch_days(text.head(500)).notna().mean() >= 0.95:
            plan.dates.append(name)
            continue
        distinct = text.str.lower().nunique()
        if distinct <= 1:
            plan.dropped[name] = "constant"
        elif distinct > max(max_categories, 0.5 * n) and distinct > 0.5 * len(text):
            plan.dropped[name] = f"ID-like ({distinct} distinct values)"
        else:
            plan.categorical.append(name)
    return plan


class FrameEncoder(TransformerMixin, BaseEstimator):
    """Learns a ColumnPlan on fit; turns any feature frame into typed columns on transform."""

    def __init__(self, max_categories: int = 50) -> None:
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y: object = None) -> FrameEncoder:
        self.plan_ = infer_plan(X, max_categories=self.max_categories)
        self.feature_names_out_ = np.array(self.plan_.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out: dict[str, pd.Series] = {}
        for name in self.plan_.numeric:
            column = X[name] if name in X.columns else pd.Series(np.nan, index=X.index)
            if not pd.api.types.is_numeric_dtype(column):
                column = pd.to_numeric(column.astype(str).str.replace(",", "").str.rstrip("%"), errors="coerce")
            if is_behaviour(name) and not name.endswith("days_since_last"):
                column = column.fillna(0.0)
            out[name] = column.astype(float)
        for name in self.plan_.dates:
            column = X[name] if name in X.columns else pd.Series(np.nan, index=X.index)
            reference = X[AS_OF_COLUMN] if AS_OF_COLUMN in X.columns else np.nan
            out[name] = reference - _epoch_days(column)
        for name in self.plan_.categorical:
            column = X[name] if name in X.columns else pd.Series(np.nan, index=X.index)
            text = column.astype("string").str.strip().str.lower().fillna("")
            out[name] = text.where(text != "", "(missing)").astype(object)
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return self.feature_names_out_
