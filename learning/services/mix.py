"""Writes of the adaptive queue's mix: what each rescore drew from, and what each training learned.

The rescore records each expert's total weight over the open pool (``queue_mix_record_pool``), so
that when labels come back the training run can tell how much of each label's pick probability
each expert supplied (``queue_mix_learn``) and pay the experts by what the previous batch bought
(``learning.core.mix``). Labels without a propensity (imported history, labels given outside the
queue) play no part.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from django.db import transaction

from feedback.selectors import queue_picks
from learning.core.metrics import weighted_evaluate
from learning.core.mix import MixState, credit_ratios, mix_update, weighted_brier_gain
from learning.core.strategies import EXPERTS, advice, strategy_named
from learning.models import ModelStatus, ModelVersion, QueueMix
from learning.selectors import loop_settings, queue_mix, scorer_for

logger = logging.getLogger(__name__)


def queue_mix_shares() -> dict[str, float]:
    """The experts' current shares of the adaptive queue."""
    return MixState.from_json(queue_mix().state).shares()


def queue_mix_record_pool(*, totals: Mapping[str, float], pool: int, exploration: float) -> None:
    """What this rescore's distribution was made of: each expert's total weight over the pool, its size."""
    QueueMix.objects.update_or_create(pk=1, defaults={"totals": dict(totals), "pool": pool, "exploration": exploration})


def queue_mix_learn(
    *, frame: pd.DataFrame, y: np.ndarray, label_ids: np.ndarray, current: ModelVersion | None
) -> QueueMix:
    """One step of the mix after a training run on ``frame``/``y`` (rows in ``label_ids`` order).

    The queue labels that arrived since the last step are an importance-weighted sample of the pool:
    they score the active model (trained with the previous batch) against the model before it, and
    that Brier gain pays the previous batch's experts; then their own credit becomes pending.
    """
    with transaction.atomic():
        QueueMix.objects.get_or_create(pk=1)
        mix = QueueMix.objects.select_for_update().get(pk=1)
        if strategy_named(loop_settings().strategy).weigh is not None:  # one strategy alone: nothing mixed to learn
            mix.state = {**mix.state, "pending": {}}
            mix.last_label_id = max(mix.last_label_id, int(label_ids.max(initial=0)))
            mix.save(update_fields=["state", "last_label_id", "updated_at"])
            return mix
        rows, propensity, seen = _picked_rows(label_ids, queue_picks(after_id=mix.last_label_id))
        if len(rows) == 0:
            return mix
        state = MixState.from_json(mix.state)
        reward = _reward(frame.iloc[rows], y[rows], propensity, current=current, paid_for=mix.model_version)
        ratios = _ratios(seen, propensity, totals=mix.totals, pool=mix.pool)
        state = mix_update(state, reward=reward, ratios=ratios)
        mix.state = state.as_json()
        mix.last_label_id = int(label_ids.max())
        mix.model_version = current.version if current else None
        mix.save(update_fields=["state", "last_label_id", "model_version", "updated_at"])
    logger.info("queue mix after %s labels: %s (reward %s)", len(rows), state.shares(), reward)
    return mix


def _reward(
    frame: pd.DataFrame, y: np.ndarray, propensity: np.ndarray, *, current: ModelVersion | None, paid_for: int | None
) -> float | None:
    """The active model's Brier gain over the model it replaced, on these labels (None when there is
    no earlier model, or the active one was already paid for)."""
    if current is None or current.version == paid_for:
        return None
    earlier = (
        ModelVersion.objects.filter(version__lt=current.version)
        .exclude(status__in=[ModelStatus.REJECTED, ModelStatus.CANDIDATE])
        .order_by("-version")
        .first()
    )
    if earlier is None:
        return None
    before = scorer_for(version=earlier.version).predict_proba(frame)[:, 1]
    after = scorer_for(version=current.version).predict_proba(frame)[:, 1]
    return weighted_brier_gain(y, before, after, propensity)


def _ratios(seen: np.ndarray, propensity: np.ndarray, *, totals: Mapping[str, float], pool: int) -> dict[str, float]:
    """Each expert's credit for these labels: its advice for the score the rep saw over the pick
    probability (NaN scores, from before any scoring, count as the pool's average)."""
    if not totals or pool == 0 or not all(name in totals for name in EXPERTS):
        return {}
    p = np.where(np.isnan(seen), 0.5, seen)
    proba = np.column_stack([1 - p, p])
    advised = {name: advice(proba, name, total=float(totals[name])) for name in EXPERTS}
    advised["random"] = np.full(len(p), 1.0 / pool)
    return credit_ratios(propensity, advised)


def queue_label_metrics(
    *, y: np.ndarray, out_of_fold: np.ndarray, label_ids: np.ndarray, threshold: float
) -> dict[str, float]:
    """Out-of-fold quality on the labels the queue picked, importance-weighted by their propensities
    (``weighted_evaluate``): the model's quality on the pool, with the labels and effective labels behind it."""
    rows, propensity, _seen = _picked_rows(label_ids, queue_picks())
    return weighted_evaluate(y[rows], out_of_fold[rows], propensity=propensity, threshold=threshold)


def _picked_rows(
    label_ids: np.ndarray, picks: Mapping[int, tuple[float, float | None]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions in ``label_ids`` of the queue's picks, with their propensities and seen scores."""
    ids = np.fromiter(picks, dtype=np.int64, count=len(picks))
    rows = np.flatnonzero(np.isin(label_ids, ids))
    values = [picks[int(label_id)] for label_id in label_ids[rows]]
    propensity = np.array([value[0] for value in values], dtype=float)
    seen = np.array([np.nan if value[1] is None else value[1] for value in values], dtype=float)
    return rows, propensity, seen
