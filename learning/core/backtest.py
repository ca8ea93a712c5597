"""Replaying the active-learning loop on leads whose outcomes are known.

The outcome column plays the rep: each round the strategy picks a batch from the unlabeled
pool, the batch's outcomes become labels, the scorer is refit, and its quality is measured on
a held-out split it never labels. The code is production's: ``build_frame`` for features,
``LeadScorer`` for the model, ``select_batch`` (the live queue's ranking) for the choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from learning.core.features import PreparedFrame, _epoch_days, build_frame
from learning.core.importance import TRAIN_WEIGHTS, flattened
from learning.core.mix import MixState, counterfactual_gains, draw_ratios, mix_update
from learning.core.model import LeadScorer
from learning.core.paired import mean_and_se
from learning.core.rationales import Why, simulated_whys
from learning.core.strategies import (
    DEFAULT_EXPLORATION,
    DEFAULT_STRATEGY,
    EXPERTS,
    STRATEGIES,
    needs_probabilities,
    select_batch,
    strategy_named,
)

MIN_PER_OUTCOME = 5
WITH_REASONS = "+reasons"  # the suffix of a curve whose scorer also learns from the simulated rep's whys


class BacktestError(ValueError):
    """The data cannot be backtested (one outcome only, too few rows for the split...)."""


@dataclass
class CurvePoint:
    labels: int
    auc: float
    precision: float
    recall: float


@dataclass
class CalibrationPoint:
    """How honest the held-out probabilities are after ``labels`` labels."""

    labels: int
    brier: float
    predicted: float  # the average probability
    actual: float  # the conversion rate


@dataclass
class BacktestResult:
    strategy: str
    full_data_auc: float
    curves: dict[str, list[CurvePoint]]
    rows: int
    positives: int
    seconds: float = 0.0
    settings: dict[str, object] = field(default_factory=dict)
    seed_mean_aucs: dict[str, list[float]] = field(default_factory=dict)  # per seed: mean AUC over its curve
    calibration: dict[str, list[CalibrationPoint]] = field(default_factory=dict)  # per curve point, mean over seeds

    def as_json(self) -> dict[str, object]:
        return {
            "strategy": self.strategy,
            "full_data_auc": self.full_data_auc,
            "curves": {name: [vars(point) for point in curve] for name, curve in self.curves.items()},
            "rows": self.rows,
            "positives": self.positives,
            "seed_mean_aucs": self.seed_mean_aucs,
            "calibration": {name: [vars(point) for point in points] for name, points in self.calibration.items()},
            "settings": self.settings,
        }

    def mean_auc(self, strategy: str) -> float:
        return float(np.mean([point.auc for point in self.curves[strategy]]))

    def gap(self, strategy: str, baseline: str = "random") -> tuple[float, float]:
        """Mean AUC over the curve of ``strategy`` minus ``baseline``'s, and the standard error of
        that difference over the seeds (the two share each seed's split and first sample)."""
        return mean_and_se(np.array(self.seed_mean_aucs[strategy]) - np.array(self.seed_mean_aucs[baseline]))

    def labels_to_match(self, strategy: str, *, baseline: str = "random", at: int = 300) -> int | None:
        """Labels ``strategy`` needed to reach the AUC ``baseline`` had at ``at`` labels (its curve point
        nearest ``at``, on the mean curves); None if it never did."""
        target = min(self.curves[baseline], key=lambda point: abs(point.labels - at)).auc
        return next((point.labels for point in self.curves[strategy] if point.auc >= target), None)

    def labels_to_reach(self, strategy: str, share: float = 0.95) -> int | None:
        """Labels the strategy needed to reach ``share`` of the full-data AUC; None if it never did."""
        target = share * self.full_data_auc
        return next((point.labels for point in self.curves[strategy] if point.auc >= target), None)


def latest_time(profiles: pd.DataFrame, events: pd.DataFrame) -> datetime:
    """The backtest's "now" when none is given: the latest event (or lead creation)."""
    stamps = []
    if not events.empty:
        stamps.append(_epoch_days(events["occurred_at"]).max())
    if "created_at" in profiles.columns:
        stamps.append(_epoch_days(profiles["created_at"]).max())
    days = max((s for s in stamps if pd.notna(s)), default=None)
    if days is None:
        return pd.Timestamp.now(tz="UTC").to_pydatetime()
    return (pd.Timestamp("1970-01-01", tz="UTC") + pd.Timedelta(days=float(days))).to_pydatetime()


def feature_frame(profiles: pd.DataFrame, events: pd.DataFrame, *, as_of: datetime | None = None) -> pd.DataFrame:
    """``build_frame`` as production calls it, then text columns whose every value is a number
    stored as numbers. Custom attributes arrive as text; the scorer's encoder would parse them
    again at every refit and every scoring of the pool, the same way, with the same result."""
    frame = build_frame(profiles, events, as_of=as_of or latest_time(profiles, events))
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column):
            continue
        text = column.astype("string").str.strip()
        present = text.notna() & (text != "")
        if not present.any():
            continue
        numbers = pd.to_numeric(text.where(present), errors="coerce")
        if numbers[present].notna().all():
            frame[name] = numbers.astype(float)
    return frame


def _quality(y: np.ndarray, proba: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """ROC AUC, precision and recall at ``threshold`` (0 when nothing is called hot / no positives)."""
    predicted = proba >= threshold
    true_hot = int((predicted & (y == 1)).sum())
    called, positives = int(predicted.sum()), int(y.sum())
    return (
        float(roc_auc_score(y, proba)),
        true_hot / called if called else 0.0,
        true_hot / positives if positives else 0.0,
    )


def _initial_sample(pool_y: np.ndarray, *, size: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """A random first sample, topped up with random batches until both outcomes are in it
    (as production's cold start explores until the model can be trained)."""
    order = rng.permutation(len(pool_y))
    taken = min(size, len(order))
    while len(np.unique(pool_y[order[:taken]])) < 2 and taken < len(order):
        taken += batch
    return order[:taken]


Curve = list[tuple[int, float, float, float]]  # per point: labels, AUC, precision, recall


@dataclass
class Split:
    """One seed's data: the pool the strategy picks from and the held-out rows it is measured on."""

    pool_frame: pd.DataFrame
    pool_y: np.ndarray
    test_frame: pd.DataFrame
    test_y: np.ndarray

    @classmethod
    def draw(cls, frame: pd.DataFrame, y: np.ndarray, *, seed: int, test_size: float) -> Split:
        pool, test = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y, random_state=seed)
        return cls(frame.iloc[pool], y[pool], frame.iloc[test], y[test])


def replay(
    split: Split,
    start: np.ndarray,
    *,
    strategy: str,
    exploration: float,
    rng: np.random.Generator,
    rounds: int,
    batch: int,
    threshold: float,
    make_scorer: Callable[[], ClassifierMixin],
    keys: np.ndarray | None = None,
    on_round: Callable[[int, np.ndarray], None] | None = None,
    mixes: list[MixState] | None = None,
    fit_params: Callable[[np.ndarray], dict[str, Any]] | None = None,
    train_weights: float = TRAIN_WEIGHTS,
) -> Curve:
    """One learning curve: from the labels ``start``, refit, measure, and let ``strategy`` pick
    the next batch (the live queue's ``select_batch``), ``rounds`` times. ``keys`` (one random
    number per pool row) order the random picks; strategies replayed with the same keys share them.
    ``on_round`` sees each round's label count and held-out probabilities (calibration reports).
    ``adaptive`` learns its mix as production does (``learning.core.mix``); ``mixes`` collects its states.
    ``fit_params`` gives the scorer's fit its extra arguments for the labeled pool rows (the whys).
    ``train_weights`` (a power from 0 to 1): each label weighs ``(1 / (n·p)) ** train_weights`` in
    the scorer's fits, ``p`` its pick probability and ``n`` the open pool when it was picked (a
    uniform pick and the first sample weigh 1), scaled to mean 1: importance weights flattened by
    that power (Shimodaira 2000); 0 weighs every label alike. The default is production's
    (``learning.core.importance.TRAIN_WEIGHTS``).
    """
    labeled = np.zeros(len(split.pool_y), dtype=bool)
    labeled[start] = True
    importance = np.ones(len(split.pool_y))  # 1 / (n·p) of each pick
    curve: Curve = []
    mix = MixState()
    pending: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None = None  # adaptive: before, batch, ratios
    for round_number in range(rounds + 1):
        rows = np.flatnonzero(labeled)
        extra = fit_params(rows) if fit_params is not None else {}
        if train_weights:
            extra = {**extra, "sample_weight": flattened(importance[rows], train_weights)}
        scorer = make_scorer().fit(split.pool_frame.iloc[rows], split.pool_y[rows], **extra)
        proba = scorer.predict_proba(split.test_frame)[:, 1]
        curve.append((len(rows), *_quality(split.test_y, proba, threshold)))
        if on_round is not None:
            on_round(len(rows), proba)
        unlabeled = np.flatnonzero(~labeled)
        if round_number == rounds or len(unlabeled) == 0:
            break
        candidates = split.pool_frame.iloc[unlabeled]
        pool_proba = (
            scorer.predict_proba(candidates) if needs_probabilities(strategy) else np.full((len(candidates), 2), 0.5)
        )
        ranking = select_batch(
            pool_proba,
            size=batch,
            strategy=strategy,
            exploration=exploration,
            rng=rng,
            shares=mix.shares(),
            keys=keys[unlabeled] if keys is not None else None,
        )
        chosen = ranking.order
        picked = unlabeled[chosen]
        if strategy_named(strategy).weigh is None:  # the adaptive mix: pay the last batch, make this one pending
            gains = None
            if pending is not None and hasattr(scorer, "design"):
                before, last_batch, ratios = pending
                gains = counterfactual_gains(
                    scorer.design(split.pool_frame),
                    split.pool_y,
                    before=before,
                    batch=last_batch,
                    ratios=ratios,
                    validation=picked,
                    validation_propensity=ranking.propensity[chosen],
                    estimator=scorer.regression(),
                )
            advice = {name: ranking.advice[name][chosen] for name in EXPERTS}
            pending = (np.flatnonzero(labeled), picked, draw_ratios(ranking.propensity[chosen], advice))
            mix = mix_update(mix, gains=gains, pending={})  # the replay keeps its pending batch itself
            if mixes is not None:
                mixes.append(mix)
        importance[picked] = 1.0 / (len(unlabeled) * ranking.propensity[chosen])
        labeled[picked] = True
    return curve


def run_backtest(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    strategies: Sequence[str] = (DEFAULT_STRATEGY,),
    initial: int = 20,
    batch: int = 20,
    rounds: int = 15,
    seeds: int = 3,
    first_seed: int = 0,
    exploration: float = DEFAULT_EXPLORATION,
    test_size: float = 0.3,
    threshold: float = 0.5,
    make_scorer: Callable[[], ClassifierMixin] | None = None,
    progress: Callable[[str], None] | None = None,
    simulated_reasons: float | None = None,
    scorer: Mapping[str, Any] | None = None,
    train_weights: float = TRAIN_WEIGHTS,
) -> BacktestResult:
    """Learning curves (means over ``seeds``) for each strategy and for random sampling.

    Each seed draws its own stratified held-out split and initial sample; every strategy of a
    seed starts from the same initial sample. Curve points are at the initial sample and after
    each round's batch. The default scorer is production's ``LeadScorer``, handed the frame
    prepared once (``PreparedFrame``) since every refit and scoring is on rows of it.

    ``simulated_reasons`` (0..1): every label also comes with a why (``simulated_whys``: the
    informed column with this probability, a random one otherwise), and each curve is replayed
    a second time, as ``"<name>+reasons"``, with a scorer that learns from them (``fit(whys=...)``).

    ``scorer``: settings for production's ``LeadScorer`` (e.g. ``{"ordinal": "chosen"}``), to measure
    a change to the scorer on the same splits, first samples and keys. ``train_weights``: the
    labels' importance weights in training, flattened by this power (``replay``; 0: none; the
    default is production's).
    """
    started = time.perf_counter()
    y = np.asarray(y).astype(int)
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise BacktestError(f"unknown strategy {unknown[0]!r}; choose one of {', '.join(STRATEGIES)} or all")
    if min(y.sum(), len(y) - y.sum()) < MIN_PER_OUTCOME:
        raise BacktestError(
            f"need at least {MIN_PER_OUTCOME} leads of each outcome; got {int(y.sum())} converted "
            f"and {int(len(y) - y.sum())} not converted"
        )
    if simulated_reasons is not None and not 0.0 <= simulated_reasons <= 1.0:
        raise BacktestError(f"simulated reasons: accuracy {simulated_reasons} is not between 0 and 1")
    if not 0.0 <= train_weights <= 1.0:
        raise BacktestError(f"train weights: the power {train_weights} is not between 0 and 1")
    prepared: dict[str, Any] = {}
    if make_scorer is None:
        frame = frame.reset_index(drop=True)  # rows found by position: cheaper than by lead id
        prepared["prepared"] = PreparedFrame(frame)
        make_scorer = partial(LeadScorer, **(scorer or {}))

    plain = list(dict.fromkeys([*strategies, "random"]))
    names = plain + ([f"{name}{WITH_REASONS}" for name in plain] if simulated_reasons is not None else [])
    per_seed: dict[str, list[Curve]] = {name: [] for name in names}
    honesty: dict[str, list[list[tuple[int, float, float, float]]]] = {name: [] for name in names}
    full_aucs = []
    final_shares: list[dict[str, float]] = []
    for seed in range(first_seed, first_seed + seeds):
        split = Split.draw(frame, y, seed=seed, test_size=test_size)
        full = make_scorer().fit(split.pool_frame, split.pool_y, **prepared)
        whys: list[tuple[Why, ...]] = []
        if simulated_reasons is not None:
            whys = simulated_whys(
                full.score_with_contributions(split.pool_frame)[1],
                split.pool_y,
                full.feature_names_,
                accuracy=simulated_reasons,
                rng=np.random.default_rng([seed, 3]),
            )
        full_aucs.append(roc_auc_score(split.test_y, full.predict_proba(split.test_frame)[:, 1]))
        start = _initial_sample(split.pool_y, size=initial, batch=batch, rng=np.random.default_rng(seed))
        keys = np.random.default_rng([seed, 2]).random(len(split.pool_y))
        for name in names:
            points: list[tuple[int, float, float, float]] = []
            mixes: list[MixState] = []
            strategy, learns_whys = name.removesuffix(WITH_REASONS), name.endswith(WITH_REASONS)
            curve = replay(
                split,
                start,
                strategy=strategy,
                exploration=exploration,
                rng=np.random.default_rng([seed, 1]),  # common random numbers: strategies differ only by choice
                keys=keys,
                rounds=rounds,
                batch=batch,
                threshold=threshold,
                make_scorer=make_scorer,
                on_round=_recorder(points, split.test_y),
                mixes=mixes,
                fit_params=_fit_params(prepared, whys if learns_whys else None),
                train_weights=train_weights,
            )
            if mixes and not learns_whys:  # the plain curves' mix (the +reasons replays learn their own)
                final_shares.append(mixes[-1].shares())
            per_seed[name].append(curve)
            honesty[name].append(points)
            if progress:
                progress(f"seed {seed + 1 - first_seed}/{seeds} {name}: AUC {curve[0][1]:.3f} → {curve[-1][1]:.3f}")
    curves = {name: _mean_curve(runs) for name, runs in per_seed.items()}
    return BacktestResult(
        strategy=strategies[0] if strategies else "random",
        full_data_auc=float(np.mean(full_aucs)),
        curves=curves,
        rows=len(y),
        positives=int(y.sum()),
        seconds=time.perf_counter() - started,
        seed_mean_aucs={name: [float(np.mean([p[1] for p in run])) for run in runs] for name, runs in per_seed.items()},
        calibration={
            name: [CalibrationPoint(round(r[0]), *r[1:]) for r in _mean_rows(runs)] for name, runs in honesty.items()
        },
        settings={
            "initial": initial,
            "batch": batch,
            "rounds": rounds,
            "seeds": seeds,
            "first_seed": first_seed,
            "exploration": exploration,
            "test_size": test_size,
            "threshold": threshold,
            "adaptive_final_shares": {
                name: float(np.mean([shares[name] for shares in final_shares])) for name in EXPERTS
            }
            if final_shares
            else None,
            "simulated_reasons": simulated_reasons,
            "scorer": dict(scorer or {}),
            "train_weights": train_weights,
        },
    )


def _fit_params(prepared: dict[str, Any], whys: list[tuple[Why, ...]] | None) -> Callable[[np.ndarray], dict[str, Any]]:
    """The scorer's fit arguments for some pool rows: the prepared frame, and their whys when the curve learns them."""

    def params(rows: np.ndarray) -> dict[str, Any]:
        return {**prepared, "whys": [whys[i] for i in rows]} if whys is not None else prepared

    return params


def _recorder(points: list[tuple[int, float, float, float]], test_y: np.ndarray) -> Callable[[int, np.ndarray], None]:
    """Collects each round's label count, Brier score, average probability and conversion rate."""

    def record(labels: int, proba: np.ndarray) -> None:
        points.append((labels, float(np.mean((proba - test_y) ** 2)), float(proba.mean()), float(test_y.mean())))

    return record


def at_common_labels(runs: Sequence[Sequence[Sequence[float]]]) -> list[list[Sequence[float]]]:
    """Each run's points (label count first) at the label counts every run has a point at. A seed
    whose first sample needed topping up starts (and ends) a batch later than the others, so its
    points are matched with theirs by label count, not by position: the AUC "at 120 labels" is then
    every seed's at 120. With no label count in common (tiny pools), the first points of each run,
    as many as the shortest has."""
    shared = set.intersection(*({round(point[0]) for point in run} for run in runs)) if runs else set()
    if not shared:
        length = min((len(run) for run in runs), default=0)
        return [list(run[:length]) for run in runs]
    return [[point for point in run if round(point[0]) in shared] for run in runs]


def _mean_rows(runs: list[list[tuple[int, float, float, float]]]) -> np.ndarray:
    """Means over the seeds at the label counts they all reached (``at_common_labels``)."""
    return np.array(at_common_labels(runs), dtype=float).mean(axis=0)


def _mean_curve(runs: list[Curve]) -> list[CurvePoint]:
    return [CurvePoint(labels=round(row[0]), auc=row[1], precision=row[2], recall=row[3]) for row in _mean_rows(runs)]
