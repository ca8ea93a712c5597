"""How noisy a difference between two sets of held-out predictions of the same labels is.

"What the why bought" compares the model fitted with the reasons and the one fitted on the
outcomes alone, each predicting every label from folds that never saw it. Their difference in a
metric is only worth reading beside its standard error, computed from the same labels, paired:

- ROC AUC: DeLong's variance of the difference of two correlated AUCs (DeLong, DeLong and
  Clarke-Pearson 1988, in Sun and Xu's 2014 form: a few sorts, no resampling);
- precision, recall, accuracy and Brier score: a paired bootstrap over the labels (both sets
  resampled together, ``PAIRED_RESAMPLES`` times, with a fixed seed, so that a version's figure is
  the same whenever it is recomputed).

Both measure the noise of *which labels were held out*, for the models as fitted; the noise of
refitting on other labels is not in them.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

PAIRED_RESAMPLES = 300
PAIRED_SEED = 20_261_207


def mean_and_se(differences: np.ndarray) -> tuple[float, float]:
    """Paired differences (one per seed, per label...): their mean and its standard error (NaN with
    fewer than two)."""
    differences = np.asarray(differences, dtype=float)
    n = len(differences)
    return float(differences.mean()), float(differences.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")


def delong_difference_se(y_true: np.ndarray, proba: np.ndarray, baseline: np.ndarray) -> float | None:
    """The standard error of ROC AUC(``proba``) - ROC AUC(``baseline``) on the same labels (ties
    count half, as in ``roc_auc_score``); None without at least two labels of each outcome."""
    y = np.asarray(y_true).astype(int)
    won, lost = y == 1, y == 0
    m, k = int(won.sum()), int(lost.sum())
    if m < 2 or k < 2:
        return None
    placements_won, placements_lost = [], []
    for scores in (np.asarray(proba, dtype=float), np.asarray(baseline, dtype=float)):
        every = rankdata(scores)  # midranks among all labels
        among_won, among_lost = rankdata(scores[won]), rankdata(scores[lost])
        # A won label's share of lost labels scored below it; a lost label's share of won labels above it.
        placements_won.append((every[won] - among_won) / k)
        placements_lost.append(1.0 - (every[lost] - among_lost) / m)
    contrast = np.array([1.0, -1.0])
    spread_won = np.cov(np.vstack(placements_won))
    spread_lost = np.cov(np.vstack(placements_lost))
    variance = contrast @ spread_won @ contrast / m + contrast @ spread_lost @ contrast / k
    return float(np.sqrt(max(variance, 0.0)))


def _per_label(y: np.ndarray, proba: np.ndarray, threshold: float) -> np.ndarray:
    """Per label, the parts the threshold metrics and the Brier score add up: hot, hot and won,
    called right, squared error."""
    won = (y == 1).astype(float)
    hot = (proba >= threshold).astype(float)
    return np.column_stack([hot, hot * won, (hot == won).astype(float), (proba - y) ** 2])


def _metrics_of_sums(sums: np.ndarray, won: np.ndarray, drawn: float) -> dict[str, np.ndarray]:
    hot, hot_won, right, squared = sums.T
    return {
        "precision": np.divide(hot_won, hot, out=np.zeros_like(hot_won), where=hot > 0),
        "recall": np.divide(hot_won, won, out=np.zeros_like(hot_won), where=won > 0),
        "accuracy": right / drawn,
        "brier": squared / drawn,
    }


def bootstrap_difference_se(
    y_true: np.ndarray,
    proba: np.ndarray,
    baseline: np.ndarray,
    *,
    threshold: float,
    resamples: int = PAIRED_RESAMPLES,
    seed: int = PAIRED_SEED,
) -> dict[str, float]:
    """The standard error of the difference ``proba`` - ``baseline`` in precision, recall and
    accuracy at ``threshold`` and in Brier score, by a paired bootstrap over the labels."""
    y = np.asarray(y_true).astype(int)
    n = len(y)
    if n < 2 or resamples < 2:
        return {}
    ours = _per_label(y, np.asarray(proba, dtype=float), threshold)
    theirs = _per_label(y, np.asarray(baseline, dtype=float), threshold)
    parts = np.hstack([ours, theirs, (y == 1).astype(float)[:, None]])
    rng = np.random.default_rng(seed)
    sums = np.empty((resamples, parts.shape[1]))
    for i in range(resamples):  # one resample at a time: its counts stay small enough for the cache
        sums[i] = np.bincount(rng.integers(0, n, size=n, dtype=np.int32), minlength=n) @ parts
    won = sums[:, -1]
    with_, without = _metrics_of_sums(sums[:, :4], won, n), _metrics_of_sums(sums[:, 4:8], won, n)
    return {key: float(np.std(with_[key] - without[key], ddof=1)) for key in with_}


def paired_difference_se(
    y_true: np.ndarray,
    proba: np.ndarray,
    baseline: np.ndarray,
    *,
    threshold: float,
    resamples: int = PAIRED_RESAMPLES,
    seed: int = PAIRED_SEED,
) -> dict[str, float]:
    """The standard error of each ``evaluate`` figure's difference ``proba`` - ``baseline`` (two sets
    of held-out predictions of the same labels): ``roc_auc`` by DeLong, the others by a paired
    bootstrap. ROC AUC is left out without two labels of each outcome."""
    errors = bootstrap_difference_se(y_true, proba, baseline, threshold=threshold, resamples=resamples, seed=seed)
    auc = delong_difference_se(y_true, proba, baseline)
    return {**({"roc_auc": auc} if auc is not None else {}), **errors}
