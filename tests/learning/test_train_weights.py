"""Training on importance weights (``LeadScorer.fit(sample_weight=)``, ``run_backtest(train_weights=)``):
measured in the backtest, not production's (docs/backtest.md). Production's fits are unchanged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from learning.core.backtest import BacktestError, Split, replay, run_backtest
from learning.core.model import LeadScorer
from learning.core.rationales import Why


def leads(n: int = 400, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n), "kind": rng.choice(["a", "b", "c"], size=n)})
    y = (frame["x"] + rng.normal(scale=0.8, size=n) > 0.8).astype(int).to_numpy()
    return frame, y


def test_equal_weights_fit_what_no_weights_fit() -> None:
    frame, y = leads()
    whys = [(Why(key="x", fields=("x",)),) if i % 3 == 0 else () for i in range(len(y))]
    plain = LeadScorer().fit(frame, y, whys=whys)
    weighed = LeadScorer().fit(frame, y, whys=whys, sample_weight=np.ones(len(y)))
    assert np.allclose(plain.predict_proba(frame), weighed.predict_proba(frame))
    assert plain.why_strength_ == weighed.why_strength_


def test_weights_move_the_fit_towards_the_rows_that_weigh_more() -> None:
    frame, y = leads()
    plain = LeadScorer(calibrate=False).fit(frame, y)
    converted_weigh_more = LeadScorer(calibrate=False).fit(frame, y, sample_weight=np.where(y == 1, 4.0, 1.0))
    lost_weigh_more = LeadScorer(calibrate=False).fit(frame, y, sample_weight=np.where(y == 1, 1.0, 4.0))
    mean = [m.predict_proba(frame)[:, 1].mean() for m in (lost_weigh_more, plain, converted_weigh_more)]
    assert mean[0] < mean[1] < mean[2]
    # The bins are cut on the labels as they are: only the regression sees the weights.
    for weighed, same in zip(converted_weigh_more.columns_, plain.columns_, strict=True):
        assert weighed.name == same.name and weighed.categories == same.categories
        assert (weighed.edges is None and same.edges is None) or np.array_equal(weighed.edges, same.edges)


@pytest.mark.parametrize("weights", [np.zeros(400), np.full(400, np.nan), np.ones(399), -np.ones(400)])
def test_weights_that_are_not_one_positive_number_per_label_are_refused(weights: np.ndarray) -> None:
    frame, y = leads()
    with pytest.raises(ValueError, match="sample_weight: 400 finite weights above 0"):
        LeadScorer().fit(frame, y, sample_weight=weights)


def test_random_sampling_weighs_every_label_alike_so_its_curve_does_not_move() -> None:
    frame, y = leads()
    plain = run_backtest(frame, y, strategies=["uncertainty"], rounds=3, seeds=2, train_weights=0.0)
    weighed = run_backtest(frame, y, strategies=["uncertainty"], rounds=3, seeds=2, train_weights=0.5)
    for before, after in zip(plain.curves["random"], weighed.curves["random"], strict=True):
        assert after.labels == before.labels and after.auc == pytest.approx(before.auc, abs=1e-9)
    assert weighed.curves["uncertainty"] != plain.curves["uncertainty"], "tilted picks weigh differently"
    assert weighed.settings["train_weights"] == 0.5


def test_a_tilted_pick_weighs_its_inverse_pick_probability_flattened_and_scaled_to_mean_one() -> None:
    frame, y = leads()
    split = Split.draw(frame, y, seed=0, test_size=0.3)
    start = np.arange(20)
    seen: list[np.ndarray] = []

    class Recording(LeadScorer):
        def fit(self, X, y, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(kwargs.get("sample_weight", np.ones(len(y))))
            return super().fit(X, y)

    replay(
        split,
        start,
        strategy="uncertainty",
        exploration=0.2,
        rng=np.random.default_rng(0),
        rounds=2,
        batch=10,
        threshold=0.5,
        make_scorer=Recording,
        train_weights=0.5,
    )
    first, _, last = seen
    assert np.allclose(first, 1.0), "the first sample is uniform"
    assert last.mean() == pytest.approx(1.0) and last.min() > 0
    # Tilted picks are the likelier ones: they weigh less than the first sample's uniform picks.
    assert last[20:].mean() < last[:20].mean()


def test_the_backtest_replays_productions_power_unless_told_otherwise() -> None:
    from learning.core.importance import TRAIN_WEIGHTS
    from learning.services import training

    frame, y = leads()
    result = run_backtest(frame, y, strategies=["uncertainty"], rounds=1, seeds=1)
    assert result.settings["train_weights"] == TRAIN_WEIGHTS
    assert training.TRAIN_WEIGHTS == TRAIN_WEIGHTS, "training and the backtest share one constant"


def test_a_power_outside_0_to_1_is_a_clear_error() -> None:
    frame, y = leads()
    with pytest.raises(BacktestError, match=r"train weights: the power 2\.0 is not between 0 and 1"):
        run_backtest(frame, y, train_weights=2.0)


def test_production_weighs_the_queues_picks_by_their_flattened_inverse_propensity() -> None:
    from learning.core.importance import label_weights

    weights = label_weights(5, np.array([1, 3]), np.array([0.01, 0.04]), 0.5)
    assert weights is not None
    assert weights[[0, 2, 4]].tolist() == [1.0, 1.0, 1.0], "imported and lead-page labels weigh 1"
    assert weights[[1, 3]].mean() == pytest.approx(1.0)
    assert weights[1] / weights[3] == pytest.approx(2.0), "four times likelier: half the weight at power 0.5"
    assert label_weights(5, np.array([1, 3]), np.array([0.01, 0.04]), 0.0) is None
    assert label_weights(5, np.array([], dtype=int), np.array([]), 0.5) is None


@pytest.mark.django_db
def test_training_hands_the_queue_labels_weights_when_the_power_is_set(make_leads: Any, monkeypatch: Any) -> None:
    from feedback.models import Label
    from learning.services import training

    make_leads(90, seed=5, labeled=0.5)
    labels = list(Label.objects.order_by("id"))
    for label, p in zip(labels[:10], [0.002] * 5 + [0.02] * 5, strict=False):
        Label.objects.filter(pk=label.pk).update(propensity=p)
    seen: list[np.ndarray | None] = []
    fit = LeadScorer.fit

    def recording(self: LeadScorer, *args: Any, **kwargs: Any) -> LeadScorer:
        seen.append(kwargs.get("sample_weight"))
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(LeadScorer, "fit", recording)
    assert training.train_model_version(labels_revision=1).metrics["train_weights"] == training.TRAIN_WEIGHTS
    monkeypatch.setattr(training, "TRAIN_WEIGHTS", 0.5)
    version = training.train_model_version(labels_revision=2)
    weights = seen[-1]
    assert version.metrics["train_weights"] == 0.5 and weights is not None and len(weights) == len(labels)
    assert weights[:5] == pytest.approx([np.sqrt(10) * weights[5]] * 5), "ten times less likely: √10 the weight"
    assert weights[10:].tolist() == [1.0] * (len(labels) - 10)
