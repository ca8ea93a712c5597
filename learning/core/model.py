"""The lead scorer: a scikit-learn estimator over feature frames.

Every input column is cut into a few slots (numbers into quantile bins plus a "missing"
slot, categories into their frequent values plus "other"), one-hot encoded, and fed to a
regularised logistic regression (with ``ordinal="chosen"``, one whose penalty may pull a
number's adjacent bins towards each other instead: ``OrdinalLogisticRegression``). That makes
an additive model: non-linear in each column, with exact per-column contributions, so every
score can say why in plain words. Encoding is a vectorised gather, so scoring a million leads
costs little more than reading them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from learning.core.calibration import calibrated_log_losses, platt_scaling
from learning.core.features import FrameEncoder, PreparedFrame, is_behaviour
from learning.core.paired import mean_and_se
from learning.core.rationales import Why, learn_whys, resolve

ORDINAL = ("off", "chosen", "clear")  # LeadScorer(ordinal=...): the number bins' penalty


@dataclass
class _Column:
    name: str
    offset: int
    edges: np.ndarray | None = None  # numeric: inner bin edges; slot 0 is "missing"
    categories: dict[str, int] | None = None  # categorical: value → slot; the last slot is "other"

    @property
    def width(self) -> int:
        if self.edges is not None:
            return len(self.edges) + 2
        assert self.categories is not None
        return len(self.categories) + 1

    def codes(self, values: pd.Series) -> np.ndarray:
        if self.edges is not None:
            numbers = values.to_numpy(dtype=float)
            codes = np.searchsorted(self.edges, numbers, side="right") + 1
            codes[np.isnan(numbers)] = 0
            return codes
        assert self.categories is not None
        other = len(self.categories)
        rows, distinct = pd.factorize(values)  # look each distinct value up once
        slots = np.array([self.categories.get(value, other) for value in distinct] + [other], dtype=np.int64)
        return slots[rows]  # row code -1 (missing) takes the last entry: "other"


def _fit_numeric(name: str, values: pd.Series, n_bins: int) -> _Column:
    numbers = values.to_numpy(dtype=float)
    present = numbers[~np.isnan(numbers)]
    if present.size == 0:
        edges = np.array([], dtype=float)
    else:
        quantiles = np.quantile(present, np.linspace(0, 1, n_bins + 1)[1:-1])
        edges = np.unique(quantiles)
    return _Column(name=name, offset=0, edges=edges)


def _fit_categorical(name: str, values: pd.Series, min_frequency: int, max_categories: int) -> _Column:
    counts = values.value_counts()
    kept = [value for value, count in counts.items() if count >= min_frequency][:max_categories]
    return _Column(name=name, offset=0, categories={value: i for i, value in enumerate(kept)})


class LeadScorer(ClassifierMixin, BaseEstimator):
    """P(convert) from a feature frame; ``score_with_contributions`` explains each prediction.

    ``solver``: the regression's; "auto" takes liblinear (~50x faster on the few hundred labels
    of a live loop) below 20,000 labels and lbfgs above. ``random_state`` seeds the folds that
    calibrate the scores and weigh the whys. ``ordinal``: "off" (production's) penalises each
    number bin towards 0; "chosen" lets each fit penalise the steps between adjacent bins instead
    when its folds say so, "clear" only when they say so by more than a standard error
    (``_choose_steps``; both measured in docs/backtest.md, neither adopted).
    """

    def __init__(
        self,
        C: float = 0.05,
        n_bins: int = 5,
        min_frequency: int = 2,
        max_categories: int = 20,
        calibrate: bool = True,
        solver: str = "auto",
        random_state: int | None = 0,
        ordinal: str = "off",
    ) -> None:
        self.C = C
        self.n_bins = n_bins
        self.min_frequency = min_frequency
        self.max_categories = max_categories
        self.calibrate = calibrate
        self.solver = solver
        self.random_state = random_state
        self.ordinal = ordinal

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        *,
        whys: Sequence[Sequence[Why]] | None = None,
        prepared: PreparedFrame | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> LeadScorer:
        """Fit on the outcomes ``y`` and, when given, each row's ``whys`` (the reasons and marked
        fields of its label; see ``learning.core.rationales``). ``prepared``: for many fits and
        scorings on row subsets of one frame (the backtest), that frame prepared once; the result
        is the same, the per-value work is done once. ``sample_weight``: each label's weight in the
        regression's fits (the final one and those on the folds); the bins, the folds and Platt's
        scaling do not use it. Production's training passes the queue's picks' importance weights
        (``learning.core.importance.label_weights``), and the backtest replays them
        (``run_backtest(train_weights=...)``)."""
        y = np.asarray(y).astype(int)
        if whys is not None and len(whys) != len(y):
            raise ValueError(f"whys: {len(whys)} rows for {len(y)} labels")
        weights = None
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=float)
            if weights.shape != y.shape or not np.all(np.isfinite(weights)) or np.any(weights <= 0):
                raise ValueError(f"sample_weight: {len(y)} finite weights above 0 wanted, one per label")
        self.encoder_ = FrameEncoder(prepared=prepared).fit(X)
        encoded = self.encoder_.transform(X)
        plan = self.encoder_.plan_
        n_bins = max(2, min(self.n_bins, len(X) // 4))
        columns = [_fit_numeric(name, encoded[name], n_bins) for name in [*plan.numeric, *plan.dates]]
        self.typical_ = {name: _median(encoded[name]) for name in plan.numeric}  # what an explanation compares with
        columns += [
            _fit_categorical(name, encoded[name], self.min_frequency, self.max_categories) for name in plan.categorical
        ]
        offset = 0
        for column in columns:
            column.offset = offset
            offset += column.width
        self.columns_ = columns
        self.n_slots_ = offset
        self.feature_names_ = [column.name for column in columns]
        codes = self._codes(encoded)
        self.n_train_ = len(y)
        design = self._design(codes)
        folds = _folds(y, self.random_state)
        self.steps_ = self._choose_steps(design, y, columns, folds, weights)
        regression = self.regression(len(y))
        rationales = resolve(whys, self.feature_names_) if whys is not None else []
        learned = learn_whys(
            design,
            y,
            codes,
            rationales,
            offsets=np.array([column.offset for column in columns], dtype=np.int64),
            widths=np.array([column.width for column in columns], dtype=np.int64),
            estimator=regression,
            folds=folds,
            row_weights=weights,
        )
        self.why_strength_ = learned.strength
        self.reason_trust_ = learned.reason_trust
        self.field_weights_ = learned.field_weights
        self.classifier_ = regression.fit(learned.design, learned.y, sample_weight=learned.weights)
        self.calibration_ = (1.0, 0.0)
        self.out_of_fold_auc_: float | None = None
        self.held_out_logits_: tuple[np.ndarray, np.ndarray] | None = None
        if self.calibrate and folds:
            logits = learned.out_of_fold
            if logits is None:
                logits = out_of_fold_logits(design, y, estimator=regression, folds=folds, sample_weight=weights)
            plain = learned.plain_out_of_fold if learned.plain_out_of_fold is not None else logits
            self.held_out_logits_ = (logits, plain)
            scale, shift = platt_scaling(logits, y)
            self.out_of_fold_auc_ = float(roc_auc_score(y, logits))
            # Folded into the regression: its probabilities and the contributions are then the calibrated ones.
            self.classifier_.coef_ = self.classifier_.coef_ * scale
            self.classifier_.intercept_ = self.classifier_.intercept_ * scale + shift
            self.calibration_ = (scale, shift)
        self.classes_ = self.classifier_.classes_
        coef = self.classifier_.coef_.ravel()
        # The average lead's push per column: contributions are measured against it.
        self.baseline_ = (
            np.array([coef[codes[:, j]].mean() for j in range(codes.shape[1])]) if len(codes) else np.zeros(0)
        )
        return self

    def _choose_steps(
        self,
        design: sparse.csr_matrix,
        y: np.ndarray,
        columns: Sequence[_Column],
        folds: Sequence[tuple[np.ndarray, np.ndarray]],
        weights: np.ndarray | None = None,
    ) -> sparse.csr_matrix | None:
        """The number bins' penalty for these labels: on the steps between adjacent bins (``_steps``)
        when that gives the lower calibrated held-out log-loss on the fit's folds ("chosen"), or
        lower by more than the standard error of the row-paired difference ("clear"); else on each
        bin (None; also without folds, and on a tie)."""
        if self.ordinal not in ORDINAL:
            raise ValueError(f"ordinal: {self.ordinal!r} is not one of {', '.join(ORDINAL)}")
        if self.ordinal == "off" or not folds:
            return None
        steps = _steps(columns, design.shape[1])
        one_hot, stepped = (
            calibrated_log_losses(
                out_of_fold_logits(
                    design, y, estimator=self._regression(len(y), candidate), folds=folds, sample_weight=weights
                ),
                y,
            )
            for candidate in (None, steps)
        )
        gain, error = mean_and_se(one_hot - stepped)  # per row: what the steps save
        margin = error if self.ordinal == "clear" else 0.0  # "clear": Breiman's one-standard-error rule
        return steps if gain > margin else None

    def regression(self, n_labels: int = 0) -> LogisticRegression:
        """The regression this scorer fits on its design (unfitted), for ``n_labels`` labels."""
        # None: production's, and every version stored before the steps
        return self._regression(n_labels, getattr(self, "steps_", None))

    def _regression(self, n_labels: int, steps: sparse.csr_matrix | None) -> LogisticRegression:
        """The regression for ``n_labels`` labels, its number bins penalised by ``steps`` (or each bin: None)."""
        solver = self.solver if self.solver != "auto" else ("liblinear" if n_labels < 20_000 else "lbfgs")
        if steps is None:
            return LogisticRegression(C=self.C, solver=solver, max_iter=2000, random_state=self.random_state)
        return OrdinalLogisticRegression(
            steps=steps, C=self.C, solver=solver, max_iter=2000, random_state=self.random_state
        )

    def design(self, X: pd.DataFrame) -> sparse.csr_matrix:
        """The one-hot design matrix the regression sees for ``X`` (one slot per number bin or category)."""
        check_is_fitted(self)
        return self._design(self.slot_codes(X))

    def held_out_proba(self, y: np.ndarray, *, whys: bool = True) -> np.ndarray:
        """Each training row's calibrated P(convert) from the fit's own folds (a model that never saw
        the row), with the whys as fitted or without them (the ablation). ``y``: the training outcomes.

        The folds are the ones that calibrate the scores and weigh the whys, so these come at no
        extra fit; the trust and strength of the whys are chosen on all folds together (a choice
        among ``STRENGTHS``), the coefficients never on the row itself. Each set is Platt-scaled on
        itself, as its model would be."""
        check_is_fitted(self)
        held_out = getattr(self, "held_out_logits_", None)
        if held_out is None:
            raise ValueError("no held-out predictions: fitted uncalibrated, without folds, or loaded from storage")
        logits = held_out[0 if whys else 1]
        scale, shift = self.calibration_ if whys else platt_scaling(logits, np.asarray(y).astype(int))
        return np.asarray(expit(scale * logits + shift))

    def __getstate__(self) -> dict[str, object]:
        state = dict(super().__getstate__())
        state.pop("held_out_logits_", None)  # one number per training row: a training figure, not the model
        return state

    def _codes(self, encoded: pd.DataFrame) -> np.ndarray:
        """Column j of the result: the global slot index each row falls in for feature j."""
        n = len(encoded)
        codes = np.empty((n, len(self.columns_)), dtype=np.int64)
        for j, column in enumerate(self.columns_):
            codes[:, j] = column.offset + column.codes(encoded[column.name])
        return codes

    def _design(self, codes: np.ndarray) -> sparse.csr_matrix:
        n, width = codes.shape
        data = np.ones(n * width)
        indptr = np.arange(0, n * width + 1, width)
        return sparse.csr_matrix((data, codes.ravel(), indptr), shape=(n, self.n_slots_))

    def slot_codes(self, X: pd.DataFrame) -> np.ndarray:
        """Per row and input column, the slot (number bin or category, numbered across columns) it falls in."""
        check_is_fitted(self)
        return self._codes(self.encoder_.transform(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        return self.classifier_.predict_proba(self._design(self.slot_codes(X)))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def score_with_contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """P(convert) and, per input column, its push on the log-odds against an average lead."""
        check_is_fitted(self)
        codes = self.slot_codes(X)
        coef = self.classifier_.coef_.ravel()
        pushes = coef[codes]
        logit = self.classifier_.intercept_[0] + pushes.sum(axis=1)
        return 1.0 / (1.0 + np.exp(-logit)), pushes - self.baseline_

    @property
    def behaviour_mask_(self) -> np.ndarray:
        return np.array([is_behaviour(name) for name in self.feature_names_], dtype=bool)


class OrdinalLogisticRegression(LogisticRegression):
    """A logistic regression over the scorer's one-hot slots whose L2 penalty falls on the steps
    between adjacent bins of a number column, not on each bin's distance from 0 (the penalty on
    differences for ordered categories of Gertheiss & Tutz 2010). It fits on the design times
    ``steps`` (bin k coded as "in bin j or above" for every j <= k; ``_steps``) and maps the
    coefficients back to one per slot, so it predicts from the one-hot design as a plain regression
    does, and each number column is still a step function with exact per-column contributions.
    Without ``steps`` it is the plain regression."""

    def __init__(
        self,
        steps: sparse.csr_matrix | None = None,
        C: float = 1.0,
        solver: str = "lbfgs",
        max_iter: int = 100,
        random_state: int | None = None,
    ) -> None:
        super().__init__(C=C, solver=solver, max_iter=max_iter, random_state=random_state)
        self.steps = steps

    def fit(
        self, X: sparse.spmatrix | np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> OrdinalLogisticRegression:
        if self.steps is None:
            super().fit(X, y, sample_weight=sample_weight)
            return self
        super().fit(sparse.csr_matrix(X) @ self.steps, y, sample_weight=sample_weight)
        self.coef_ = np.asarray((self.steps @ self.coef_.T).T)  # type: ignore[has-type]
        return self


def _steps(columns: Sequence[_Column], n_slots: int) -> sparse.csr_matrix:
    """Slot → recoded slots: identity, except a number column's bin k (k >= 1; slot 0 is
    "missing") turns on its column's recoded slots 1..k."""
    rows: list[int] = []
    cols: list[int] = []
    for column in columns:
        for k in range(column.width):
            first = 1 if column.edges is not None and k >= 1 else k
            rows.extend([column.offset + k] * (k - first + 1))
            cols.extend(range(column.offset + first, column.offset + k + 1))
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_slots, n_slots))


CALIBRATION_FOLDS = 5


def _folds(y: np.ndarray, random_state: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds for calibration and the whys' trust; none when an outcome has fewer than 2 labels."""
    folds = int(min(CALIBRATION_FOLDS, np.bincount(y, minlength=2).min()))
    if folds < 2:
        return []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    return list(splitter.split(np.zeros(len(y)), y))


def out_of_fold_logits(
    design: sparse.csr_matrix,
    y: np.ndarray,
    *,
    estimator: LogisticRegression,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    sample_weight: np.ndarray | None = None,
) -> np.ndarray:
    """Each row's log-odds under ``estimator`` refit (a clone) without its fold (each row weighted
    by ``sample_weight``, when given)."""
    logits = np.empty(len(y))
    for train, test in folds:
        weights = None if sample_weight is None else sample_weight[train]
        model = clone(estimator).fit(design[train], y[train], sample_weight=weights)
        logits[test] = model.decision_function(design[test])
    return logits


def cross_val_proba(
    scorer: LeadScorer, X: pd.DataFrame, y: np.ndarray, *, whys: Sequence[Sequence[Why]] | None = None, folds: int = 5
) -> np.ndarray:
    """Each row's P(convert) under ``scorer`` refit (a clone) without its fold, on the other folds'
    outcomes and, when given, their whys: strict nested cross-validation, every fold relearning the
    whys' trust and strength. Training reads the fit's own folds instead (``held_out_proba``, the
    number of folds times cheaper); tests hold the two close."""
    y = np.asarray(y).astype(int)
    n_splits = int(min(folds, np.bincount(y, minlength=2).min()))
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=0)
    proba = np.empty(len(y))
    for train, test in splitter.split(np.zeros(len(y)), y):
        fold_whys = [whys[i] for i in train] if whys is not None else None
        fitted = clone(scorer).fit(X.iloc[train], y[train], whys=fold_whys)
        proba[test] = fitted.predict_proba(X.iloc[test])[:, 1]
    return proba


@dataclass(frozen=True)
class Factor:
    feature: str
    value: object
    weight: float
    typical: float | None = None  # a number column's median among the training leads (None: not a number)


def top_factors(
    frame: pd.DataFrame,
    names: list[str],
    contributions: np.ndarray,
    *,
    up: int = 3,
    down: int = 2,
    floor: float = 0.02,
    typical: Mapping[str, float | None] | None = None,
) -> list[list[Factor]]:
    """The strongest pushes up and down for each row, strongest first; ``typical``: each number
    column's typical value (``LeadScorer.typical_``), which a line compares the lead with."""
    result: list[list[Factor]] = []
    order = np.argsort(-contributions, axis=1)
    values = {name: frame[name].to_numpy() if name in frame.columns else None for name in names}
    usual = typical or {}

    def factor(i: int, j: int, weight: float) -> Factor:
        return Factor(names[j], _value(values[names[j]], i), weight, usual.get(names[j]))

    for i in range(contributions.shape[0]):
        row = contributions[i]
        factors = [factor(i, j, float(row[j])) for j in order[i, :up] if row[j] > floor]
        factors += [factor(i, j, float(row[j])) for j in order[i, ::-1][:down] if row[j] < -floor]
        result.append(factors)
    return result


def _median(values: object) -> float | None:
    numbers = np.asarray(values, dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    return float(np.median(numbers)) if len(numbers) else None


def _value(column: np.ndarray | None, i: int) -> object:
    return None if column is None else column[i]
