"""Writes of the adaptive queue's mix: what each rescore drew from, and what each training learned.

The rescore records each expert's total weight over the open pool (``queue_mix_record_pool``), so
that when labels come back the training run can tell how each expert would have weighted each
label (``queue_mix_learn``) and score every expert on what the previous batch, so weighted, would
have bought (``learning.core.mix``). Labels without a propensity (imported history, labels given
outside the queue) play no part.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction

from feedback.selectors import queue_picks
from learning.core.mix import MIN_BATCH, MixState, counterfactual_gains, draw_ratios, mix_update
from learning.core.model import LeadScorer
from learning.core.strategies import EXPERTS, advice, strategy_named
from learning.models import QueueMix
from learning.selectors import loop_settings, queue_mix

logger = logging.getLogger(__name__)


def queue_mix_shares() -> dict[str, float]:
    """The experts' current shares of the adaptive queue."""
    return MixState.from_json(queue_mix().state).shares()


def queue_mix_record_pool(*, totals: Mapping[str, float], pool: int, exploration: float) -> None:
    """What this rescore's distribution was made of: each expert's total weight over the pool, its size."""
    QueueMix.objects.update_or_create(pk=1, defaults={"totals": dict(totals), "pool": pool, "exploration": exploration})


def queue_mix_learn(*, frame: pd.DataFrame, y: np.ndarray, label_ids: np.ndarray, scorer: LeadScorer) -> QueueMix:
    """One step of the mix after a training run on ``frame``/``y`` (rows in ``label_ids`` order) that
    fitted ``scorer``.

    The queue labels that arrived since the last step are an importance-weighted sample of the pool:
    they score, for every expert, a refit with the previous batch reweighted as that expert's draw
    against the fit without it (``learning.core.mix``), and those gains move the shares; then the new
    labels become the pending batch. Until ``MIN_BATCH`` queue labels have arrived (the backtest's
    batch), nothing moves: the labels wait for the next run.
    """
    mix = QueueMix.objects.get_or_create(pk=1)[0]
    if strategy_named(loop_settings().strategy).weigh is not None:  # one strategy alone: nothing mixed to learn
        with transaction.atomic():
            mix = QueueMix.objects.select_for_update().get(pk=1)
            mix.state = {**mix.state, "pending": {}}
            mix.last_label_id = max(mix.last_label_id, int(label_ids.max(initial=0)))
            mix.save(update_fields=["state", "last_label_id", "updated_at"])
        return mix
    # Read without a lock, so the refits below hold no row lock (a rescore recording its pool after a
    # claim takeover need not wait for them); the step is written only if the mix did not change meanwhile.
    rows, propensity, seen = _picked_rows(label_ids, queue_picks(after_id=mix.last_label_id))
    if len(rows) < MIN_BATCH:  # too few to tell the experts apart: they wait for the next run
        return mix
    state = MixState.from_json(mix.state)
    gains = _gains(frame, y, label_ids, rows, propensity, pending=state.pending, scorer=scorer)
    ratios = _ratios(seen, propensity, totals=mix.totals, pool=mix.pool)
    pending = {"labels": label_ids[rows].tolist(), "ratios": {k: v.tolist() for k, v in ratios.items()}}
    state = mix_update(state, gains=gains, pending=pending if ratios else {})
    with transaction.atomic():
        current = QueueMix.objects.select_for_update().get(pk=1)
        if (current.last_label_id, current.state) != (mix.last_label_id, mix.state):
            logger.info("queue mix changed while this step was computed (another run, or the strategy): dropped")
            return current
        current.state = state.as_json()
        current.last_label_id = int(label_ids.max())
        current.save(update_fields=["state", "last_label_id", "updated_at"])
    logger.info("queue mix after %s labels: %s (gains %s)", len(rows), state.shares(), gains)
    return current


def _gains(
    frame: pd.DataFrame,
    y: np.ndarray,
    label_ids: np.ndarray,
    rows: np.ndarray,
    propensity: np.ndarray,
    *,
    pending: Mapping[str, Any],
    scorer: LeadScorer,
) -> dict[str, float] | None:
    """What the pending batch would have bought under each expert, scored on the new queue labels
    (``rows``); None when there is no pending batch or none of its labels is still here (undone)."""
    pending_ids = np.asarray(pending.get("labels") or [], dtype=np.int64)
    ratios = {name: np.asarray(values, dtype=float) for name, values in dict(pending.get("ratios") or {}).items()}
    if len(pending_ids) == 0 or set(ratios) != set(EXPERTS):
        return None
    found = pd.Index(label_ids).get_indexer(pending_ids)  # -1: the label is gone (undone)
    kept = found >= 0
    if not kept.any():
        return None
    batch = found[kept].astype(np.int64)
    before = np.setdiff1d(np.arange(len(label_ids)), np.concatenate([batch, rows]))
    return counterfactual_gains(
        scorer.design(frame),
        y,
        before=before,
        batch=batch,
        ratios={name: ratio[kept] for name, ratio in ratios.items()},
        validation=rows,
        validation_propensity=propensity,
        estimator=scorer.regression(len(y)),
    )


def _ratios(
    seen: np.ndarray, propensity: np.ndarray, *, totals: Mapping[str, float], pool: int
) -> dict[str, np.ndarray]:
    """Each expert's importance weight for these labels: its advice for the score the rep saw over
    the pick probability (NaN scores, from before any scoring, count as the pool's average)."""
    if not totals or pool == 0 or not all(name in totals for name in EXPERTS):
        return {}
    p = np.where(np.isnan(seen), 0.5, seen)
    proba = np.column_stack([1 - p, p])
    advised = {name: advice(proba, name, total=float(totals[name])) for name in EXPERTS}
    advised["random"] = np.full(len(p), 1.0 / pool)
    return draw_ratios(propensity, advised)


def queue_pick_rows(label_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions in ``label_ids`` of the labels the queue picked, and their propensities (read once
    per training run: they weigh the picks in the fit and in the quality figures, ``weighted_evaluate``)."""
    rows, propensity, _seen = _picked_rows(label_ids, queue_picks())
    return rows, propensity


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
