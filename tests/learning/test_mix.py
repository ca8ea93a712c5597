"""The adaptive mix (Active Learning by Learning, EXP4 credit) and the importance-weighted metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest

from learning.core.metrics import evaluate, weighted_evaluate
from learning.core.mix import (
    MixState,
    credit_ratios,
    learning_rate,
    mix_summary,
    mix_update,
    weighted_brier_gain,
)
from learning.core.strategies import EXPERTS, distribution


def test_a_fresh_mix_gives_every_expert_the_same_share_and_says_so() -> None:
    state = MixState()
    assert state.shares() == pytest.approx(dict.fromkeys(EXPERTS, 1 / len(EXPERTS)))
    assert "no batch" in mix_summary(state)


def test_the_credit_ratios_average_one_under_the_mixture() -> None:
    """EXP4's advice / p is an unbiased credit: its expectation under the draw is 1 for every expert."""
    rng = np.random.default_rng(0)
    p1 = rng.beta(0.5, 6.0, size=500)
    proba = np.column_stack([1 - p1, p1])
    p, advised, _totals = distribution(proba, strategy="adaptive", exploration=0.2)
    for name in EXPERTS:
        assert float(np.sum(p * advised[name] / p)) == pytest.approx(1.0)
    picked = rng.choice(len(p), size=20000, p=p)
    ratios = credit_ratios(p[picked], {name: advised[name][picked] for name in EXPERTS})
    assert ratios == pytest.approx(dict.fromkeys(EXPERTS, 1.0), abs=0.05)


def test_the_mix_shifts_towards_the_expert_whose_batch_bought_a_gain() -> None:
    state = MixState()
    state = mix_update(state, reward=None, ratios={"random": 0.5, "uncertainty": 1.8, "entropy": 0.7})
    assert state.rounds == 0 and state.shares()["uncertainty"] == pytest.approx(1 / 3), "paid one batch late"
    state = mix_update(state, reward=0.2, ratios={"random": 1.0, "uncertainty": 1.0, "entropy": 1.0})
    shares = state.shares()
    assert shares["uncertainty"] > shares["entropy"] > shares["random"]
    assert state.rounds == 1 and state.last_reward == 0.2
    assert "uncertainty's picks bought the most" in mix_summary(state)
    assert state.pending == {"random": 1.0, "uncertainty": 1.0, "entropy": 1.0}


def test_a_loss_moves_the_mix_away_and_rewards_are_bounded() -> None:
    state = mix_update(MixState(), reward=None, ratios={"random": 0.5, "uncertainty": 2.0, "entropy": 0.5})
    state = mix_update(state, reward=-5.0, ratios={})
    assert state.last_reward == -1.0
    assert state.shares()["uncertainty"] < 1 / 3
    assert learning_rate(1) > learning_rate(4) > learning_rate(100)


def test_the_mix_state_survives_its_json_round_trip() -> None:
    state = mix_update(MixState(), reward=None, ratios={"random": 0.5, "uncertainty": 2.0, "entropy": 0.5})
    state = mix_update(state, reward=0.1, ratios={"random": 1.2})
    again = MixState.from_json(state.as_json())
    assert again.as_json() == state.as_json()
    assert MixState.from_json(None).shares() == MixState().shares()


def test_the_brier_gain_is_importance_weighted() -> None:
    y = np.array([1, 0])
    before = np.array([0.5, 0.5])
    after = np.array([0.9, 0.5])  # better on the first lead only
    assert weighted_brier_gain(y, before, after, np.array([0.5, 0.5])) == pytest.approx((0.25 - 0.01) / 2)
    rare = weighted_brier_gain(y, before, after, np.array([0.1, 0.9]))  # the first lead was an unlikely pick
    assert rare == pytest.approx(0.24 * 10 / (10 + 1 / 0.9))
    assert weighted_brier_gain(np.array([]), before[:0], after[:0], np.array([])) == 0.0


def test_weighted_metrics_count_each_label_by_its_inverse_pick_probability() -> None:
    y = np.array([1, 1, 0, 0, 0, 0])
    proba = np.array([0.9, 0.2, 0.1, 0.6, 0.3, 0.2])
    even = weighted_evaluate(y, proba, propensity=np.full(6, 0.01), threshold=0.5)
    plain = evaluate(y, proba, threshold=0.5)
    for name in ("roc_auc", "precision", "recall", "accuracy", "brier"):
        assert even[name] == pytest.approx(plain[name])
    assert even["n"] == 6 and even["effective_n"] == pytest.approx(6.0)
    # The converted leads were the queue's likely picks: weighted, they count for less.
    skewed = weighted_evaluate(y, proba, propensity=np.array([0.04, 0.04, 0.01, 0.01, 0.01, 0.01]), threshold=0.5)
    assert skewed["conversion_rate"] == pytest.approx(0.5 / (0.5 + 4)) and even["conversion_rate"] == pytest.approx(
        1 / 3
    )
    assert skewed["effective_n"] < 6
    assert weighted_evaluate(y[:0], proba[:0], propensity=np.array([]), threshold=0.5)["n"] == 0


def test_weighted_metrics_on_one_outcome_have_no_auc_and_nothing_a_json_column_refuses() -> None:
    only_lost = weighted_evaluate(
        np.array([0, 0, 0]), np.array([0.2, 0.7, 0.1]), propensity=np.full(3, 0.02), threshold=0.5
    )
    assert "roc_auc" not in only_lost and only_lost["n"] == 3
    json.dumps(only_lost, allow_nan=False)  # PostgreSQL's jsonb refuses NaN
