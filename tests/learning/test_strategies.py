"""The strategies are built on modAL's query functions; these tests pin what works with the
installed scikit-learn and what does not (see DESIGN.md's pitfalls)."""

from __future__ import annotations

import numpy as np
import pytest
from modAL.models import ActiveLearner
from modAL.uncertainty import margin_sampling, uncertainty_sampling
from sklearn.linear_model import LogisticRegression

from learning.core.strategies import STRATEGIES, KnownProbabilities, informativeness, rank_pool, select_batch


def fitted() -> tuple[LogisticRegression, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    return LogisticRegression().fit(X, y), X


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


def test_informativeness_agrees_with_modal_on_known_probabilities() -> None:
    model, X = fitted()
    proba = model.predict_proba(X)
    ours = informativeness(proba, "uncertainty")
    indices, _ = uncertainty_sampling(model, X, n_instances=10)
    assert set(np.argsort(-ours)[:10]) == set(indices)
    assert KnownProbabilities().predict_proba(proba) is proba


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_rank_pool_orders_every_row_once(strategy: str) -> None:
    proba = np.column_stack([np.linspace(0, 1, 50), 1 - np.linspace(0, 1, 50)])
    ranking = rank_pool(proba, strategy=strategy, exploration=0.2, rng=np.random.default_rng(1))
    assert sorted(ranking.order.tolist()) == list(range(50))
    priority = ranking.priority()
    assert priority[ranking.order[0]] == 1.0
    assert np.all(np.diff(priority[ranking.order]) < 0)


def test_without_exploration_the_most_uncertain_rows_come_first() -> None:
    p = np.array([0.05, 0.49, 0.9, 0.52, 0.3])
    proba = np.column_stack([1 - p, p])
    order = select_batch(proba, size=2, strategy="uncertainty", exploration=0.0, rng=np.random.default_rng(0))
    assert set(order) == {1, 3}


def test_the_exploration_share_of_the_head_is_random_rows_marked_as_explored() -> None:
    rng = np.random.default_rng(2)
    p = rng.random(1000)
    proba = np.column_stack([1 - p, p])
    ranking = rank_pool(proba, strategy="uncertainty", exploration=0.25, rng=rng)
    head = ranking.order[:100]
    share = ranking.explored[head].mean()
    assert 0.15 <= share <= 0.35
    assert ranking.explored.sum() == round(1000 * 0.25)


def test_an_unknown_strategy_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="uncertainty"):
        informativeness(np.zeros((2, 2)), "clever")


def duplicated_pool(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """200 leads in 10 groups of exact duplicates (same features, nearly the same probability)."""
    groups = np.repeat(np.arange(10), 20)
    features = rng.normal(size=(10, 6))[groups]
    p = np.clip(0.5 - 0.02 * groups + rng.normal(scale=1e-4, size=200), 0, 1)  # group 0 is the most uncertain
    return np.column_stack([1 - p, p]), features


def test_plain_uncertainty_clumps_on_near_duplicates() -> None:
    proba, _features = duplicated_pool(np.random.default_rng(0))
    batch = select_batch(proba, size=10, strategy="uncertainty", exploration=0.0, rng=np.random.default_rng(0))
    assert len({i // 20 for i in batch}) == 1, "every pick from the same group of duplicates"


@pytest.mark.parametrize("strategy", ["diverse", "balanced"])
def test_a_diverse_batch_holds_no_near_duplicates(strategy: str) -> None:
    proba, features = duplicated_pool(np.random.default_rng(0))
    batch = select_batch(
        proba, size=10, strategy=strategy, exploration=0.0, rng=np.random.default_rng(0), features=features
    )
    picked = features[batch]
    distances = np.sqrt(((picked[:, None, :] - picked[None, :, :]) ** 2).sum(axis=2))
    assert distances[~np.eye(len(batch), dtype=bool)].min() > 0.1


def test_diversity_keeps_the_most_informative_row_first() -> None:
    proba, features = duplicated_pool(np.random.default_rng(1))
    informative = np.argmax(informativeness(proba, "uncertainty"))
    ranking = rank_pool(proba, strategy="diverse", exploration=0.0, rng=np.random.default_rng(1), features=features)
    assert ranking.order[0] == informative
    assert sorted(ranking.order.tolist()) == list(range(200))


def test_without_features_diverse_ranks_like_uncertainty() -> None:
    proba, _features = duplicated_pool(np.random.default_rng(2))
    plain = select_batch(proba, size=10, strategy="uncertainty", exploration=0.0, rng=np.random.default_rng(3))
    diverse = select_batch(proba, size=10, strategy="diverse", exploration=0.0, rng=np.random.default_rng(3))
    assert plain.tolist() == diverse.tolist()


def test_balanced_gives_a_share_of_the_head_to_the_highest_scores() -> None:
    rng = np.random.default_rng(4)
    p = rng.beta(1, 12, size=2000)  # rare positives: most scores are low
    proba = np.column_stack([1 - p, p])
    ranking = rank_pool(proba, strategy="balanced", exploration=0.1, rng=rng, features=rng.normal(size=(2000, 4)))
    head = ranking.order[:100]
    assert ranking.hot is not None
    hot, explored = ranking.hot[head], ranking.explored[head]
    assert 0.05 <= hot.mean() <= 0.15 and 0.05 <= explored.mean() <= 0.15
    assert not np.any(hot & explored)
    top_scores = set(np.argsort(-p)[: 2 * hot.sum()].tolist())
    assert set(head[hot].tolist()) <= top_scores
    assert sorted(ranking.order.tolist()) == list(range(2000))


@pytest.mark.parametrize("share", [0.0, 0.1, 0.3, 0.5])
def test_a_batch_holds_the_exploration_share_of_random_rows(share: float) -> None:
    rng = np.random.default_rng(5)
    p = rng.random(3000)
    proba = np.column_stack([1 - p, p])
    ranking = rank_pool(proba, strategy="uncertainty", exploration=share, rng=rng)
    batch = ranking.order[:200]
    assert abs(ranking.explored[batch].mean() - share) <= 0.02
    chosen = batch[~ranking.explored[batch]]
    assert np.all(np.abs(p[chosen] - 0.5) <= np.sort(np.abs(p - 0.5))[len(chosen) + 200])


def rare_positive_pool(n: int = 3000, seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated-looking scores with ~8% conversion: nearly every lead below 0.5."""
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 11, size=n)
    return np.column_stack([1 - p, p]), rng.random(n)


def test_weighted_with_an_untrusted_model_is_random_sampling_with_the_same_keys() -> None:
    proba, keys = rare_positive_pool()
    rng = np.random.default_rng(0)
    weighted = rank_pool(proba, strategy="weighted", exploration=0.2, rng=rng, keys=keys, labels=200, positives=16)
    random = rank_pool(proba, strategy="random", exploration=0.2, rng=rng, keys=keys)
    assert weighted.order.tolist() == random.order.tolist(), "no out-of-fold AUC: nothing to follow"
    assert weighted.explored.all()
    weak = rank_pool(
        proba, strategy="weighted", exploration=0.2, rng=rng, keys=keys, labels=200, positives=16, model_auc=0.58
    )
    assert weak.order.tolist() == random.order.tolist(), "a model ranking below the trust floor is not followed"


def test_weighted_with_a_trusted_model_leans_to_likely_converters_without_clumping() -> None:
    proba, keys = rare_positive_pool()
    p = proba[:, 1]
    ranking = rank_pool(
        proba,
        strategy="weighted",
        exploration=0.0,
        rng=np.random.default_rng(0),
        keys=keys,
        labels=300,
        positives=24,
        model_auc=0.85,
    )
    head = ranking.order[:200]
    assert p[head].mean() > 1.5 * p.mean(), "more of the likely converters"
    assert (p[head] < np.median(p)).sum() >= 10, "still leads from the whole score range"
    assert len(set(head.tolist())) == 200 and sorted(ranking.order.tolist()) == list(range(len(p)))


def test_weighted_stops_leaning_once_the_labels_are_balanced() -> None:
    proba, keys = rare_positive_pool()
    balanced = rank_pool(
        proba,
        strategy="weighted",
        exploration=0.2,
        rng=np.random.default_rng(0),
        keys=keys,
        labels=300,
        positives=150,
        model_auc=0.9,
    )
    random = rank_pool(proba, strategy="random", exploration=0.2, rng=np.random.default_rng(0), keys=keys)
    assert balanced.order.tolist() == random.order.tolist()


def test_the_weighted_exploration_share_is_plain_random_rows() -> None:
    proba, keys = rare_positive_pool()
    ranking = rank_pool(
        proba,
        strategy="weighted",
        exploration=0.3,
        rng=np.random.default_rng(0),
        keys=keys,
        labels=300,
        positives=24,
        model_auc=0.85,
    )
    head = ranking.order[:500]
    assert 0.2 <= ranking.explored[head].mean() <= 0.4
    assert set(head[ranking.explored[head]].tolist()) <= set(np.argsort(keys)[:500].tolist())


def test_trust_grows_with_the_out_of_fold_auc_and_the_rarer_outcomes_labels() -> None:
    from learning.core.strategies import TRUST_FLOOR_AUC, trust

    assert trust(None, labels=300, positives=30) == 0.0
    assert trust(TRUST_FLOOR_AUC, labels=10_000, positives=5_000) < 0.01
    assert trust(0.95, labels=10_000, positives=5_000) == 1.0
    few, many = trust(0.8, labels=40, positives=3), trust(0.8, labels=400, positives=30)
    assert 0.0 <= few < many <= 1.0


def test_positive_need_fades_out_as_the_labels_near_half_converted() -> None:
    from learning.core.strategies import positive_need

    assert positive_need(labels=100, positives=0) == 1.0
    assert 0.0 < positive_need(labels=100, positives=20) < 1.0
    assert positive_need(labels=100, positives=50) == 0.0
    assert positive_need(labels=None, positives=None) == 1.0


def two_value_pool(n: int = 2000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A pool of one column, half its rows in slot 0 and half in slot 1, with random keys."""
    rng = np.random.default_rng(3)
    slot = rng.permutation(np.repeat([0, 1], n // 2))
    p = np.full(n, 0.1)
    return np.column_stack([1 - p, p]), slot.reshape(-1, 1), rng.random(n)


def slots_of(codes: np.ndarray, labeled: list[int], asked: list[int] | None = None) -> object:
    from learning.core.strategies import SlotCodes

    def read(rows: np.ndarray) -> np.ndarray:
        if asked is not None:
            asked.append(len(rows))
        return codes[rows]

    return SlotCodes(codes=read, labeled=np.array(labeled), labeled_rows=int(sum(labeled)))


def test_representative_fills_the_slots_the_labeled_set_lacks() -> None:
    proba, codes, keys = two_value_pool()
    ranking = rank_pool(
        proba,
        strategy="representative",
        exploration=0.0,
        rng=np.random.default_rng(0),
        keys=keys,
        labels=20,
        positives=2,
        slots=slots_of(codes, [20, 0]),
    )
    head = ranking.order[:20]
    assert codes[head[:18], 0].tolist() == [1] * 18, "twenty labels in slot 0: the next leads come from slot 1"
    assert sorted(ranking.order.tolist()) == list(range(len(keys)))


def test_representative_keeps_the_labeled_set_closer_to_the_pool_than_random_sampling() -> None:
    proba, codes, keys = two_value_pool()
    slots = slots_of(codes, [12, 8])
    random = rank_pool(proba, strategy="random", exploration=0.2, rng=np.random.default_rng(0), keys=keys)
    ranking = rank_pool(
        proba, strategy="representative", exploration=0.2, rng=np.random.default_rng(0), keys=keys, slots=slots
    )
    for size in (10, 30, 100):
        ours = abs((12 + (codes[ranking.order[:size], 0] == 0).sum()) / (20 + size) - 0.5)
        theirs = abs((12 + (codes[random.order[:size], 0] == 0).sum()) / (20 + size) - 0.5)
        assert ours <= theirs
        assert ours <= 1 / (20 + size), f"{size} picks: the labeled set is within one lead of half and half"


def test_representative_draws_from_the_weighted_order_and_keeps_its_exploration_share() -> None:
    from learning.core.strategies import HERD_CANDIDATES, HERD_HEAD

    proba, keys = rare_positive_pool()
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 6, size=(len(keys), 3)) + np.array([0, 6, 12])
    asked: list[int] = []
    settings = {"exploration": 0.3, "keys": keys, "labels": 300, "positives": 24, "model_auc": 0.85}
    weighted = rank_pool(proba, strategy="weighted", rng=np.random.default_rng(0), **settings)
    ranking = rank_pool(
        proba,
        strategy="representative",
        rng=np.random.default_rng(0),
        slots=slots_of(codes, [50] * 18, asked),
        **settings,
    )
    head = ranking.order[:HERD_HEAD]
    assert 0.25 <= ranking.explored[head].mean() <= 0.35
    assert set(head[ranking.explored[head]].tolist()) <= set(np.argsort(keys)[: 2 * HERD_HEAD].tolist())
    drawn = weighted.streams[0]
    assert set(head[~ranking.explored[head]].tolist()) <= set(drawn[: 2 * HERD_HEAD + HERD_CANDIDATES].tolist())
    assert proba[head, 1].mean() > 1.3 * proba[:, 1].mean(), "still leaning to likely converters"
    assert ranking.order[HERD_HEAD:].tolist() == [r for r in weighted.order.tolist() if r not in set(head.tolist())]
    assert asked and max(asked) <= 2_500, "production reads these slots from the database: only a few hundred rows"


def test_representative_without_slots_or_with_one_candidate_ranks_as_weighted() -> None:
    from learning.core.strategies import herded_head

    proba, codes, keys = two_value_pool()
    settings = {"exploration": 0.2, "keys": keys, "labels": 100, "positives": 10, "model_auc": 0.85}
    weighted = rank_pool(proba, strategy="weighted", rng=np.random.default_rng(0), **settings)
    plain = rank_pool(proba, strategy="representative", rng=np.random.default_rng(0), **settings)
    assert plain.order.tolist() == weighted.order.tolist(), "an older scorer without slot counts"
    one = herded_head(weighted, exploration=0.2, tilt=1.0, slots=slots_of(codes, [90, 10]), candidates=1)
    assert set(one.order[:200].tolist()) == set(weighted.order[:200].tolist())


def test_the_scorer_counts_its_training_rows_per_slot() -> None:
    import pandas as pd

    from learning.core.model import LeadScorer

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"industry": rng.choice(["a", "b", "c"], size=120), "employees": rng.integers(1, 500, 120)})
    y = rng.integers(0, 2, size=120)
    scorer = LeadScorer().fit(frame, y)
    codes = scorer.slot_codes(frame)
    assert codes.shape == (120, 2) and scorer.n_train_ == 120
    assert scorer.slot_counts_.tolist() == np.bincount(codes.ravel(), minlength=scorer.n_slots_).tolist()
    assert scorer.slot_counts_.sum() == 120 * 2
