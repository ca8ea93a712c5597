"""Query strategies: which leads to ask the reps about, as sampling distributions over the open pool.

Every strategy is a distribution, never a top-k cut: a lead's chance is a ``floor`` share of a
uniform draw plus the rest in proportion to the strategy's weight of the lead (modAL's measures:
``classifier_uncertainty``, ``classifier_margin``, ``classifier_entropy``). So no lead has chance 0,
the queue does not clump on one ambiguous region, and each pick has a known probability (its
*propensity*) that makes the labels an importance-weighted sample of the pool. Taking the most
uncertain leads outright, gating the tilt by trust, or herding the head lost to random sampling on
worlds where the model is strong (issue 13); a plain uncertainty-proportional draw with a random
floor did not.

The queue is the order of one weighted draw without replacement (an exponential race on one
uniform key per lead, Efraimidis & Spirakis 2006): the first lead is a draw from the distribution,
each next one a draw from what is left. The backtest hands every strategy the same keys, so their
random picks coincide and their curves differ only by the shape of the distribution.

``adaptive`` (the default) is a mixture of the single strategies whose shares are learned per
deployment by Active Learning by Learning (Hsu & Lin 2015): see ``learning.core.mix``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from modAL.uncertainty import classifier_entropy, classifier_margin, classifier_uncertainty

DEFAULT_STRATEGY = "adaptive"
DEFAULT_EXPLORATION = 0.2  # the floor: this share of every draw is uniform over the whole pool
# A lead the draw made at least this much likelier than a uniform pick was picked for the strategy's
# reason (the model's doubt); one below it, by the floor or a mix that leans on random, in effect at random.
FAVOURED = 1.25


class KnownProbabilities:
    """An 'estimator' whose predict_proba returns its input: lets modAL rank known probabilities."""

    def predict_proba(self, proba: np.ndarray) -> np.ndarray:
        return proba


KNOWN = KnownProbabilities()


def _uniform(proba: np.ndarray) -> np.ndarray:
    return np.ones(len(proba))


def _uncertainty(proba: np.ndarray) -> np.ndarray:
    return classifier_uncertainty(KNOWN, proba)


def _margin(proba: np.ndarray) -> np.ndarray:
    return 1.0 - classifier_margin(KNOWN, proba)  # a small margin between the outcomes: a high weight


def _entropy(proba: np.ndarray) -> np.ndarray:
    return classifier_entropy(KNOWN, proba)


@dataclass(frozen=True)
class Strategy:
    """One query strategy: its name (stored in the settings), what it does in a sentence, how it
    weighs a pool from its two-column probabilities, and what else it needs from the caller."""

    name: str
    summary: str
    weigh: Callable[[np.ndarray], np.ndarray] | None  # None: a mixture of the others (``needs`` says of what)
    needs: frozenset[str] = frozenset()  # "probabilities": the pool's scores; "mix": the learned shares


STRATEGY_LIST = (
    Strategy(
        "adaptive",
        "a mixture of the strategies below, shifted towards the ones whose labels improved the model",
        None,
        frozenset({"probabilities", "mix"}),
    ),
    Strategy(
        "uncertainty",
        "leads drawn in proportion to how unsure the model is",
        _uncertainty,
        frozenset({"probabilities"}),
    ),
    Strategy(
        "margin",
        "leads drawn in proportion to how close the two outcomes' probabilities are",
        _margin,
        frozenset({"probabilities"}),
    ),
    Strategy(
        "entropy", "leads drawn in proportion to the entropy of their score", _entropy, frozenset({"probabilities"})
    ),
    Strategy("random", "every open lead equally likely", _uniform),
)
REGISTRY: Mapping[str, Strategy] = {strategy.name: strategy for strategy in STRATEGY_LIST}
STRATEGIES = tuple(REGISTRY)
EXPERTS = ("random", "uncertainty", "entropy")  # what ``adaptive`` mixes (margin draws as uncertainty on two outcomes)


def strategy_named(name: str) -> Strategy:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}") from None


def needs_probabilities(name: str) -> bool:
    return "probabilities" in strategy_named(name).needs


def weights(proba: np.ndarray, name: str) -> np.ndarray:
    """A single strategy's weight of each pool row (its distribution, unnormalised)."""
    strategy = strategy_named(name)
    if strategy.weigh is None:
        raise ValueError(f"{name!r} mixes other strategies; it gives no advice of its own")
    return np.clip(np.asarray(strategy.weigh(proba), dtype=float), 0.0, None)


def advice(proba: np.ndarray, name: str, *, total: float | None = None) -> np.ndarray:
    """A single strategy's own distribution over the pool (uniform when it weighs every lead 0).
    ``total``: the strategy's total weight over a pool these rows were drawn from (default: theirs)."""
    return _normalised(weights(proba, name), total)


def _normalised(weight: np.ndarray, total: float | None = None) -> np.ndarray:
    total = float(weight.sum()) if total is None else total
    return weight / total if total > 0 else np.full(len(weight), 1.0 / max(len(weight), 1))


def distribution(
    proba: np.ndarray, *, strategy: str, exploration: float, shares: Mapping[str, float] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, float]]:
    """The per-draw pick probability of every pool row, the advice (each single strategy's own
    distribution) it was mixed from, and each advising strategy's total weight over the pool.

    ``exploration`` (the floor) of the probability is uniform; the rest follows the strategy, or for
    ``adaptive`` the experts' advice weighted by ``shares`` (default: equal). Every row gets at least
    ``exploration / n``.
    """
    if not 0.0 <= exploration <= 1.0:
        raise ValueError("exploration must be between 0 and 1")
    n = len(proba)
    if n == 0:
        return np.zeros(0), {}, {}
    names = [strategy] if strategy_named(strategy).weigh is not None else list(EXPERTS)
    raw = {name: weights(proba, name) for name in names}
    totals = {name: float(weight.sum()) for name, weight in raw.items()}
    advised = {name: _normalised(weight) for name, weight in raw.items()}
    share = {name: max(float((shares or {}).get(name, 1.0)), 0.0) for name in names}
    whole = sum(share.values()) or 1.0
    mixed = np.zeros(n)
    for name in names:
        mixed += (share[name] / whole) * advised[name]
    return exploration / n + (1.0 - exploration) * mixed, advised, totals


@dataclass
class Ranking:
    order: np.ndarray  # row indices, first = ask first
    propensity: np.ndarray  # per row: the probability that one draw from the distribution picks it
    explored: np.ndarray  # bool per row: not made ``FAVOURED`` times likelier than a uniform pick (in effect random)
    advice: dict[str, np.ndarray]  # per advising strategy: its own distribution over the pool
    totals: dict[str, float]  # per advising strategy: its total weight over the pool (``advice`` unnormalised)

    def priority(self) -> np.ndarray:
        """1.0 for the first row of ``order`` down towards 0 for the last."""
        n = len(self.order)
        values = np.empty(n)
        values[self.order] = 1.0 - np.arange(n) / max(n, 1)
        return values


def rank_pool(
    proba: np.ndarray,
    *,
    strategy: str,
    exploration: float,
    rng: np.random.Generator,
    shares: Mapping[str, float] | None = None,
    keys: np.ndarray | None = None,
) -> Ranking:
    """Order a pool by one weighted draw without replacement from ``distribution``.

    ``propensity`` (what the queue stores on the lead's score, its lease and its label) is the
    per-draw probability at this rescore: the chance that a single draw from the distribution picks
    the lead, ``exploration / n + (1 - exploration) * sum_k share_k * w_k(lead) / sum_pool w_k``,
    with ``n`` the open pool and ``w_k`` each advising strategy's weight. It is not the chance of
    landing anywhere in the queue's head (that grows with the batch); its inverse is the importance
    weight of a sample drawn with replacement, which the queue's draw approaches while a batch is a
    small share of the pool.

    ``keys``: one uniform random number per row (default: drawn from ``rng``); with the same keys,
    ``random`` orders by them and every other strategy's race starts from them.
    """
    p, advised, totals = distribution(proba, strategy=strategy, exploration=exploration, shares=shares)
    n = len(p)
    u = keys if keys is not None else rng.random(n)
    race = -np.log1p(-np.minimum(u, 1 - 1e-12)) / np.maximum(p, 1e-300)
    order = np.argsort(race, kind="stable")
    return Ranking(order=order, propensity=p, explored=p * n < FAVOURED, advice=advised, totals=totals)


def select_batch(
    proba: np.ndarray,
    *,
    size: int,
    strategy: str,
    exploration: float,
    rng: np.random.Generator,
    shares: Mapping[str, float] | None = None,
    keys: np.ndarray | None = None,
) -> Ranking:
    """The ranking whose first ``size`` rows are the next batch (the live queue's order)."""
    ranking = rank_pool(proba, strategy=strategy, exploration=exploration, rng=rng, shares=shares, keys=keys)
    ranking.order = ranking.order[:size]
    return ranking
