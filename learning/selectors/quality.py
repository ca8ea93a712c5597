"""Reads for the model-quality dashboard and the threshold preview: figures from labels, weighted by
inverse propensity, with their sample sizes and intervals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from config.rates import MIN_LABELS, Rate, rate_from_sums, weighted_rate
from feedback.dashboards.filters import LabelFilters
from feedback.dashboards.quality import labeled_scores
from leads.frames import open_lead_scores
from learning.core.metrics import calibration_bins, gain_table, score_groups, threshold_stats
from learning.selectors.loop import loop_settings
from learning.selectors.versions import active_model, model_versions


def model_quality(*, filters: LabelFilters | None = None, until: datetime | None = None) -> dict[str, Any]:
    """The active model's held-out metrics and the versions trained before ``until``, and
    calibration / gain / lift from the scores reps saw on the labels of ``filters``.

    Every figure from labels is weighted by inverse propensity (``config.rates``). Calibration
    and gain share their groups, numbered from the highest scores, each of at least MIN_LABELS
    labels; with fewer than two such groups there are none, and the page says so instead of
    drawing 0% or 100% from a handful of labels.
    """
    settings = loop_settings()
    seen = labeled_scores(filters=filters)
    y_arr, p_arr = np.array(seen.outcomes, dtype=int), np.array(seen.scores, dtype=float)
    w_arr = np.array(seen.weights, dtype=float)
    groups = min(10, len(y_arr) // MIN_LABELS)
    versions = model_versions(limit=200)
    if until is not None:
        versions = [v for v in versions if v.created_at < until]
    history = sorted(versions, key=lambda v: v.version)  # in the order they were trained, whatever their label counts
    bins = calibration_bins(y_arr, p_arr, bins=groups, weights=w_arr) if groups >= 2 else []
    splits = score_groups(p_arr, groups) if bins else []
    calibration: list[dict[str, Any]] = [  # the same groups calibration_bins cut, with their intervals
        {**row, "interval": weighted_rate(list(y_arr[idx] == 1), list(w_arr[idx]))}
        for row, idx in zip(bins, splits, strict=True)
    ]
    return {
        "active": (active := active_model()),
        "headline": headline_rates(active.metrics if active else None),
        "threshold": settings.hot_threshold,
        "seen_n": len(y_arr),
        "seen_positives": int(y_arr.sum()),
        "seen_rate": weighted_rate(list(y_arr == 1), list(w_arr)),
        "seen": threshold_stats(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr) if len(y_arr) else None,
        "seen_rates": threshold_rates(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr),
        "min_labels": MIN_LABELS,
        "enough": len(y_arr) >= MIN_LABELS,
        "calibration": calibration,
        "gain": gain_table(y_arr, p_arr, groups=groups, weights=w_arr) if groups >= 2 else [],
        "history": history,
    }


def headline_rates(metrics: dict[str, Any] | None) -> dict[str, Rate]:
    """A model version's out-of-fold precision, recall and accuracy as rates over the labels behind
    each (the leads called hot, the converted ones, all), with Wilson's interval; a figure whose
    sample size the version did not record (trained before it was stored) is left out."""
    if not metrics:
        return {}
    sizes = {"precision": metrics.get("called_hot"), "recall": metrics.get("positives"), "accuracy": metrics.get("n")}
    rates = {}
    for name, n in sizes.items():
        value = metrics.get(name)
        if isinstance(n, int) and isinstance(value, int | float):
            hits = round(value * n)
            rates[name] = rate_from_sums(n=n, hits=hits, hit_weight=value * n, weight=float(n), weight2=float(n))
    return rates


def threshold_rates(y: np.ndarray, proba: np.ndarray, *, threshold: float, weights: np.ndarray) -> dict[str, Rate]:
    """Precision and recall at ``threshold`` as weighted rates with their sample size and interval:
    precision over the labels scored at or above it (none: no value, not 0%), recall over the
    converted ones."""
    hot, won = proba >= threshold, y == 1
    return {
        "precision": weighted_rate(list(won[hot]), list(weights[hot])),
        "recall": weighted_rate(list(hot[won]), list(weights[won])),
    }


def threshold_preview(*, hot_threshold: float, cost_per_lead: float, expected_value_threshold: float) -> dict[str, Any]:
    """What a hot threshold and an expected-value threshold would do, before they are saved.

    Precision and recall come from labels and the score each rep saw when labeling (``rates``: with
    their sample size and interval); the hot and worth-acting counts from the open leads' current
    scores.
    """
    settings = loop_settings()
    seen = labeled_scores()
    y_arr, p_arr = np.array(seen.outcomes, dtype=int), np.array(seen.scores, dtype=float)
    w_arr = np.array(seen.weights, dtype=float)
    scores = open_lead_scores()
    proba = np.array([s for s, _ in scores if s is not None], dtype=float)
    expected = np.array(
        [s * v - cost_per_lead for s, v in scores if s is not None and v is not None],
        dtype=float,
    )
    return {
        "hot_threshold": hot_threshold,
        "cost_per_lead": cost_per_lead,
        "expected_value_threshold": expected_value_threshold,
        "labeled": threshold_stats(y_arr, p_arr, threshold=hot_threshold, weights=w_arr),
        "labeled_now": threshold_stats(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr),
        "rates": threshold_rates(y_arr, p_arr, threshold=hot_threshold, weights=w_arr),
        "rates_now": threshold_rates(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr),
        "open": len(scores),
        "hot": int((proba >= hot_threshold).sum()),
        "hot_now": int((proba >= settings.hot_threshold).sum()),
        "worth_acting": int((expected > expected_value_threshold).sum()),
        "worth_acting_value": float(expected[expected > expected_value_threshold].sum()),
        "with_value": len(expected),
    }
