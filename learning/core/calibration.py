"""Platt's sigmoid on held-out log-odds: what turns the scorer's log-odds into probabilities (no Django here)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit

MIN_CALIBRATION_SCALE = 0.05  # a positive scale keeps the ranking (and the AUC) of the uncalibrated scores


def platt_scaling(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt's sigmoid on out-of-fold log-odds: ``scale * logit + shift`` is calibrated.

    A strongly regularised regression squeezes its log-odds towards the average where the signal is
    strong, and spreads them where it fits noise; the out-of-fold fit measures by how much. Platt's
    smoothed targets keep a few labels from giving certainties.
    """
    positives = int(y.sum())
    target = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (len(y) - positives + 2))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * logits + params[1]
        error = expit(z) - target
        return float(np.sum(np.logaddexp(0, z) - target * z)), np.array([error @ logits, error.sum()])

    fitted = minimize(
        loss, x0=np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(MIN_CALIBRATION_SCALE, None), (None, None)]
    )
    return float(fitted.x[0]), float(fitted.x[1])


def calibrated_log_loss(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean log-loss of held-out log-odds after Platt's sigmoid fitted on them: how well they rank and
    separate the outcomes, whatever their scale (the scale is what calibration sets anyway)."""
    return float(calibrated_log_losses(logits, y).mean())


def calibrated_log_losses(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each row's log-loss under ``calibrated_log_loss``'s sigmoid (to compare two fits row by row)."""
    scale, shift = platt_scaling(logits, y)
    z = scale * logits + shift
    return np.asarray(-log_expit(np.where(y == 1, z, -z)))
