"""Model quality on held-out labels."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, brier_score_loss, precision_score, recall_score, roc_auc_score


def evaluate(y_true: np.ndarray, proba: np.ndarray, *, threshold: float) -> dict[str, float]:
    y_true = np.asarray(y_true).astype(int)
    predicted = (np.asarray(proba) >= threshold).astype(int)
    both = len(np.unique(y_true)) == 2
    return {
        "roc_auc": float(roc_auc_score(y_true, proba)) if both else float("nan"),
        "precision": float(precision_score(y_true, predicted, zero_division=0)),
        "recall": float(recall_score(y_true, predicted, zero_division=0)),
        "accuracy": float(accuracy_score(y_true, predicted)),
        "brier": float(brier_score_loss(y_true, proba)),
        "threshold": float(threshold),
        "n": len(y_true),
        "positives": int(y_true.sum()),
        "called_hot": int(predicted.sum()),  # precision's sample size
    }


def _weights(weights: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones(n) if weights is None else np.asarray(weights, dtype=float)


def threshold_stats(
    y_true: np.ndarray, proba: np.ndarray, *, threshold: float, weights: np.ndarray | None = None
) -> dict[str, float | int]:
    """What calling every lead at or above ``threshold`` hot gives on labeled data.

    Counts are of labels; precision, recall and accuracy are weighted by ``weights`` (inverse
    propensities, so they describe the pool), unweighted without.
    """
    y_true = np.asarray(y_true).astype(int)
    w = _weights(weights, len(y_true))
    hot = np.asarray(proba, dtype=float) >= threshold
    won = y_true == 1
    true_hot = int((hot & won).sum())
    positives = int(won.sum())
    return {
        "n": len(y_true),
        "hot": int(hot.sum()),
        "true_hot": true_hot,
        "positives": positives,
        "precision": float(w[hot & won].sum() / w[hot].sum()) if hot.any() else 0.0,
        "recall": float(w[hot & won].sum() / w[won].sum()) if positives else 0.0,
        "accuracy": float(w[hot == won].sum() / w.sum()) if len(y_true) else 0.0,
    }


def score_groups(proba: np.ndarray, groups: int) -> list[np.ndarray]:
    """The indices of ``proba`` cut into ``groups`` groups of equal label counts, highest scores first
    (group 1 is what a seller would work first): the groups calibration, gain and lift share."""
    proba = np.asarray(proba, dtype=float)
    order = np.argsort(-proba, kind="stable")
    return [idx for idx in np.array_split(order, min(groups, len(order))) if len(idx)]


def calibration_bins(
    y_true: np.ndarray, proba: np.ndarray, *, bins: int = 10, weights: np.ndarray | None = None
) -> list[dict[str, float | int]]:
    """Predicted vs actual conversion rate by group of the prediction (``score_groups``: equal label
    counts, highest scores first, as ``gain_table``'s); ``predicted`` and ``actual`` are means
    weighted by ``weights``."""
    y_true = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=float)
    w = _weights(weights, len(y_true))
    return [
        {
            "bin": i + 1,
            "n": len(idx),
            "predicted": float(np.average(proba[idx], weights=w[idx])),
            "actual": float(np.average(y_true[idx], weights=w[idx])),
            "low": float(proba[idx].min()),
            "high": float(proba[idx].max()),
        }
        for i, idx in enumerate(score_groups(proba, bins))
    ]


def gain_table(
    y_true: np.ndarray, proba: np.ndarray, *, groups: int = 10, weights: np.ndarray | None = None
) -> list[dict[str, float | int]]:
    """Lift and cumulative gain: leads sorted by prediction, best first, cut into equal-count groups
    (``score_groups``).

    ``gain`` is the share of all conversions found in the top groups so far; ``lift`` the group's
    conversion rate over the overall rate. With ``weights`` every share and rate is weighted
    (``n`` and ``converted`` stay label counts).
    """
    y_true = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=float)
    w = _weights(weights, len(y_true))
    total, positives = float(w.sum()), float(w[y_true == 1].sum())
    rate = positives / total if total else 0.0
    rows: list[dict[str, float | int]] = []
    seen = found = 0.0
    for i, idx in enumerate(score_groups(proba, groups)):
        group_weight = float(w[idx].sum())
        hits = float((w[idx] * y_true[idx]).sum())
        seen += group_weight
        found += hits
        group_rate = hits / group_weight if group_weight else 0.0
        rows.append(
            {
                "group": i + 1,
                "n": len(idx),
                "converted": int(y_true[idx].sum()),
                "rate": group_rate,
                "lift": group_rate / rate if rate else 0.0,
                "share_of_leads": seen / total,
                "gain": found / positives if positives else 0.0,
                "cumulative_lift": (found / seen) / rate if rate and seen else 0.0,
            }
        )
    return rows


def weighted_evaluate(
    y_true: np.ndarray, proba: np.ndarray, *, propensity: np.ndarray, threshold: float
) -> dict[str, float]:
    """``evaluate`` for labels the queue picked, each weighted by its inverse pick probability, so the
    figures describe the whole pool rather than the leads the queue favoured (Horvitz-Thompson,
    self-normalised). ``n`` is the labels behind them, ``effective_n`` what they are worth after
    weighting (Kish: (sum w)^2 / sum w^2)."""
    y_true = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=float)
    n = len(y_true)
    if n == 0:
        return {"n": 0, "effective_n": 0.0, "positives": 0, "threshold": float(threshold)}
    weight = 1.0 / np.asarray(propensity, dtype=float)
    weight = weight / weight.mean()
    predicted = (proba >= threshold).astype(int)
    both = len(np.unique(y_true)) == 2  # one outcome only: no AUC (and no NaN, which JSON columns refuse)
    return {
        **({"roc_auc": float(roc_auc_score(y_true, proba, sample_weight=weight))} if both else {}),
        "precision": float(precision_score(y_true, predicted, sample_weight=weight, zero_division=0)),
        "recall": float(recall_score(y_true, predicted, sample_weight=weight, zero_division=0)),
        "accuracy": float(accuracy_score(y_true, predicted, sample_weight=weight)),
        "brier": float(brier_score_loss(y_true, proba, sample_weight=weight)),
        "conversion_rate": float(np.average(y_true, weights=weight)),
        "threshold": float(threshold),
        "n": n,
        "effective_n": float(weight.sum() ** 2 / (weight**2).sum()),
        "positives": int(y_true.sum()),
    }
