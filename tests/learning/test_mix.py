"""The adaptive mix (full-information gains, AdaHedge) and the importance-weighted metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from learning.core.metrics import evaluate, weighted_evaluate
from learning.core.mix import (
    MixState,
    counterfactual_gains,
    draw_ratios,
    mix_summary,
    mix_update,
    weighted_brier_gain,
)
from learning.core.strategies import EXPERTS, distribution


def test_a_fresh_mix_gives_every_expert_the_same_share_and_says_so() -> None:
    state = MixState()
    assert state.shares() == pytest.approx(dict.fromkeys(EXPERTS, 1 / len(EXPERTS)))
    assert "no batch" in mix_summary(state)


def test_the_draw_ratios_average_one_under_the_mixture() -> None:
    """advice / p turns the mixture's draw into each expert's: its expectation under the draw is 1."""
    rng = np.random.default_rng(0)
    p1 = rng.beta(0.5, 6.0, size=500)
    proba = np.column_stack([1 - p1, p1])
    p, advised, _totals = distribution(proba, strategy="adaptive", exploration=0.2)
    for name in EXPERTS:
        assert float(np.sum(p * advised[name] / p)) == pytest.approx(1.0)
    picked = rng.choice(len(p), size=20000, p=p)
    ratios = draw_ratios(p[picked], {name: advised[name][picked] for name in EXPERTS})
    assert {name: float(r.mean()) for name, r in ratios.items()} == pytest.approx(dict.fromkeys(EXPERTS, 1.0), abs=0.05)


def gains(random: float, uncertainty: float, entropy: float) -> dict[str, float]:
    return {"random": random, "uncertainty": uncertainty, "entropy": entropy}


def test_the_mix_follows_the_expert_whose_batches_would_have_bought_more() -> None:
    state = mix_update(MixState(), gains=None, pending={"labels": [1, 2]})
    assert state.rounds == 0 and state.shares()["uncertainty"] == pytest.approx(1 / 3), "paid one batch late"
    for _ in range(6):
        state = mix_update(state, gains=gains(0.001, 0.004, 0.002), pending={})
    shares = state.shares()
    assert shares["uncertainty"] > shares["entropy"] > shares["random"]
    assert shares["uncertainty"] > 0.8, "a steady lead moves the mix within a few batches"
    assert state.rounds == 6 and state.last_gains == gains(0.001, 0.004, 0.002)
    assert "uncertainty's way of drawing them would have bought the most" in mix_summary(state)
    assert state.pending == {}


def test_the_mix_does_not_depend_on_the_gains_scale_or_a_shift() -> None:
    """AdaHedge has no step or range to tune: gains 1000 times larger, or all shifted, give the same mix."""
    rng = np.random.default_rng(1)
    rounds = [rng.normal([0.001, 0.002, 0.0015], 0.002) for _ in range(12)]
    states = [MixState(), MixState(), MixState()]
    for values in rounds:
        states[0] = mix_update(states[0], gains=gains(*values), pending={})
        states[1] = mix_update(states[1], gains=gains(*(1000 * values)), pending={})
        states[2] = mix_update(states[2], gains=gains(*(values - 0.5)), pending={})
    assert states[1].shares() == pytest.approx(states[0].shares())
    assert states[2].shares() == pytest.approx(states[0].shares())


def test_the_mix_loses_at_most_twice_its_gap_to_the_best_expert() -> None:
    """AdaHedge's bound (de Rooij et al. 2014): the mixture's summed loss exceeds the best expert's by
    at most twice the cumulative mixability gap, whatever the gains, noise and all."""
    rng = np.random.default_rng(2)
    state, mixed = MixState(), 0.0
    for _ in range(30):
        values = rng.normal([0.002, 0.0025, 0.001], 0.004)
        shares = state.shares()
        mixed -= sum(shares[name] * value for name, value in zip(EXPERTS, values, strict=True))
        state = mix_update(state, gains=gains(*values), pending={})
    assert mixed - min(state.losses.values()) <= 2 * state.gap + 1e-12
    assert state.gap > 0


def test_the_mix_state_survives_its_json_round_trip_and_an_old_state_starts_afresh() -> None:
    state = mix_update(MixState(), gains=None, pending={"labels": [5], "ratios": {"random": [0.5]}})
    state = mix_update(state, gains=gains(0.1, 0.0, -0.1), pending={"labels": [6]})
    again = MixState.from_json(json.loads(json.dumps(state.as_json())))
    assert again.as_json() == state.as_json()
    assert MixState.from_json(None).shares() == MixState().shares()
    exp4 = {"log_weights": {"uncertainty": 3.0}, "pending": {"random": 1.0}, "rounds": 4}
    assert MixState.from_json(exp4).as_json() == MixState().as_json()


def test_counterfactual_gains_credit_the_expert_that_would_have_drawn_the_informative_leads() -> None:
    """A batch half informative (the rows that carry the signal), half not: the expert that would
    have drawn only the informative half gains more on the validation labels than the one that would
    have drawn only the rest."""
    rng = np.random.default_rng(3)
    n = 600
    signal = rng.integers(0, 2, n)
    y = np.where(rng.random(n) < 0.9, signal, 1 - signal)
    design = sparse.csr_matrix(np.column_stack([signal, 1 - signal, np.ones(n)]).astype(float))
    before = np.arange(0, 6)
    batch = np.arange(6, 46)
    informative = np.ones(len(batch))
    informative[20:] = 1e-3
    validation = np.arange(100, 600)
    result = counterfactual_gains(
        design,
        y,
        before=before,
        batch=batch,
        ratios={"uncertainty": informative, "random": np.ones(len(batch)), "entropy": informative[::-1].copy()},
        validation=validation,
        validation_propensity=np.full(len(validation), 0.01),
        estimator=LogisticRegression(C=1.0, solver="liblinear"),
    )
    assert result["uncertainty"] > 0 and result["random"] > 0
    assert set(result) == set(EXPERTS)


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
