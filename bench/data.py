"""Synthetic lead and activity CSVs of any size, in the importer's format (vectorised)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from leads.demo import COUNTRIES, DEPARTMENTS, INDUSTRIES, SIZES, SOURCES

TYPES = ["email_open", "email_click", "page_visit", "pricing_visit", "download", "webinar", "meeting", "call"]
TYPE_P = [0.35, 0.15, 0.25, 0.06, 0.06, 0.04, 0.04, 0.05]


def write_csvs(
    directory: Path, *, leads: int, events_per_lead: float = 5.0, labeled: float = 0.02, seed: int = 0
) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    ids = np.char.add("B", np.arange(leads).astype(str))
    industry = rng.choice(list(INDUSTRIES), size=leads)
    source = rng.choice(list(SOURCES), size=leads)
    seniority = rng.choice(["c-level", "vp", "director", "manager", "individual contributor"], size=leads)
    logit = -2.0 + pd.Series(industry).map(INDUSTRIES).to_numpy() + pd.Series(source).map(SOURCES).to_numpy()
    n_events = rng.poisson(events_per_lead, size=leads)
    total = int(n_events.sum())
    owner = np.repeat(np.arange(leads), n_events)
    kinds = rng.choice(len(TYPES), size=total, p=TYPE_P)
    ages = rng.exponential(30.0, size=total)
    pricing = np.bincount(owner[kinds == 3], minlength=leads)
    meetings = np.bincount(owner[kinds == 6], minlength=leads)
    logit = logit + 0.6 * np.minimum(pricing, 4) + 0.8 * np.minimum(meetings, 3)
    converted = rng.random(leads) < 1 / (1 + np.exp(-logit))
    outcome = np.where(rng.random(leads) < labeled, np.where(converted, "converted", "not_converted"), "")
    frame = pd.DataFrame(
        {
            "external_id": ids,
            "company": np.char.add("Company ", np.arange(leads).astype(str)),
            "industry": industry,
            "employees": rng.choice(SIZES, size=leads),
            "title": "Buyer",
            "seniority": seniority,
            "department": rng.choice(DEPARTMENTS, size=leads),
            "country": rng.choice(COUNTRIES, size=leads),
            "source": source,
            "created_at": (pd.Timestamp(now) - pd.to_timedelta(rng.uniform(1, 180, size=leads), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "deal_value": (rng.lognormal(9.5, 0.6, size=leads) // 100 * 100).astype(int),
            "plan_interest": rng.choice(["starter", "growth", "enterprise"], size=leads),
            "outcome": outcome,
        }
    )
    directory.mkdir(parents=True, exist_ok=True)
    leads_path, events_path = directory / f"leads-{leads}.csv", directory / f"activities-{leads}.csv"
    frame.to_csv(leads_path, index=False)
    stamps = pd.Timestamp(now) - pd.to_timedelta(ages, unit="D")
    pd.DataFrame(
        {"lead": ids[owner], "type": np.array(TYPES)[kinds], "occurred_at": stamps.strftime("%Y-%m-%dT%H:%M:%S")}
    ).drop_duplicates().to_csv(events_path, index=False)
    return leads_path, events_path
