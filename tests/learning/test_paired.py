"""The noise of 'what the why bought': standard errors of a difference between two sets of held-out
predictions of the same labels (learning.core.paired)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss, precision_score, recall_score, roc_auc_score

from learning.core.paired import (
    PAIRED_SEED,
    bootstrap_difference_se,
    delong_difference_se,
    paired_difference_se,
)


def two_fits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes and two correlated sets of scores, with ties (scores to two decimals)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    ours = np.round(np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1), 2)
    theirs = np.round(np.clip(ours + rng.normal(0, 0.1, n), 0, 1), 2)
    return y, ours, theirs


def test_the_bootstrap_is_a_paired_resampling_of_the_labels_scored_as_scikit_learn_scores() -> None:
    y, ours, theirs = two_fits(150)
    rng = np.random.default_rng(PAIRED_SEED)  # the same draws, resample by resample
    differences: dict[str, list[float]] = {"precision": [], "recall": [], "accuracy": [], "brier": []}
    for _ in range(40):
        counts = np.bincount(rng.integers(0, len(y), size=len(y), dtype=np.int32), minlength=len(y))
        for key, metric in (("precision", precision_score), ("recall", recall_score), ("accuracy", accuracy_score)):
            a = metric(y, ours >= 0.5, sample_weight=counts, **({} if key == "accuracy" else {"zero_division": 0}))
            b = metric(y, theirs >= 0.5, sample_weight=counts, **({} if key == "accuracy" else {"zero_division": 0}))
            differences[key].append(a - b)
        differences["brier"].append(
            brier_score_loss(y, ours, sample_weight=counts) - brier_score_loss(y, theirs, sample_weight=counts)
        )

    errors = bootstrap_difference_se(y, ours, theirs, threshold=0.5, resamples=40)

    assert errors == pytest.approx({key: np.std(values, ddof=1) for key, values in differences.items()}, rel=1e-9)


def pairwise(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The AUC's kernel for every (won, lost) pair: 1 ranked right, 1/2 tied, 0 wrong."""
    won, lost = scores[y == 1][:, None], scores[y == 0][None, :]
    return (won > lost) + 0.5 * (won == lost)


def test_delong_is_the_variance_of_its_definition_on_every_pair() -> None:
    y, ours, theirs = two_fits(300, seed=3)
    kernels = [pairwise(y, ours), pairwise(y, theirs)]
    by_won = np.vstack([kernel.mean(axis=1) for kernel in kernels])
    by_lost = np.vstack([kernel.mean(axis=0) for kernel in kernels])
    contrast = np.array([1.0, -1.0])
    variance = contrast @ np.cov(by_won) @ contrast / by_won.shape[1]
    variance += contrast @ np.cov(by_lost) @ contrast / by_lost.shape[1]

    assert delong_difference_se(y, ours, theirs) == pytest.approx(np.sqrt(variance), rel=1e-9)


def test_delong_agrees_with_a_long_bootstrap_of_the_auc_difference() -> None:
    y, ours, theirs = two_fits(400, seed=3)
    kernels = [pairwise(y, ours), pairwise(y, theirs)]
    rng = np.random.default_rng(7)
    differences = []
    for _ in range(2000):
        counts = np.bincount(rng.integers(0, len(y), size=len(y)), minlength=len(y)).astype(float)
        won, lost = counts[y == 1], counts[y == 0]
        aucs = [won @ kernel @ lost / (won.sum() * lost.sum()) for kernel in kernels]
        differences.append(aucs[0] - aucs[1])

    assert delong_difference_se(y, ours, theirs) == pytest.approx(np.std(differences, ddof=1), rel=0.1)
    assert roc_auc_score(y, ours) == pytest.approx(pairwise(y, ours).mean())  # the kernel is scikit-learn's AUC


def test_a_difference_in_accuracy_is_as_noisy_as_the_mean_of_its_per_label_differences() -> None:
    y, ours, theirs = two_fits(2000, seed=5)
    per_label = (ours >= 0.5).astype(int) - (theirs >= 0.5).astype(int)
    per_label = np.where(y == 1, per_label, -per_label)  # +1 where only ours is right, -1 where only theirs

    errors = paired_difference_se(y, ours, theirs, threshold=0.5)

    assert errors["accuracy"] == pytest.approx(per_label.std() / np.sqrt(len(y)), rel=0.1)


def test_the_same_predictions_differ_by_nothing_and_the_figures_repeat() -> None:
    y, ours, theirs = two_fits(300)

    assert paired_difference_se(y, ours, ours.copy(), threshold=0.5) == {
        "roc_auc": 0.0,
        "precision": 0.0,
        "recall": 0.0,
        "accuracy": 0.0,
        "brier": 0.0,
    }
    assert paired_difference_se(y, ours, theirs, threshold=0.5) == paired_difference_se(y, ours, theirs, threshold=0.5)


def test_the_noise_shrinks_with_more_labels() -> None:
    small = paired_difference_se(*two_fits(200), threshold=0.5)
    large = paired_difference_se(*two_fits(5000), threshold=0.5)

    assert all(large[key] < small[key] for key in small)


def test_without_two_labels_of_each_outcome_the_auc_has_no_error_and_no_nan() -> None:
    y = np.array([1, 0, 0, 0])
    ours, theirs = np.array([0.9, 0.2, 0.4, 0.1]), np.array([0.8, 0.3, 0.5, 0.2])

    errors = paired_difference_se(y, ours, theirs, threshold=0.5)

    assert delong_difference_se(y, ours, theirs) is None
    assert set(errors) == {"precision", "recall", "accuracy", "brier"}
    assert all(np.isfinite(list(errors.values())))
    assert paired_difference_se(y[:1], ours[:1], theirs[:1], threshold=0.5) == {}
