"""Importance weights for training on the queue's picks (docs/backtest.md, "training on importance weights").

The queue draws leads with known probabilities, so its labels are not a random sample of the pool.
Weighing each pick by its inverse pick probability makes them one (Horvitz & Thompson); flattened
by a power below 1 (Shimodaira 2000) the weights trade some of that correction for less variance.
"""

from __future__ import annotations

import numpy as np

# Production's power: the queue's picks weigh their inverse pick probability to it in training, and the
# backtest replays it unless told otherwise (0: all labels alike). Chosen on the backtest's tuning set,
# judged on its report set by rules written first (docs/backtest.md, "training on importance weights").
TRAIN_WEIGHTS = 0.5


def flattened(inverse: np.ndarray, power: float) -> np.ndarray:
    """``inverse ** power`` scaled to mean 1 (0: every row alike; 1: the full importance weights)."""
    weights = np.asarray(inverse, dtype=float) ** power
    return weights / weights.mean()


def label_weights(n_labels: int, picks: np.ndarray, propensity: np.ndarray, power: float) -> np.ndarray | None:
    """Each label's training weight: the queue's picks (positions ``picks``, drawn with per-draw
    probability ``propensity``) weigh their inverse propensity flattened by ``power`` and scaled to
    mean 1 among themselves; labels from outside the queue (imported history, the lead page, the
    API without a lease) weigh 1. None when ``power`` is 0 or nothing came from the queue."""
    if power == 0 or len(picks) == 0:
        return None
    weights = np.ones(n_labels)
    weights[picks] = flattened(1.0 / np.asarray(propensity, dtype=float), power)
    return weights
