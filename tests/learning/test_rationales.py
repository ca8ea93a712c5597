"""Training from the why: rationale rows, earned trust, and the scorer with and without reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from learning.core.model import LeadScorer, cross_val_proba
from learning.core.rationales import (
    Why,
    agreement,
    earned_trust,
    rationale_design,
    resolve,
    simulated_whys,
)


def leads(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Conversion driven by pricing visits alone, among a few columns of noise."""
    rng = np.random.default_rng(seed)
    visits = rng.poisson(1.5, size=n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.5 * visits)))).astype(int)
    frame = pd.DataFrame(
        {
            "count__pricing_visit": visits,
            "industry": rng.choice(["software", "retail", "logistics", "banking"], size=n),
            "seniority": rng.choice(["vp", "manager", "director"], size=n),
            "employees": rng.integers(10, 2000, size=n).astype(float),
            "deal_value": rng.normal(20_000, 5_000, size=n),
        }
    )
    return frame, y


def whys_naming(field: str, n: int) -> list[tuple[Why, ...]]:
    return [(Why(key="pricing", fields=(field,)),)] * n


def test_a_why_names_the_columns_of_its_fields_and_unknown_fields_are_dropped() -> None:
    names = ["industry", "count__demo", "recent30__demo", "act_last_7d"]
    whys = [(Why("fit", ("industry", "nonexistent")),), (), (Why("demo", ("activity:demo",)), Why("x", ("nope",)))]
    resolved = resolve(whys, names)
    assert [(r.row, r.key, r.columns.tolist()) for r in resolved] == [(0, "fit", [0]), (2, "demo", [1, 2])]
    assert resolved[0].fields == ("industry",)  # a field the data lacks gets no weight to show


def test_a_rationale_row_keeps_the_named_column_and_averages_the_others() -> None:
    codes = np.array([[0, 2], [1, 3], [1, 3], [1, 2]])  # two columns of two slots each
    resolved = resolve([(Why("k", ("a",)),)], ["a", "b"])
    row = rationale_design(codes, resolved, offsets=np.array([0, 2]), widths=np.array([2, 2]), n_slots=4).toarray()[0]
    assert row.tolist() == [1.0, 0.0, 0.5, 0.5]


def test_the_named_column_agrees_fully_when_it_pushes_hardest_and_by_chance_when_random() -> None:
    pushes = np.array([0.1, -0.3, 0.9, 0.0])
    assert agreement(pushes, np.array([2])) == pytest.approx(0.875)
    rng = np.random.default_rng(0)
    chance = [agreement(rng.normal(size=20), rng.choice(20, size=k, replace=False)) for k in (1, 3) for _ in range(500)]
    assert np.mean(chance) == pytest.approx(0.5, abs=0.04)


def test_trust_is_earned_by_agreeing_labels_and_a_reason_heard_once_borrows_the_reps_record() -> None:
    trust = earned_trust({"agrees": [0.95] * 30, "chance": [0.2, 0.8, 0.5, 0.4] * 3, "one": [1.0], "none": []})
    assert trust["agrees"] > 0.75
    assert trust["chance"] < 0.2  # its own twelve labels outweigh the others' record
    assert trust["one"] > 0.5  # one label from a rep whose reasons agree: close to the rep's record
    assert trust["none"] == 0.0


def test_trust_is_the_normal_normal_posterior_mean_worked_by_hand() -> None:
    # Eight labels agreeing fully, two at chance: their mean 0.9 is above chance by 0.4 / sqrt(1/120)
    # = 4.4 standard errors, so trust is relative to the rep's record.
    # Pooled: (8 + 1 + 2 x 0.5) / (10 + 2) = 5/6.
    # Precisions n / (1/12): 96 and 24; their centre 0.9; Q = 96 x 0.01 + 24 x 0.16 = 4.8;
    # scale 120 - (96^2 + 24^2) / 120 = 38.4; tau^2 = (4.8 - 1) / 38.4 = 0.098958...;
    # kept: tau^2 / (tau^2 + 1/96) = 19/21 and tau^2 / (tau^2 + 1/24) = 19/27 of the distance from 5/6.
    # "b": 5/6 - 19/27 x 1/3 = 0.5988..., (0.5988 - 1/2) / (5/6 - 1/2) = 8/27; "a" is above the record: 1.
    trust = earned_trust({"a": [1.0] * 8, "b": [0.5, 0.5]})
    assert trust["a"] == 1.0
    assert trust["b"] == pytest.approx(8 / 27)
    # Below the gate, today's 2m - 1: four labels at 0.75 are 0.25 / sqrt(1/48) = 1.7 s.e. above chance,
    # shrunk towards chance by two pseudo-labels: (3 + 1) / 6.
    assert earned_trust({"only": [0.75] * 4})["only"] == pytest.approx(2 * (3 + 1) / 6 - 1)
    # One reason alone, above the gate: nothing to pool with, it is the rep's record.
    assert earned_trust({"only": [1.0] * 4})["only"] == 1.0


def test_reasons_given_at_random_earn_little_trust_however_many_there_are() -> None:
    rng = np.random.default_rng(0)
    fits = [list(earned_trust({f"field {k}": list(rng.random(3)) for k in range(40)}).values()) for _ in range(50)]
    # Each reason alone, shrunk only towards chance, would earn about 0.08 on average and 0.4 at the
    # most in a fit of forty; pooled, chance lifts them little (the most in a fit: about 0.03 typically).
    assert np.mean(fits) < 0.05
    assert np.median([max(trust) for trust in fits]) < 0.1
    # The test that makes trust relative to the rep's record lets chance through about once in a hundred fits.
    assert sum(max(trust) > 0.5 for trust in fits) <= 2
    alone = earned_trust({"only": [0.5] * 10})
    assert alone["only"] == 0.0


def test_a_label_with_a_reason_and_marked_fields_counts_once_in_the_test_of_the_reps_record() -> None:
    # A random rep who also marks the field the reason names: each label gives two equal agreements.
    rng = np.random.default_rng(1)
    passed = {"per agreement": 0, "per label": 0}
    for _ in range(1000):
        values = rng.random(40)
        agreements: dict[str, list[float]] = {"marked": list(values)}
        for k, value in enumerate(values):
            agreements.setdefault(f"reason {k % 8}", []).append(float(value))
        passed["per agreement"] += max(earned_trust(agreements).values()) > 0.5
        passed["per label"] += max(earned_trust(agreements, per_label=list(values)).values()) > 0.5
    assert passed["per agreement"] > 30  # counted twice, chance passes the 1% test about one fit in twenty
    assert passed["per label"] <= 20  # counted once per label, about one in a hundred


def test_informed_whys_earn_trust_and_help_the_scorer_with_few_labels() -> None:
    gains = []
    for seed in range(4):
        frame, y = leads(40, seed)
        test_frame, test_y = leads(2000, seed + 100)
        plain = LeadScorer().fit(frame, y)
        taught = LeadScorer().fit(frame, y, whys=whys_naming("activity:pricing_visit", len(y)))
        assert taught.reason_trust_["pricing"] > 0.1
        assert taught.field_weights_["activity:pricing_visit"] > 0
        gains.append(
            roc_auc_score(test_y, taught.predict_proba(test_frame)[:, 1])
            - roc_auc_score(test_y, plain.predict_proba(test_frame)[:, 1])
        )
    assert np.mean(gains) > 0.01


def test_whys_that_point_at_noise_earn_no_weight_and_leave_the_plain_model() -> None:
    frame, y = leads(200, 1)
    plain = LeadScorer().fit(frame, y)
    misled = LeadScorer().fit(frame, y, whys=whys_naming("deal_value", len(y)))
    assert misled.reason_trust_["pricing"] < 0.2
    assert misled.why_strength_ == 0.0
    assert np.allclose(misled.predict_proba(frame), plain.predict_proba(frame))


def test_without_whys_the_scorer_is_the_plain_one_and_says_nothing_was_trusted() -> None:
    frame, y = leads(120, 2)
    plain = LeadScorer().fit(frame, y)
    empty = LeadScorer().fit(frame, y, whys=[()] * len(y))
    assert np.allclose(plain.predict_proba(frame), empty.predict_proba(frame))
    assert empty.reason_trust_ == {} and empty.field_weights_ == {} and empty.why_strength_ == 0.0


def test_whys_must_come_one_row_per_label() -> None:
    frame, y = leads(60, 3)
    with pytest.raises(ValueError, match="whys: 3 rows for 60 labels"):
        LeadScorer().fit(frame, y, whys=[()] * 3)


def test_the_held_out_predictions_use_only_the_other_folds_whys() -> None:
    frame, y = leads(100, 4)
    whys = whys_naming("activity:pricing_visit", len(y))
    with_whys = cross_val_proba(LeadScorer(), frame, y, whys=whys)
    without = cross_val_proba(LeadScorer(), frame, y)
    assert with_whys.shape == without.shape == (100,)
    assert not np.allclose(with_whys, without)


def test_the_fits_own_folds_give_the_held_out_figures_with_and_without_the_whys() -> None:
    frame, y = leads(200, 6)
    whys = whys_naming("activity:pricing_visit", len(y))
    scorer = LeadScorer().fit(frame, y, whys=whys)
    with_whys, without = scorer.held_out_proba(y), scorer.held_out_proba(y, whys=False)
    assert with_whys.shape == without.shape == (200,)
    assert ((with_whys > 0) & (with_whys < 1)).all()
    # Without whys the ablation is the plain scorer's own held-out figures, exactly.
    plain = LeadScorer().fit(frame, y)
    assert np.allclose(without, plain.held_out_proba(y)) and np.allclose(without, plain.held_out_proba(y, whys=False))
    # Close to the strict nested cross-validation (every fold relearning trust and strength).
    strict = cross_val_proba(LeadScorer(), frame, y, whys=whys)
    assert abs(roc_auc_score(y, with_whys) - roc_auc_score(y, strict)) < 0.05
    assert scorer.why_strength_ > 0 and not np.allclose(with_whys, without)


def test_a_stored_scorer_keeps_no_training_rows_figures() -> None:
    import pickle

    frame, y = leads(120, 7)
    stored = pickle.loads(pickle.dumps(LeadScorer().fit(frame, y)))
    assert "held_out_logits_" not in vars(stored)
    assert stored.predict_proba(frame).shape == (120, 2)
    with pytest.raises(ValueError, match="no held-out predictions"):
        stored.held_out_proba(y)


def test_the_scorer_follows_scikit_learns_conventions() -> None:
    scorer = LeadScorer(C=0.1, solver="lbfgs", random_state=3)
    assert scorer.get_params()["solver"] == "lbfgs" and scorer.get_params()["random_state"] == 3
    assert "prepared" not in scorer.get_params()
    with pytest.raises(NotFittedError):
        scorer.predict_proba(leads(5, 0)[0])
    frame, y = leads(80, 5)
    fitted = clone(scorer).fit(frame, y)
    assert fitted.classifier_.solver == "lbfgs"
    assert not hasattr(scorer, "classifier_")


def test_the_simulated_rep_names_the_hardest_push_when_informed_and_any_column_otherwise() -> None:
    contributions = np.array([[0.1, 0.9, -0.5], [0.4, 0.2, -0.8], [0.0, 0.3, 0.2]])
    y = np.array([1, 0, 1])
    names = ["industry", "count__demo", "act_last_7d"]
    informed = simulated_whys(contributions, y, names, accuracy=1.0, rng=np.random.default_rng(0))
    assert [why[0].fields for why in informed] == [("activity:demo",), ("recency",), ("activity:demo",)]
    assert informed[1][0].key == "recency"
    many = np.tile(contributions, (300, 1))
    drawn = simulated_whys(many, np.tile(y, 300), names, accuracy=0.0, rng=np.random.default_rng(1))
    assert {why[0].fields[0] for why in drawn} == {"industry", "activity:demo", "recency"}
