"""Training: fit a model version on every label, the promotion guard, an admin's pin, activating a version."""

from __future__ import annotations

import io
import logging
import platform
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import version as package_version
from typing import Any

import joblib
import modAL  # noqa: F401  (recorded: the strategies depend on it)
import numpy as np
import pandas as pd
import sklearn
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from sklearn.metrics import roc_auc_score

from feedback.selectors import label_whys, training_labels
from learning.core.importance import TRAIN_WEIGHTS, label_weights
from learning.core.metrics import evaluate, weighted_evaluate
from learning.core.model import LeadScorer
from learning.core.paired import paired_difference_se
from learning.core.rationales import MARKED, Why
from learning.models import LoopSettings, ModelStatus, ModelVersion
from learning.quarantine import readable_features
from learning.selectors import active_model, loop_settings, scorer_for
from learning.services.mix import queue_mix_learn, queue_pick_rows
from learning.services.workers import fault_pause, rescore_requested

logger = logging.getLogger(__name__)

PROMOTION_TOLERANCE = 0.02
GUARD_MIN_LABELS = 20


def _library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "modAL-python": package_version("modAL-python"),
    }


def _held_out(scorer: LeadScorer, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each label's held-out P(convert), with the whys and without them (the ablation), from the
    scorer's own folds: no label is predicted by a model that saw it, and no extra fit is needed."""
    return scorer.held_out_proba(y), scorer.held_out_proba(y, whys=False)


def _label_whys(label_ids: Sequence[int]) -> tuple[list[tuple[Why, ...]], dict[str, int]]:
    """Each label's whys, in ``label_ids``' order: its reason's fields (trusted per reason code) and
    the fields the rep marked (trusted together, as ``MARKED``); and how many labels give each reason
    (with fields or not) and how many marked fields: the n behind each trust the dashboards show."""
    stored = label_whys(label_ids=label_ids)
    counts = Counter(code for code, _, _ in stored.values() if code)
    counts[MARKED] = sum(1 for _, _, marked in stored.values() if marked)
    whys = []
    for label_id in label_ids:
        code, reason_fields, marked = stored.get(label_id, (None, [], []))
        row = []
        if code and reason_fields:
            row.append(Why(key=code, fields=tuple(reason_fields)))
        if marked:
            row.append(Why(key=MARKED, fields=tuple(marked)))
        whys.append(tuple(row))
    return whys, dict(counts)


def _why_metrics(
    scorer: LeadScorer, y: np.ndarray, out_of_fold: np.ndarray, plain: np.ndarray, *, threshold: float
) -> dict[str, Any]:
    """What the whys bought: the held-out metrics without them (the ablation fit), the standard error
    of each metric's difference with - without (paired: the same labels held out for both), the trust
    each reason earned and the weight each field carries in the fitted scorer."""
    return {
        "without_reasons": evaluate(y, plain, threshold=threshold),
        "reasons_difference_se": paired_difference_se(y, out_of_fold, plain, threshold=threshold),
        "reason_trust": dict(scorer.reason_trust_),
        "field_weights": dict(scorer.field_weights_),
        "reason_strength": scorer.why_strength_,
    }


def train_model_version(*, labels_revision: int, now: datetime | None = None) -> ModelVersion | None:
    """Fit on every label; measure on out-of-fold predictions; record and maybe promote.

    Returns None while there are not enough labels of both outcomes (cold start).
    """
    settings = loop_settings()
    labels = training_labels()
    y = np.array([1 if outcome == "converted" else 0 for _, _, outcome in labels], dtype=int)
    if len(labels) == 0 or min(y.sum(), len(y) - y.sum()) < max(settings.min_labels_per_outcome, 2):
        return None
    started = time.perf_counter()
    now = now or timezone.now()
    lead_ids = np.array([lead_id for _, lead_id, _ in labels], dtype=np.int64)
    frame = readable_features(lead_ids=lead_ids, as_of=now)
    readable = np.isin(lead_ids, frame.index.to_numpy())  # a quarantined lead teaches nothing
    labels = [label for label, keep in zip(labels, readable, strict=True) if keep]
    y = y[readable]
    if min(y.sum(), len(y) - y.sum()) < max(settings.min_labels_per_outcome, 2):
        return None
    label_ids = np.array([label_id for label_id, _, _ in labels])
    whys, reason_labels = _label_whys(label_ids.tolist())
    picks, propensity = queue_pick_rows(label_ids)
    weights = label_weights(len(y), picks, propensity, TRAIN_WEIGHTS)
    scorer = LeadScorer().fit(frame, y, whys=whys, sample_weight=weights)
    out_of_fold, without = _held_out(scorer, y)
    metrics: dict[str, Any] = {**evaluate(y, out_of_fold, threshold=settings.hot_threshold)}
    metrics["train_weights"] = TRAIN_WEIGHTS if weights is not None else 0.0
    # Out-of-fold quality on the queue's picks, importance-weighted: the model's quality on the pool.
    metrics["weighted"] = weighted_evaluate(
        y[picks], out_of_fold[picks], propensity=propensity, threshold=settings.hot_threshold
    )
    metrics.update(_why_metrics(scorer, y, out_of_fold, without, threshold=settings.hot_threshold))
    metrics["reason_labels"] = reason_labels
    fault_pause("train")  # tests kill the worker here: no version is recorded, the labels stay pending
    buffer = io.BytesIO()
    joblib.dump(scorer, buffer, compress=3)

    current = active_model()
    queue_mix_learn(frame=frame, y=y, label_ids=label_ids, scorer=scorer)
    promote, note, guard = _promotion_decision(
        current=current, frame=frame, y=y, out_of_fold=out_of_fold, label_ids=label_ids
    )
    if guard:
        metrics["guard"] = guard
    with transaction.atomic():
        pinned = _pinned_version() if promote else None
        if pinned is not None:  # it passed the guard, but an admin pinned a version by hand
            note = _held_back_note(pinned=pinned, guard=guard)
        last = ModelVersion.objects.select_for_update().order_by("-version").first()
        version = ModelVersion.objects.create(
            version=(last.version + 1) if last else 1,
            estimator=type(scorer).__name__,
            labels=len(y),
            positives=int(y.sum()),
            labels_revision=labels_revision,
            last_label_id=int(label_ids.max()),
            metrics=metrics,
            features=list(scorer.feature_names_),
            library_versions=_library_versions(),
            artifact=buffer.getvalue(),
            train_seconds=time.perf_counter() - started,
            status=ModelStatus.CANDIDATE if promote else ModelStatus.REJECTED,
            note=note,
        )
        if promote and pinned is None:
            model_activate(version=version)
    logger.info("model v%s trained on %s labels: %s (%s)", version.version, len(y), metrics, note or "promoted")
    return version


def _promotion_decision(
    *, current: ModelVersion | None, frame: pd.DataFrame, y: np.ndarray, out_of_fold: np.ndarray, label_ids: np.ndarray
) -> tuple[bool, str, dict[str, float]]:
    """Compare the candidate with the guard's reference (``guard_reference``: the active model, or
    the last version checked before it) on the same labels: the ones the reference never saw.

    The candidate's predictions there are out-of-fold, so neither side has seen the answers.
    Too few such labels to tell (fewer than GUARD_MIN_LABELS, or one outcome missing): promote,
    since the candidate has learned from more; the reference stays, so the next candidates are
    checked against it once enough labels have come.
    """
    active, current = current, guard_reference(current)
    if current is None:
        return True, "", {}
    held_out = label_ids > current.last_label_id
    y_held = y[held_out]
    if held_out.sum() < GUARD_MIN_LABELS or min(y_held.sum(), len(y_held) - y_held.sum()) < 3:
        return True, "", {"held_out": int(held_out.sum())}
    active_proba = scorer_for(version=current.version).predict_proba(frame.iloc[np.flatnonzero(held_out)])[:, 1]
    new_auc = float(roc_auc_score(y_held, out_of_fold[held_out]))
    old_auc = float(roc_auc_score(y_held, active_proba))
    guard = {
        "held_out": int(held_out.sum()),
        "candidate_auc": new_auc,
        "active_auc": old_auc,
        "active_version": current.version,
    }
    if new_auc + PROMOTION_TOLERANCE < old_auc:
        count = int(held_out.sum())
        note = f"ROC AUC {new_auc:.3f} on {count} new labels is below active v{current.version}'s {old_auc:.3f}"
        if active is not None and active.pk != current.pk:
            note = (
                f"ROC AUC {new_auc:.3f} on {count} new labels is below v{current.version}'s {old_auc:.3f}, the last "
                f"version checked (v{active.version} and those before it went live on too few new labels to compare)"
            )
        return False, note, guard
    return True, "", guard


def guard_reference(active: ModelVersion | None) -> ModelVersion | None:
    """The version a candidate is judged against: the active one, unless it went live unchecked
    (promoted with too few labels since its own reference to compare on, as when every label
    retrains); then the newest version up to it that went live checked, or with nothing to check
    against (the first). So versions trained a label apart cannot pass the guard one by one: once
    GUARD_MIN_LABELS labels have come since the last checked version, each candidate meets it."""
    if active is None:
        return None
    checked = Q(metrics__guard__has_key="candidate_auc") | ~Q(metrics__has_key="guard")
    live = ModelVersion.objects.filter(
        version__lte=active.version, status__in=[ModelStatus.ACTIVE, ModelStatus.RETIRED]
    )
    return live.filter(checked).order_by("-version").first() or active


def _pinned_version() -> int | None:
    """The version an admin pinned, if any. Read under the settings row's lock, the lock an admin's
    promote takes too: a pin set while this version trained holds, and is never overridden."""
    # get_or_create as the promote does, so a missing row is created under the lock, never read around it.
    pinned_id = LoopSettings.objects.select_for_update().get_or_create(pk=1)[0].pinned_version_id
    if pinned_id is None:
        return None
    return ModelVersion.objects.filter(pk=pinned_id).values_list("version", flat=True).first()


def _held_back_note(*, pinned: int, guard: dict[str, float]) -> str:
    """Why a version that passed the guard is not active: an admin pinned another."""
    if "candidate_auc" in guard:
        count = int(guard["held_out"])
        against = int(guard.get("active_version", pinned))  # the version active when training began
        measured = f"ROC AUC {guard['candidate_auc']:.3f} on {count} new labels, v{against}'s {guard['active_auc']:.3f}"
        return f"passed the guard ({measured}); not promoted while v{pinned} is pinned"
    return f"not promoted while v{pinned} is pinned"


def model_activate(*, version: ModelVersion) -> None:
    """Make ``version`` the active model; rescoring follows."""
    with transaction.atomic():
        ModelVersion.objects.filter(status=ModelStatus.ACTIVE).exclude(pk=version.pk).update(status=ModelStatus.RETIRED)
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelStatus.ACTIVE, note="")
        version.status = ModelStatus.ACTIVE
        rescore_requested()
