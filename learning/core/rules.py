"""Cold-start scoring: classic points per behaviour and per profile attribute."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_COUNTED_EVENTS = 5  # per type, so one noisy lead cannot run away with the points


@dataclass(frozen=True)
class ProfileRule:
    field: str
    value: str
    points: float


@dataclass
class PointRules:
    activity_points: dict[str, float] = field(default_factory=dict)
    profile_rules: list[ProfileRule] = field(default_factory=list)
    hot_points: float = 50.0


@dataclass
class RuleScores:
    probability: np.ndarray
    fit_points: np.ndarray
    behaviour_points: np.ndarray
    explanations: list[list[str]]


def score_by_rules(frame: pd.DataFrame, rules: PointRules) -> RuleScores:
    """Points per lead, turned into a probability that is 0.5 exactly at the hot threshold."""
    n = len(frame)
    behaviour = np.zeros(n)
    fit = np.zeros(n)
    hits: list[list[tuple[float, str]]] = [[] for _ in range(n)]
    for kind, points in rules.activity_points.items():
        column = f"count__{kind}"
        if column not in frame.columns or points == 0:
            continue
        counts = np.minimum(frame[column].fillna(0).to_numpy(dtype=float), MAX_COUNTED_EVENTS)
        behaviour += counts * points
        for i in np.flatnonzero(counts):
            hits[i].append((counts[i] * points, f"{int(counts[i])} × {kind.replace('_', ' ')}"))
    for rule in rules.profile_rules:
        if rule.field not in frame.columns or rule.points == 0:
            continue
        matches = (
            frame[rule.field].astype("string").str.strip().str.lower().eq(rule.value.strip().lower()).fillna(False)
        )
        mask = matches.to_numpy(dtype=bool)
        fit += mask * rule.points
        for i in np.flatnonzero(mask):
            hits[i].append((rule.points, f"{rule.field}: {rule.value}"))
    total = fit + behaviour
    scale = max(rules.hot_points, 1.0) / 4.0
    probability = 1.0 / (1.0 + np.exp(-(total - rules.hot_points) / scale))
    explanations = [
        [f"{'▲' if p > 0 else '▼'} {p:+.0f} points: {text}" for p, text in sorted(row, key=lambda h: -abs(h[0]))[:5]]
        or ["no scoring rule matched yet"]
        for row in hits
    ]
    return RuleScores(probability=probability, fit_points=fit, behaviour_points=behaviour, explanations=explanations)
