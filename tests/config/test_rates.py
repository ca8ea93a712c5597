"""Weighted rates: inverse-propensity weights, Wilson intervals on the effective sample size."""

from __future__ import annotations

import pytest

from config.rates import (
    MIN_LABELS,
    Rate,
    clearly_ahead,
    inverse_propensity_weights,
    rate_from_sums,
    weighted_rate,
    wilson_interval,
)


def test_labels_outside_the_queue_weigh_one_and_queue_labels_average_one() -> None:
    weights = inverse_propensity_weights([0.5, 0.1, None, 0.25])

    # 1/p = 2, 10, 4 → mean 16/3, scaled to a mean of 1.
    assert weights == pytest.approx([2 * 3 / 16, 10 * 3 / 16, 1.0, 4 * 3 / 16])
    assert sum(w for w, p in zip(weights, [0.5, 0.1, None, 0.25], strict=True) if p) == pytest.approx(3)


def test_a_propensity_of_zero_counts_as_missing() -> None:
    assert inverse_propensity_weights([0.0, None]) == [1.0, 1.0]


def test_the_wilson_interval_matches_the_textbook() -> None:
    low, high = wilson_interval(0.5, 100)

    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)


def test_an_unlikely_pick_pulls_the_rate_and_widens_the_interval() -> None:
    plain = weighted_rate([True, False, False, False], [1, 1, 1, 1])
    weighted = weighted_rate([True, False, False, False], [5, 1, 1, 1])

    assert plain.value == 0.25 and weighted.value == pytest.approx(5 / 8)
    assert weighted.effective_n == pytest.approx(64 / 28)
    assert (weighted.high or 0) - (weighted.low or 0) > (plain.high or 0) - (plain.low or 0)
    assert (weighted.n, weighted.hits) == (4, 1)


def test_a_rate_knows_when_it_stands_on_few_labels() -> None:
    assert not weighted_rate([True] * (MIN_LABELS - 1), [1.0] * (MIN_LABELS - 1)).enough
    assert weighted_rate([True] * MIN_LABELS, [1.0] * MIN_LABELS).enough


def test_no_labels_give_no_rate_rather_than_zero() -> None:
    rate = rate_from_sums(n=0, hits=0, hit_weight=0, weight=0, weight2=0)

    assert rate.value is None and rate.low is None


def test_mismatched_lengths_are_an_error() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        weighted_rate([True], [1.0, 2.0])


def test_a_share_is_clearly_ahead_of_another_only_beyond_chance() -> None:
    def share(hits: int, n: int = 37) -> Rate:
        return weighted_rate([True] * hits + [False] * (n - hits), [1.0] * n)

    assert not clearly_ahead(share(8), share(8))  # a tie
    assert not clearly_ahead(share(9), share(7))  # the walkthrough's 23% against 21%: within chance
    assert clearly_ahead(share(20), share(4))
    assert not clearly_ahead(share(4), share(20))
