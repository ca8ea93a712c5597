"""Query strategies: which leads to ask the reps about first.

Built on modAL's uncertainty measures. They take an estimator and call its
``predict_proba``; scoring has already computed the probabilities, so they are handed
over through ``KnownProbabilities`` instead of being predicted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from modAL.uncertainty import classifier_entropy, classifier_margin, classifier_uncertainty

STRATEGIES = ("uncertainty", "margin", "entropy", "random")
DEFAULT_STRATEGY = "uncertainty"
HEAD = 5000  # positions where exploration is interleaved; the tail stays in strategy order


class KnownProbabilities:
    """An 'estimator' whose predict_proba returns its input: lets modAL rank known probabilities."""

    def predict_proba(self, proba: np.ndarray) -> np.ndarray:
        return proba


def informativeness(proba: np.ndarray, strategy: str) -> np.ndarray:
    """Higher means the model learns more from a label (modAL's measures)."""
    known = KnownProbabilities()
    if strategy == "uncertainty":
        return classifier_uncertainty(known, proba)
    if strategy == "margin":
        return -classifier_margin(known, proba)
    if strategy == "entropy":
        return classifier_entropy(known, proba)
    if strategy == "random":
        return np.zeros(len(proba))
    raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


@dataclass
class Ranking:
    order: np.ndarray  # row indices, first = ask first
    explored: np.ndarray  # bool per row: placed by exploration, not by the strategy
    informativeness: np.ndarray

    def priority(self) -> np.ndarray:
        """1.0 for the first row of ``order`` down towards 0 for the last."""
        n = len(self.order)
        values = np.empty(n)
        values[self.order] = 1.0 - np.arange(n) / max(n, 1)
        return values


def rank_pool(proba: np.ndarray, *, strategy: str, exploration: float, rng: np.random.Generator) -> Ranking:
    """Order a pool: the strategy's most informative first, with an ``exploration`` share of
    random rows interleaved at the head so the queue does not clump on one region."""
    if not 0.0 <= exploration <= 1.0:
        raise ValueError("exploration must be between 0 and 1")
    n = len(proba)
    scores = informativeness(proba, strategy)
    tiebreak = rng.random(n)
    order = np.lexsort((tiebreak, -scores)) if strategy != "random" else rng.permutation(n)
    explored = np.zeros(n, dtype=bool)
    head = min(n, HEAD)
    n_explore = round(head * exploration) if strategy != "random" else 0
    if n_explore:
        picked = rng.choice(n, size=n_explore, replace=False)
        explored[picked] = True
        chosen = order[~explored[order]][: head - n_explore]
        slots = np.zeros(head, dtype=bool)
        slots[np.round(np.linspace(0, head - 1, n_explore) + (head / n_explore) / 2).astype(int).clip(0, head - 1)] = (
            True
        )
        if slots.sum() < n_explore:  # rounding collisions: fill the first free slots
            free = np.flatnonzero(~slots)[: n_explore - slots.sum()]
            slots[free] = True
        merged = np.empty(head, dtype=order.dtype)
        merged[slots] = picked
        merged[~slots] = chosen
        rest = order[~np.isin(order, merged)]
        order = np.concatenate([merged, rest])
    return Ranking(order=order, explored=explored, informativeness=scores)


def select_batch(
    proba: np.ndarray, *, size: int, strategy: str, exploration: float, rng: np.random.Generator
) -> np.ndarray:
    """The next ``size`` rows to label: the head of the same ranking the live queue uses."""
    return rank_pool(proba, strategy=strategy, exploration=exploration, rng=rng).order[:size]
