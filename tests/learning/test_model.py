from __future__ import annotations

import numpy as np
import pandas as pd

from learning.core.explain import describe
from learning.core.model import Factor, LeadScorer, top_factors


def data(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    industry = rng.choice(["software", "retail", "logistics"], size=n)
    visits = rng.poisson(1.5, size=n).astype(float)
    logit = -1 + 1.2 * visits - 2.0 * (industry == "retail")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"industry": industry, "count__pricing_visit": visits, "noise": rng.normal(size=n)})
    return frame, y


def test_the_scorer_learns_a_signal_and_gives_probabilities() -> None:
    frame, y = data()
    scorer = LeadScorer().fit(frame, y)
    proba = scorer.predict_proba(frame)
    assert proba.shape == (300, 2)
    assert np.allclose(proba.sum(axis=1), 1)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, proba[:, 1]) > 0.75


def test_contributions_point_the_right_way_and_sum_to_the_log_odds_against_an_average_lead() -> None:
    frame, y = data()
    scorer = LeadScorer().fit(frame, y)
    proba, contributions = scorer.score_with_contributions(frame)
    names = scorer.feature_names_
    visits = names.index("count__pricing_visit")
    many, none = frame["count__pricing_visit"].idxmax(), frame.index[frame["count__pricing_visit"] == 0][0]
    assert contributions[many, visits] > 0 > contributions[none, visits]
    logit = np.log(proba / (1 - proba))
    baseline = scorer.classifier_.intercept_[0] + scorer.baseline_.sum()
    assert np.allclose(contributions.sum(axis=1) + baseline, logit)
    assert np.allclose(proba, scorer.predict_proba(frame)[:, 1])
    assert scorer.behaviour_mask_.tolist() == [name.startswith("count__") for name in names]


def test_top_factors_are_described_in_words_a_rep_understands() -> None:
    frame, y = data()
    scorer = LeadScorer().fit(frame, y)
    _, contributions = scorer.score_with_contributions(frame)
    factors = top_factors(frame, scorer.feature_names_, contributions)
    retail = frame.index[(frame["industry"] == "retail") & (frame["count__pricing_visit"] == 0)][0]
    lines = [describe(f) for f in factors[retail]]
    assert "▼ industry: retail" in lines
    assert describe(Factor("recent30__pricing_visit", 3.0, 0.4)) == "▲ 3 × pricing visit in the last 30 days"
    assert describe(Factor("act_days_since_last", float("nan"), -0.2)) == "▼ no activity yet"


def test_a_lines_number_is_compared_with_the_training_leads_median() -> None:
    frame, y = data()
    scorer = LeadScorer().fit(frame, y)
    _, contributions = scorer.score_with_contributions(frame)

    assert scorer.typical_["count__pricing_visit"] == float(frame["count__pricing_visit"].median())
    assert "industry" not in scorer.typical_  # a category has no typical number
    factors = top_factors(frame, scorer.feature_names_, contributions, typical=scorer.typical_)
    none = frame.index[(frame["count__pricing_visit"] == 0)][0]
    visits = next(f for f in factors[none] if f.feature == "count__pricing_visit")
    assert describe(visits) == f"▼ 0 × pricing visit in total (typical: {scorer.typical_['count__pricing_visit']:g})"


def test_the_scorer_survives_unseen_categories_and_missing_columns_at_scoring_time() -> None:
    frame, y = data()
    scorer = LeadScorer().fit(frame, y)
    proba = scorer.predict_proba(pd.DataFrame({"industry": ["mining", None]}))
    assert proba.shape == (2, 2)
    assert np.isfinite(proba).all()


def rare(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    visits = rng.poisson(1.0, size=n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3.5 + 0.9 * visits)))).astype(int)  # ~8% converted
    return pd.DataFrame({"count__pricing_visit": visits, "noise": rng.normal(size=n)}), y


def test_calibration_keeps_the_ranking_and_brings_the_average_score_to_the_conversion_rate() -> None:
    from sklearn.metrics import roc_auc_score

    train, y = rare(300, seed=1)
    held_out, y_held_out = rare(5000, seed=2)
    raw = LeadScorer(calibrate=False).fit(train, y).predict_proba(held_out)[:, 1]
    calibrated_scorer = LeadScorer().fit(train, y)
    calibrated = calibrated_scorer.predict_proba(held_out)[:, 1]
    assert abs(roc_auc_score(y_held_out, calibrated) - roc_auc_score(y_held_out, raw)) < 1e-9
    assert abs(calibrated.mean() - y_held_out.mean()) < abs(raw.mean() - y_held_out.mean())
    assert abs(calibrated.mean() - y_held_out.mean()) < 0.02
    assert calibrated_scorer.calibration_[0] > 0 and calibrated_scorer.out_of_fold_auc_ is not None
