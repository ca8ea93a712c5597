"""The adaptive queue's mix: Active Learning by Learning (Hsu & Lin 2015), batch-wise.

Each single strategy of ``EXPERTS`` is an expert whose advice is a distribution over the pool
(``strategies.advice``); the queue draws from their mixture, weighted by the experts' shares,
with a uniform floor (``strategies.distribution``). After each batch of labels the shares move
by the EXP4 rule (Auer et al. 2002, the bandit ALBL uses): each expert is credited with the
batch's reward in proportion to how much of the batch's probability it supplied, ``advice / p``
per picked lead. That ratio makes the credit an unbiased estimate of the reward the expert's own
draws would have earned, so the shares follow whichever strategy's labels improve the model,
with EXP4's regret bound against the best single expert for rewards in [-1, 1].

The reward is what a batch's labels bought: the next batch, importance-weighted by its
propensities (an unbiased sample of the pool), scores the model trained with the batch against
the model trained without it (Brier score, paired lead by lead). So a batch is paid one batch
late, from ``pending``. Rewards are centred (0 = no change), so an expert is not paid for merely
having supplied picks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from learning.core.strategies import EXPERTS

SCALE_FREE = True  # pay rewards in units of their running mean size (Brier gains per batch are ~0.001-0.01)


@dataclass
class MixState:
    """The learned shares and what the next update needs. Stored as JSON (``as_json``/``from_json``)."""

    log_weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EXPERTS, 0.0))
    pending: dict[str, float] = field(default_factory=dict)  # credit ratios of the batch not yet paid
    rounds: int = 0  # updates so far
    last_reward: float | None = None
    rewards: dict[str, float] = field(default_factory=lambda: dict.fromkeys(EXPERTS, 0.0))  # credited so far
    scale: float = 0.0  # the mean size of the rewards paid so far (rewards are paid in units of it)

    def shares(self) -> dict[str, float]:
        names = [name for name in EXPERTS]
        logs = np.array([self.log_weights.get(name, 0.0) for name in names])
        weights = np.exp(logs - logs.max())
        return {name: float(w) for name, w in zip(names, weights / weights.sum(), strict=True)}

    def as_json(self) -> dict[str, object]:
        return {
            "log_weights": self.log_weights,
            "pending": self.pending,
            "rounds": self.rounds,
            "last_reward": self.last_reward,
            "rewards": self.rewards,
            "scale": self.scale,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> MixState:
        data = data or {}
        state = cls()
        state.log_weights.update({k: float(v) for k, v in dict(data.get("log_weights") or {}).items() if k in EXPERTS})
        state.pending = {k: float(v) for k, v in dict(data.get("pending") or {}).items() if k in EXPERTS}
        state.rounds = int(data.get("rounds") or 0)
        reward = data.get("last_reward")
        state.last_reward = float(reward) if reward is not None else None
        state.rewards.update({k: float(v) for k, v in dict(data.get("rewards") or {}).items() if k in EXPERTS})
        state.scale = float(data.get("scale") or 0.0)
        return state


def credit_ratios(propensity: np.ndarray, advice: Mapping[str, np.ndarray]) -> dict[str, float]:
    """EXP4's credit per expert for a batch: the mean over its leads of the expert's advice for the
    lead over the lead's pick probability (1 on average for every expert under the mixture)."""
    p = np.asarray(propensity, dtype=float)
    if len(p) == 0:
        return {}
    return {name: float(np.mean(np.asarray(advice[name], dtype=float) / p)) for name in EXPERTS if name in advice}


def weighted_brier_gain(y: np.ndarray, before: np.ndarray, after: np.ndarray, propensity: np.ndarray) -> float:
    """How much lower the Brier score of ``after`` is than ``before``'s on these leads, each weighted
    by its inverse pick probability (self-normalised): an estimate over the whole pool, in [-1, 1]."""
    y = np.asarray(y, dtype=float)
    if len(y) == 0:
        return 0.0
    w = 1.0 / np.asarray(propensity, dtype=float)
    diff = (np.asarray(before) - y) ** 2 - (np.asarray(after) - y) ** 2
    return float(np.sum(w * diff) / np.sum(w))


def learning_rate(rounds: int) -> float:
    """EXP4's anytime step, sqrt(ln K / (K t)) at update t (K experts)."""
    k = len(EXPERTS)
    return float(np.sqrt(np.log(k) / (k * max(rounds, 1))))


def mix_update(state: MixState, *, reward: float | None, ratios: Mapping[str, float]) -> MixState:
    """Pay ``reward`` (what the pending batch bought; None: nothing measured yet) to the experts by
    the pending batch's credit, then make ``ratios`` (the newest batch's credit) pending."""
    updated = MixState.from_json(state.as_json())
    if reward is not None and updated.pending:
        updated.rounds += 1
        step = learning_rate(updated.rounds)
        reward = float(np.clip(reward, -1.0, 1.0))
        if SCALE_FREE:
            updated.scale += (abs(reward) - updated.scale) / updated.rounds
        unit = updated.scale if SCALE_FREE and updated.scale > 0 else 1.0
        paid = float(np.clip(reward / unit, -1.0, 1.0))
        for name, ratio in updated.pending.items():
            updated.log_weights[name] = updated.log_weights.get(name, 0.0) + step * paid * ratio
            updated.rewards[name] = updated.rewards.get(name, 0.0) + reward * ratio
        updated.last_reward = reward
    updated.pending = dict(ratios)
    return updated


def mix_summary(state: MixState) -> str:
    """The current mix and why, in a sentence (the settings page shows it)."""
    shares = state.shares()
    mix = ", ".join(f"{name} {share:.0%}" for name, share in sorted(shares.items(), key=lambda kv: -kv[1]))
    if state.rounds == 0:
        return f"The rest is shared equally ({mix}): no batch of queue labels has been measured yet."
    best = max(state.rewards, key=lambda name: state.rewards[name])
    return (
        f"The rest is shared {mix} after {state.rounds} measured batches: {best}'s picks bought the most "
        f"(Brier score gain on the next batch, importance-weighted)."
    )
