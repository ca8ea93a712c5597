"""The adaptive queue's mix: Active Learning by Learning (Hsu & Lin 2015), with full-information rewards.

Each single strategy of ``EXPERTS`` is an expert whose advice is a distribution over the pool
(``strategies.advice``); the queue draws from their mixture, weighted by the experts' shares,
with a uniform floor (``strategies.distribution``).

What each expert's labels would have bought is measured for every expert on every batch, not only
for the one that happened to supply a pick: the batch the queue drew is reweighted as each expert's
own draw would have made it (``advice / p`` per lead, the importance weight of that expert's draw
against the mixture's), a plain regression on the scorer's design is refitted with the labels before
the batch plus the batch so weighted, and the next batch of queue labels (importance-weighted by its
propensities, an unbiased sample of the pool) scores each refit against the fit without the batch
(Brier score, paired lead by lead). All experts are scored on the same labels, so the noise of the
next batch is common to them and cancels in their comparison. So a batch is paid one batch late.

The shares follow those gains by AdaHedge (de Rooij, van Erven, Grünwald & Koolen 2014): Hedge whose
learning rate is set by the losses seen so far (ln K over the cumulative mixability gap). It needs
no step, no scale and no range: its regret against the best expert is bounded in terms of the
losses themselves, it is unchanged when every gain is multiplied by a constant or shifted by one,
and it moves as fast as the gains' differences stand out from their noise. A Brier gain per batch is
~0.001-0.01; EXP4's fixed step on the mixture's single reward barely moved the mix within 300
labels (docs/backtest.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from learning.core.strategies import EXPERTS

MIN_BATCH = 20  # queue labels per measured batch, as in the backtest: fewer wait for the next training run


@dataclass
class MixState:
    """The learned shares and what the next update needs. Stored as JSON (``as_json``/``from_json``)."""

    losses: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EXPERTS, 0.0))  # minus the gains, summed
    gap: float = 0.0  # AdaHedge's cumulative mixability gap (its learning rate is ln K / gap)
    pending: dict[str, Any] = field(default_factory=dict)  # the batch not yet paid: its label ids and ratios
    rounds: int = 0  # updates so far
    last_gains: dict[str, float] = field(default_factory=dict)  # what each expert's batch bought last time

    def shares(self) -> dict[str, float]:
        names = list(EXPERTS)
        losses = np.array([self.losses.get(name, 0.0) for name in names])
        if self.gap <= 0:  # nothing told the experts apart yet: equal among the leaders
            weights = (losses == losses.min()).astype(float)
        else:
            weights = np.exp(-np.log(len(names)) / self.gap * (losses - losses.min()))
        return {name: float(w) for name, w in zip(names, weights / weights.sum(), strict=True)}

    def gains(self) -> dict[str, float]:
        """What each expert's batches bought in all (Brier score gains, summed over the measured batches)."""
        return {name: -self.losses.get(name, 0.0) for name in EXPERTS}

    def as_json(self) -> dict[str, object]:
        return {
            "losses": self.losses,
            "gap": self.gap,
            "pending": self.pending,
            "rounds": self.rounds,
            "last_gains": self.last_gains,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> MixState:
        """The stored state; a state stored by the earlier EXP4 mix (no ``losses``) starts afresh."""
        data = data or {}
        state = cls()
        if "losses" not in data:
            return state
        state.losses.update({k: float(v) for k, v in dict(data["losses"]).items() if k in EXPERTS})
        state.gap = float(data.get("gap") or 0.0)
        state.pending = dict(data.get("pending") or {})
        state.rounds = int(data.get("rounds") or 0)
        state.last_gains = {k: float(v) for k, v in dict(data.get("last_gains") or {}).items() if k in EXPERTS}
        return state


def draw_ratios(propensity: np.ndarray, advice: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per expert and picked lead: the expert's advice for the lead over its pick probability, the
    importance weight that turns the mixture's draw into that expert's (1 on average under the mixture)."""
    p = np.asarray(propensity, dtype=float)
    return {name: np.asarray(advice[name], dtype=float) / p for name in EXPERTS if name in advice}


def weighted_brier_gain(y: np.ndarray, before: np.ndarray, after: np.ndarray, propensity: np.ndarray) -> float:
    """How much lower the Brier score of ``after`` is than ``before``'s on these leads, each weighted
    by its inverse pick probability (self-normalised): an estimate over the whole pool, in [-1, 1]."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return 0.0
    w = 1.0 / np.asarray(propensity, dtype=float)
    diff = (np.asarray(before) - y) ** 2 - (np.asarray(after) - y) ** 2
    return float(np.sum(w * diff) / np.sum(w))


def counterfactual_gains(
    design: sparse.csr_matrix,
    y: np.ndarray,
    *,
    before: np.ndarray,
    batch: np.ndarray,
    ratios: Mapping[str, np.ndarray],
    validation: np.ndarray,
    validation_propensity: np.ndarray,
    estimator: LogisticRegression,
) -> dict[str, float]:
    """Per expert: the importance-weighted Brier gain on the ``validation`` rows of ``estimator``
    refitted on the rows ``before`` plus the ``batch`` weighted by the expert's ``ratios`` (scaled to
    the batch's size), over the fit on ``before`` alone. Rows index ``design`` and ``y``."""
    y = np.asarray(y).astype(int)

    def fitted(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if len(np.unique(y[rows])) < 2:
            return np.full(len(validation), float(y[rows].mean()) if len(rows) else 0.5)
        model = clone(estimator).fit(design[rows], y[rows], sample_weight=weights)
        return np.asarray(model.predict_proba(design[validation])[:, 1])

    without = fitted(before, np.ones(len(before)))
    rows = np.concatenate([before, batch])
    gains = {}
    for name, ratio in ratios.items():
        ratio = np.asarray(ratio, dtype=float)
        scaled = ratio * len(ratio) / ratio.sum() if ratio.sum() > 0 else np.ones(len(ratio))
        with_batch = fitted(rows, np.concatenate([np.ones(len(before)), scaled]))
        gains[name] = weighted_brier_gain(y[validation], without, with_batch, validation_propensity)
    return gains


def mix_update(state: MixState, *, gains: Mapping[str, float] | None, pending: Mapping[str, Any]) -> MixState:
    """AdaHedge's step on each expert's ``gains`` (what the pending batch would have bought had the
    expert drawn it; None: nothing measured), then ``pending`` becomes the batch to pay next."""
    updated = MixState.from_json(state.as_json())
    if gains is not None and all(name in gains for name in EXPERTS):
        names = list(EXPERTS)
        loss = -np.array([float(gains[name]) for name in names])
        shares = state.shares()
        weights = np.array([shares[name] for name in names])
        mixed = float(weights @ loss)
        if updated.gap <= 0:
            best = float(loss[weights > 0].min())
        else:
            eta = np.log(len(names)) / updated.gap
            low = float(loss.min())
            best = low - float(np.log(weights @ np.exp(-eta * (loss - low)))) / eta
        updated.gap += max(mixed - best, 0.0)
        for name, value in zip(names, loss, strict=True):
            updated.losses[name] = updated.losses.get(name, 0.0) + float(value)
        updated.rounds += 1
        updated.last_gains = {name: float(gains[name]) for name in names}
    updated.pending = dict(pending)
    return updated


def mix_summary(state: MixState) -> str:
    """The current mix and why, in a sentence (the settings page shows it)."""
    mix = ", ".join(f"{name} {percent}%" for name, percent in ranked_percents(state.shares()))
    if state.rounds == 0:
        return (
            f"The rest is shared equally ({mix}): no batch of queue labels has been measured yet "
            f"(a batch of at least {MIN_BATCH} is measured on the queue labels that come after it)."
        )
    gains = state.gains()
    best = max(gains, key=lambda name: gains[name])
    return (
        f"The rest is shared {mix} after {state.rounds} measured {'batch' if state.rounds == 1 else 'batches'}: "
        f"{best}'s way of drawing them "
        f"would have bought the most (the model refitted with each strategy's share of a batch, "
        f"Brier score on the next batch, importance-weighted)."
    )


def ranked_percents(shares: Mapping[str, float]) -> list[tuple[str, int]]:
    """(name, whole percentage) of each share, biggest first (ties in the order given); they add up to 100."""
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    percents = whole_percents([share for _, share in ranked])
    return [(name, percent) for (name, _), percent in zip(ranked, percents, strict=True)]


def whole_percents(shares: list[float]) -> list[int]:
    """Shares of a whole as whole percentages that add up to 100 (largest remainder): a third each
    reads 34%, 33%, 33%, not 33% three times. Ties go to the earlier share."""
    total = sum(shares)
    if total <= 0:
        return [0 for _ in shares]
    exact = [100 * share / total for share in shares]
    percents = [int(value) for value in exact]
    # Remainders equal but for float noise (a floor plus thirds) are ties.
    by_remainder = sorted(range(len(exact)), key=lambda i: (-round(exact[i] - percents[i], 9), i))
    for i in by_remainder[: 100 - sum(percents)]:
        percents[i] += 1
    return percents
