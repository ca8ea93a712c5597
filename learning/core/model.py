"""The lead scorer: a scikit-learn estimator over feature frames.

Each input column gets its own small transformer (numbers binned, categories one-hot),
followed by a regularised logistic regression: an additive model whose per-column
contributions are exact, so every score can say why in plain words.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

from learning.core.features import FrameEncoder, is_behaviour

ESTIMATORS = ("additive_logistic",)


def _numeric_pipeline(n_bins: int) -> Pipeline:
    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        KBinsDiscretizer(n_bins=n_bins, encode="onehot", strategy="quantile", quantile_method="averaged_inverted_cdf"),
    )


def _categorical_pipeline(min_frequency: int, max_categories: int) -> OneHotEncoder:
    return OneHotEncoder(
        handle_unknown="infrequent_if_exist", min_frequency=min_frequency, max_categories=max_categories
    )


class LeadScorer(ClassifierMixin, BaseEstimator):
    """P(convert) from a feature frame; ``contributions`` explains each prediction."""

    def __init__(self, C: float = 0.5, n_bins: int = 5, min_frequency: int = 2, max_categories: int = 20) -> None:
        self.C = C
        self.n_bins = n_bins
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> LeadScorer:
        y = np.asarray(y).astype(int)
        self.encoder_ = FrameEncoder().fit(X)
        encoded = self.encoder_.transform(X)
        plan = self.encoder_.plan_
        n_bins = max(2, min(self.n_bins, len(X) // 4))
        steps: list[tuple[str, object]] = [(name, _numeric_pipeline(n_bins)) for name in [*plan.numeric, *plan.dates]]
        steps += [(name, _categorical_pipeline(self.min_frequency, self.max_categories)) for name in plan.categorical]
        # One transformer per input column, so each output slice maps back to its column.
        transformers = [(f"f{j}", step, [name]) for j, (name, step) in enumerate(steps)]
        self.columns_ = ColumnTransformer(transformers, sparse_threshold=1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant columns give KBins one bin; that is fine
            design = sparse.csr_matrix(self.columns_.fit_transform(encoded))
        self.classifier_ = LogisticRegression(C=self.C, max_iter=2000).fit(design, y)
        self.classes_ = self.classifier_.classes_
        self.feature_names_ = [name for name, _ in steps]
        self.baseline_ = np.asarray(design.mean(axis=0)).ravel()
        return self

    def _design(self, X: pd.DataFrame) -> sparse.csr_matrix:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sparse.csr_matrix(self.columns_.transform(self.encoder_.transform(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.classifier_.predict_proba(self._design(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def score_with_contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """P(convert) and, per input column, its push on the log-odds against an average lead."""
        design = self._design(X)
        proba = self.classifier_.predict_proba(design)[:, 1]
        coef = self.classifier_.coef_.ravel()
        centred = design.multiply(coef).tocsc()
        offsets = self.baseline_ * coef
        contributions = np.zeros((design.shape[0], len(self.feature_names_)))
        for j in range(len(self.feature_names_)):
            part = self.columns_.output_indices_[f"f{j}"]
            if part.stop > part.start:
                contributions[:, j] = np.asarray(centred[:, part].sum(axis=1)).ravel() - offsets[part].sum()
        return proba, contributions

    @property
    def behaviour_mask_(self) -> np.ndarray:
        return np.array([is_behaviour(name) for name in self.feature_names_])


@dataclass(frozen=True)
class Factor:
    feature: str
    value: object
    weight: float


def top_factors(
    frame: pd.DataFrame, names: list[str], contributions: np.ndarray, *, up: int = 3, down: int = 2, floor: float = 0.05
) -> list[list[Factor]]:
    """The strongest pushes up and down for each row, strongest first."""
    result: list[list[Factor]] = []
    order = np.argsort(-contributions, axis=1)
    values = {name: frame[name].to_numpy() if name in frame.columns else None for name in names}
    for i in range(contributions.shape[0]):
        row = contributions[i]
        factors = [
            Factor(names[j], _value(values[names[j]], i), float(row[j])) for j in order[i, :up] if row[j] > floor
        ]
        factors += [
            Factor(names[j], _value(values[names[j]], i), float(row[j]))
            for j in order[i, ::-1][:down]
            if row[j] < -floor
        ]
        result.append(factors)
    return result


def _value(column: np.ndarray | None, i: int) -> object:
    return None if column is None else column[i]
