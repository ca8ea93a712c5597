"""Rates that describe the pool, not the queue's picks: inverse-propensity weights, weighted
shares with their sample size and a Wilson interval. No Django here; feedback and learning share it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_LABELS = 30  # below this many labels a figure is marked "few labels" (or not drawn at all)
Z_95 = 1.959964


def inverse_propensity_weights(propensities: Sequence[float | None]) -> list[float]:
    """One weight per label, so that rates computed from labels describe the whole pool.

    The queue picked a lead with probability ``p`` (Label.propensity): its label stands for
    ``1 / p`` leads like it. A null propensity is a label from outside the queue (imported
    history, the API, the lead page): nobody chose it by its score, so it has weight 1.
    Queue weights are scaled to a mean of 1 over the queue's labels in the set, so each stream
    counts by its number of labels and, within the queue's stream, each label by how unlikely
    its pick was. A propensity of 0 or below cannot come from the queue (every lead has a
    floor) and is treated as missing.
    """
    raw = [1.0 / p if p is not None and p > 0 else None for p in propensities]
    picked = [w for w in raw if w is not None]
    scale = len(picked) / sum(picked) if picked else 1.0
    return [1.0 if w is None else w * scale for w in raw]


@dataclass(frozen=True)
class Rate:
    """A weighted share: ``value`` of the pool, from ``n`` labels (``hits`` of them counted in).

    ``effective_n`` is Kish's effective sample size of the weights; the interval is Wilson's on
    it, so uneven weights widen it. ``enough`` says whether ``n`` reaches MIN_LABELS.
    """

    n: int
    hits: int
    value: float | None
    low: float | None
    high: float | None
    effective_n: float

    @property
    def enough(self) -> bool:
        return self.n >= MIN_LABELS


def clearly_ahead(first: Rate, second: Rate, *, z: float = Z_95) -> bool:
    """Whether ``first`` is a larger share than ``second`` beyond chance, both shares of the same
    weighted total (two reasons among one set of lost deals): the difference of two multinomial
    shares, its variance ``(p1 + p2 - (p1 - p2)^2) / n`` on the effective sample size."""
    if first.value is None or second.value is None or first.effective_n <= 0:
        return False
    difference = first.value - second.value
    variance = (first.value + second.value - difference * difference) / first.effective_n
    return difference > z * math.sqrt(max(variance, 0.0))


def wilson_interval(share: float, n: float, *, z: float = Z_95) -> tuple[float, float]:
    if n <= 0:
        return 0.0, 1.0
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    spread = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


def weighted_rate(hits: Sequence[bool], weights: Sequence[float]) -> Rate:
    """The weighted share of ``hits`` among the labels, with a 95% interval."""
    if len(hits) != len(weights):
        raise ValueError(f"hits and weights differ in length: {len(hits)} != {len(weights)}")
    return rate_from_sums(
        n=len(hits),
        hits=sum(bool(h) for h in hits),
        hit_weight=sum(w for hit, w in zip(hits, weights, strict=True) if hit),
        weight=sum(weights),
        weight2=sum(w * w for w in weights),
    )


def rate_from_sums(*, n: int, hits: int, hit_weight: float, weight: float, weight2: float) -> Rate:
    """A weighted share from sums: ``hit_weight`` of ``weight`` (the weights' sum; ``weight2`` the
    sum of their squares), over ``n`` labels of which ``hits`` are counted in."""
    if n == 0 or weight <= 0:
        return Rate(n=n, hits=hits, value=None, low=None, high=None, effective_n=0.0)
    share = min(1.0, max(0.0, hit_weight / weight))
    effective = weight * weight / weight2 if weight2 > 0 else float(n)
    low, high = wilson_interval(share, effective)
    return Rate(n=n, hits=hits, value=share, low=low, high=high, effective_n=effective)
