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


def behaviour_features(
    events: pd.DataFrame, *, lead_ids: pd.Index, as_of: datetime, types: list[str] | None = None
) -> pd.DataFrame:
    """Counts per activity type, recency, frequency, engagement span and decayed counts as of ``as_of``.

    ``events`` has columns ``lead_id, type, occurred_at``; events after ``as_of`` are ignored.
    """
    now = as_of_days(as_of)
    out = pd.DataFrame(index=lead_ids)
    if events.empty:
        days = pd.Series(dtype=float)
        events = pd.DataFrame({"lead_id": pd.Series(dtype=lead_ids.dtype), "type": pd.Series(dtype=str)})
    else:
        days = _epoch_days(events["occurred_at"])
        keep = (days <= now + 1e-9).to_numpy() & days.notna().to_numpy()
        events = events.loc[keep]
        days = days.loc[keep]
    age = now - days.to_numpy(dtype=float)
    frame = pd.DataFrame(
        {"lead_id": events["lead_id"].to_numpy(), "type": events["type"].astype(str).to_numpy(), "age": age}
    )
    grouped = frame.groupby("lead_id")
    out["act_total"] = grouped.size().reindex(lead_ids).fillna(0).to_numpy()
    for window in RECENT_DAYS:
        out[f"act_last_{window}d"] = (
            frame[frame["age"] <= window].groupby("lead_id").size().reindex(lead_ids).fillna(0).to_numpy()
        )
    decay = np.power(0.5, frame["age"] / HALF_LIFE_DAYS)
    out["act_decayed"] = decay.groupby(frame["lead_id"]).sum().reindex(lead_ids).fillna(0.0).to_numpy()
    out["act_days_since_last"] = grouped["age"].min().reindex(lead_ids).to_numpy()
    out["act_span_days"] = (grouped["age"].max() - grouped["age"].min()).reindex(lead_ids).fillna(0.0).to_numpy()
    out["act_active_days"] = (
        frame.assign(day=np.floor(frame["age"]))
        .groupby("lead_id")["day"]
        .nunique()
        .reindex(lead_ids)
        .fillna(0)
        .to_numpy()
    )
    if types is None:
        types = list(frame["type"].value_counts().index[:MAX_ACTIVITY_TYPES])
    if types:
        counts = pd.crosstab(frame["lead_id"], frame["type"]).reindex(index=lead_ids, columns=types).fillna(0)
        recent = frame[frame["age"] <= 30]
        recent_counts = pd.crosstab(recent["lead_id"], recent["type"]).reindex(index=lead_ids, columns=types).fillna(0)
        for kind in types:
            out[f"count__{kind}"] = counts[kind].to_numpy(dtype=float)
            out[f"recent30__{kind}"] = recent_counts[kind].to_numpy(dtype=float)
    return out


def build_frame(
    profiles: pd.DataFrame, events: pd.DataFrame, *, as_of: datetime, activity_types: list[str] | None = None
) -> pd.DataFrame:
    """One row per lead (``profiles``' index): profile, custom attributes and behaviour features."""
    frame = profiles.drop(columns=[c for c in profiles.columns if c in IGNORED], errors="ignore").copy()
    if "created_at" in frame.columns:
        frame["lead_age_days"] = as_of_days(as_of) - _epoch_days(frame.pop("created_at"))
    behaviour = behaviour_features(events, lead_ids=frame.index, as_of=as_of, types=activity_types)
    frame = pd.concat([frame, behaviour], axis=1)
    frame[AS_OF_COLUMN] = as_of_days(as_of)
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
