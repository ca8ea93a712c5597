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
    }
