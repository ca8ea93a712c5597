"""The number bins' penalty on the steps between adjacent bins (``LeadScorer(ordinal="chosen")``),
measured in docs/backtest.md and not yet production's: production ("off") is unchanged."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from learning.core.backtest import run_backtest
from learning.core.model import LeadScorer, OrdinalLogisticRegression, _steps


def rising(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """One number whose conversion rate rises with it, some of it missing, and a category."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * amount))).astype(int)
    frame = pd.DataFrame({"amount": amount, "industry": rng.choice(["software", "retail"], size=n)})
    frame.loc[:9, "amount"] = np.nan
    return frame, y


def test_production_penalises_each_bin_as_before() -> None:
    frame, y = rising()
    scorer = LeadScorer().fit(frame, y)
    assert scorer.steps_ is None
    assert type(scorer.classifier_) is LogisticRegression
    assert type(scorer.regression(len(y))) is LogisticRegression


def test_a_number_column_is_coded_as_steps_and_a_category_as_itself() -> None:
    frame, y = rising()
    scorer = LeadScorer().fit(frame, y)
    number, category = scorer.columns_
    steps = _steps(scorer.columns_, scorer.n_slots_).toarray()
    bins = slice(number.offset + 1, number.offset + number.width)
    # Bin k turns on the steps 1..k of its column; "missing" and the categories only themselves.
    assert (steps[bins, bins] == np.tril(np.ones((number.width - 1, number.width - 1)))).all()
    assert steps[number.offset, number.offset] == 1 and steps[number.offset].sum() == 1
    others = slice(category.offset, category.offset + category.width)
    assert (steps[others, others] == np.eye(category.width)).all()
    assert steps[bins, others].sum() == 0 and steps[others, bins].sum() == 0


def test_the_steps_fit_is_the_plain_regression_on_the_steps_mapped_back_to_one_coefficient_per_slot() -> None:
    frame, y = rising()
    scorer = LeadScorer().fit(frame, y)
    design, steps = scorer.design(frame), _steps(scorer.columns_, scorer.n_slots_)
    ordinal = OrdinalLogisticRegression(steps=steps, C=0.05, solver="liblinear").fit(design, y)
    plain = LogisticRegression(C=0.05, solver="liblinear").fit(design @ steps, y)
    assert ordinal.coef_.shape == (1, scorer.n_slots_)
    assert np.allclose(ordinal.decision_function(design), plain.decision_function(design @ steps))
    # Adjacent bins are pulled together, not each towards 0: on a rising rate the bins rise, and
    # span more of the log-odds than the one-hot bins under the same penalty.
    number = scorer.columns_[0]
    span = slice(number.offset + 1, number.offset + number.width)
    onehot = LogisticRegression(C=0.05, solver="liblinear").fit(design, y)
    assert (np.diff(ordinal.coef_.ravel()[span]) > 0).all()
    assert np.ptp(ordinal.coef_.ravel()[span]) > np.ptp(onehot.coef_.ravel()[span])


def test_chosen_takes_the_steps_when_the_folds_prefer_them_and_scores_and_explains_as_before() -> None:
    frame, y = rising()
    scorer = LeadScorer(ordinal="chosen", n_bins=10).fit(frame, y)
    assert scorer.steps_ is not None  # a smooth rising rate cut into 10 bins: the steps' held-out loss is lower
    regression = scorer.regression(len(y))
    assert isinstance(regression, OrdinalLogisticRegression)
    assert (clone(regression).steps != regression.steps).nnz == 0
    proba, contributions = scorer.score_with_contributions(frame)
    assert np.allclose(proba, scorer.predict_proba(frame)[:, 1])
    baseline = scorer.classifier_.intercept_[0] + scorer.baseline_.sum()
    assert np.allclose(contributions.sum(axis=1) + baseline, np.log(proba / (1 - proba)))
    again = pickle.loads(pickle.dumps(scorer))
    assert np.allclose(again.predict_proba(frame), scorer.predict_proba(frame))


def noise(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """``rising``'s columns with outcomes unrelated to them."""
    frame, _ = rising(seed=seed)
    rng = np.random.default_rng(seed)
    frame["amount"] = rng.normal(size=len(frame))
    return frame, (rng.random(len(frame)) < 0.3).astype(int)


def test_clear_takes_the_steps_only_where_the_folds_prefer_them_by_more_than_a_standard_error() -> None:
    frame, y = rising(seed=1)
    assert LeadScorer(ordinal="clear", n_bins=10).fit(frame, y).steps_ is not None  # a strong, smooth signal
    frame, y = noise(seed=2)
    # On noise the folds may prefer the steps by a hair ("chosen" takes them); "clear" keeps one-hot bins.
    assert LeadScorer(ordinal="chosen", n_bins=10).fit(frame, y).steps_ is not None
    assert LeadScorer(ordinal="clear", n_bins=10).fit(frame, y).steps_ is None


def test_a_version_stored_before_the_steps_gives_the_plain_regression() -> None:
    frame, y = rising()
    scorer = LeadScorer(ordinal="chosen", n_bins=10).fit(frame, y)
    del scorer.steps_  # as a version pickled before the steps existed
    assert type(scorer.regression(len(y))) is LogisticRegression


def test_an_unknown_ordinal_setting_is_an_error_naming_it() -> None:
    frame, y = rising()
    with pytest.raises(ValueError, match="ordinal: 'always' is not one of off, chosen, clear"):
        LeadScorer(ordinal="always").fit(frame, y)


def test_the_backtest_replays_with_the_scorer_settings_it_is_given() -> None:
    frame, y = rising(n=300)
    plain = run_backtest(frame, y, strategies=("uncertainty",), seeds=1, rounds=2)
    chosen = run_backtest(
        frame, y, strategies=("uncertainty",), seeds=1, rounds=2, scorer={"ordinal": "chosen", "n_bins": 10}
    )
    assert [p.labels for p in chosen.curves["random"]] == [p.labels for p in plain.curves["random"]]
    assert chosen.curves["random"] != plain.curves["random"]  # a different scorer, the same labels
    assert chosen.settings["scorer"] == {"ordinal": "chosen", "n_bins": 10}


def test_the_reasons_benchmark_replays_with_the_penalty_it_is_given() -> None:
    from bench.reasons import replay_seed
    from learning.core.features import PreparedFrame

    frame, y = rising(n=300)
    data = (PreparedFrame(frame), frame)
    plain = replay_seed(data, y, seed=0, rounds=1, quick=True)
    chosen = replay_seed(data, y, seed=0, rounds=1, quick=True, ordinal="chosen")
    assert set(chosen) == set(plain) == {"random", "adaptive", "adaptive+reasons", "adaptive+reasons@0"}
    assert [point[0] for point in chosen["random"]] == [point[0] for point in plain["random"]]
    assert chosen["random"] != plain["random"]
