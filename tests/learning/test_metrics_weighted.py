"""Model-quality figures from labels, weighted by inverse propensity."""

from __future__ import annotations

import numpy as np
import pytest

from learning.core.metrics import calibration_bins, gain_table, threshold_stats

Y = np.array([1, 0, 1, 0])
P = np.array([0.9, 0.8, 0.3, 0.1])
W = np.array([1.0, 3.0, 1.0, 1.0])


def test_threshold_stats_weight_precision_recall_and_accuracy_but_count_labels() -> None:
    stats = threshold_stats(Y, P, threshold=0.5, weights=W)

    # Hot: .9 (won, w1) and .8 (lost, w3): precision 1/4; won weight 2, found 1: recall 1/2.
    assert stats["precision"] == pytest.approx(0.25)
    assert stats["recall"] == pytest.approx(0.5)
    assert stats["accuracy"] == pytest.approx(2 / 6)  # right: .9 (w1) and .1 (w1) of weight 6
    assert (stats["n"], stats["hot"], stats["true_hot"]) == (4, 2, 1)


def test_without_weights_the_figures_are_plain_shares() -> None:
    assert threshold_stats(Y, P, threshold=0.5)["precision"] == 0.5


def test_calibration_groups_take_weighted_means() -> None:
    rows = calibration_bins(Y, P, bins=2, weights=W)

    assert [r["n"] for r in rows] == [2, 2]
    assert rows[0]["actual"] == pytest.approx(0.25)  # the highest group first: .8 lost (w3), .9 won (w1)
    assert rows[0]["predicted"] == pytest.approx((0.8 * 3 + 0.9) / 4)


def test_calibration_and_gain_number_the_same_groups_from_the_highest_scores() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 95), np.round(rng.random(95), 1)  # ties, and groups of unequal size

    calibration, gain = calibration_bins(y, p, bins=4), gain_table(y, p, groups=4)

    assert [r["bin"] for r in calibration] == [g["group"] for g in gain] == [1, 2, 3, 4]
    assert [r["n"] for r in calibration] == [g["n"] for g in gain]
    assert [round(r["actual"] * r["n"]) for r in calibration] == [g["converted"] for g in gain]
    assert [r["low"] for r in calibration] == sorted((r["low"] for r in calibration), reverse=True)


def test_gain_and_lift_are_weighted() -> None:
    rows = gain_table(Y, P, groups=2, weights=W)

    # Overall weighted rate 2/6; the top group's 1/4 gives lift 0.75 and finds half the won weight.
    assert rows[0]["lift"] == pytest.approx(0.75)
    assert rows[0]["gain"] == pytest.approx(0.5)
    assert rows[0]["share_of_leads"] == pytest.approx(4 / 6)
    assert rows[0]["converted"] == 1
