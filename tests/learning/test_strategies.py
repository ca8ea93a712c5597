"""The strategies are sampling distributions built on modAL's measures; these tests also pin what of
modAL works with the installed scikit-learn and what does not (see DESIGN.md's pitfalls)."""

from __future__ import annotations

import numpy as np
import pytest
from modAL.models import ActiveLearner
from modAL.uncertainty import classifier_uncertainty, margin_sampling, uncertainty_sampling
from sklearn.linear_model import LogisticRegression

from learning.core.strategies import (
    EXPERTS,
    REGISTRY,
    STRATEGIES,
    KnownProbabilities,
    advice,
    distribution,
    needs_probabilities,
    rank_pool,
    select_batch,
    strategy_named,
)


def fitted() -> tuple[LogisticRegression, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    return LogisticRegression().fit(X, y), X


def pool(n: int = 1000, seed: int = 0) -> np.ndarray:
    p = np.random.default_rng(seed).beta(0.5, 6.0, size=n)  # rare converters, as in lead data
    return np.column_stack([1 - p, p])


def test_modal_query_functions_work_on_a_fitted_scikit_learn_estimator() -> None:
    model, X = fitted()
    indices, _scores = uncertainty_sampling(model, X, n_instances=5)
    assert len(indices) == 5
    assert np.all(np.abs(X[indices, 0]) < 0.5), "the most uncertain rows sit on the boundary"
    assert len(margin_sampling(model, X, n_instances=3)[0]) == 3


def test_modal_active_learner_teach_still_fails_with_this_scikit_learn() -> None:
    """If this starts passing, modAL was fixed and ActiveLearner could be used again."""
    _model, X = fitted()
    learner = ActiveLearner(estimator=LogisticRegression(), X_training=X[:20], y_training=(X[:20, 0] > 0).astype(int))
    with pytest.raises(TypeError, match="force_all_finite"):
        learner.teach(X[20:22], np.array([0, 1]))


def test_the_uncertainty_advice_is_modals_measure_normalised() -> None:
    model, X = fitted()
    proba = model.predict_proba(X)
    measure = classifier_uncertainty(KnownProbabilities(), proba)
    assert np.allclose(advice(proba, "uncertainty"), measure / measure.sum())


def test_every_strategy_in_the_registry_declares_what_it_needs() -> None:
    assert STRATEGIES[0] == "adaptive" and "random" in STRATEGIES
    assert not needs_probabilities("random")
    assert all(needs_probabilities(name) for name in STRATEGIES if name != "random")
    assert "mix" in strategy_named("adaptive").needs and strategy_named("adaptive").weigh is None
    assert set(EXPERTS) <= set(REGISTRY)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_is_a_distribution_with_the_floor_under_every_lead(strategy: str) -> None:
    proba = pool()
    p, _advice, _totals = distribution(proba, strategy=strategy, exploration=0.2)
    assert p.sum() == pytest.approx(1.0)
    assert p.min() >= 0.2 / len(p) - 1e-15, "no lead has probability 0"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_rank_pool_orders_every_row_once_and_gives_each_its_propensity(strategy: str) -> None:
    proba = pool(300)
    ranking = rank_pool(proba, strategy=strategy, exploration=0.2, rng=np.random.default_rng(1))
    assert sorted(ranking.order.tolist()) == list(range(300))
    assert ranking.propensity.shape == (300,) and ranking.propensity.sum() == pytest.approx(1.0)
    assert ranking.priority()[ranking.order[0]] == 1.0


def test_on_two_outcomes_margin_draws_as_uncertainty() -> None:
    proba = pool()
    assert np.allclose(advice(proba, "margin"), advice(proba, "uncertainty"))


def test_an_unknown_strategy_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown strategy 'nope'; choose one of adaptive"):
        rank_pool(pool(10), strategy="nope", exploration=0.2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="exploration"):
        rank_pool(pool(10), strategy="random", exploration=1.5, rng=np.random.default_rng(0))


def test_random_with_shared_keys_orders_by_the_keys() -> None:
    keys = np.random.default_rng(2).random(50)
    ranking = rank_pool(pool(50), strategy="random", exploration=0.2, rng=np.random.default_rng(0), keys=keys)
    assert ranking.order.tolist() == np.argsort(keys, kind="stable").tolist()
    assert np.allclose(ranking.propensity, 1 / 50) and ranking.explored.all()


def test_the_uncertainty_draw_leans_to_uncertain_leads_without_taking_only_them() -> None:
    proba = pool(5000, seed=3)
    first = np.concatenate(
        [
            rank_pool(proba, strategy="uncertainty", exploration=0.2, rng=np.random.default_rng(s)).order[:20]
            for s in range(30)
        ]
    )
    u = proba[:, 0].clip(max=0.5) * 0 + np.minimum(proba[:, 0], proba[:, 1])
    assert u[first].mean() > 1.5 * u.mean(), "it tilts"
    assert u[first].min() < np.quantile(u, 0.5), "it still picks confident leads: the floor and the draw"


def test_the_first_pick_follows_the_stored_propensity() -> None:
    """The propensity is the chance one draw picks the lead: over many draws the first place agrees."""
    p = np.array([0.02, 0.1, 0.3, 0.45, 0.6, 0.9])
    proba = np.column_stack([1 - p, p])
    draws = 20_000
    rng = np.random.default_rng(7)
    counts = np.zeros(len(p))
    for _ in range(draws):
        counts[rank_pool(proba, strategy="uncertainty", exploration=0.2, rng=rng).order[0]] += 1
    expected = distribution(proba, strategy="uncertainty", exploration=0.2)[0]
    assert np.allclose(counts / draws, expected, atol=0.015)


def test_the_adaptive_mix_follows_its_shares() -> None:
    proba = pool()
    even, advised, totals = distribution(proba, strategy="adaptive", exploration=0.2)
    assert set(advised) == set(totals) == set(EXPERTS)
    assert totals["uncertainty"] == pytest.approx(np.minimum(proba[:, 0], proba[:, 1]).sum())
    only_random = distribution(
        proba, strategy="adaptive", exploration=0.2, shares={"random": 1.0, "uncertainty": 0.0, "entropy": 0.0}
    )[0]
    assert np.allclose(only_random, 1 / len(proba))
    leaning = distribution(
        proba, strategy="adaptive", exploration=0.2, shares={"random": 0.1, "uncertainty": 0.8, "entropy": 0.1}
    )[0]
    top = np.argsort(-np.minimum(proba[:, 0], proba[:, 1]))[:100]
    assert leaning[top].sum() > even[top].sum() > only_random[top].sum()


def test_select_batch_is_the_head_of_the_ranking() -> None:
    proba = pool(200)
    keys = np.random.default_rng(4).random(200)
    ranking = rank_pool(proba, strategy="entropy", exploration=0.2, rng=np.random.default_rng(0), keys=keys)
    batch = select_batch(proba, size=10, strategy="entropy", exploration=0.2, rng=np.random.default_rng(0), keys=keys)
    assert batch.order.tolist() == ranking.order[:10].tolist()
