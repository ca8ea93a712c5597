"""The loop's writes: train a model version, rescore open leads, run the learning loop."""

from __future__ import annotations

import io
import json
import logging
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import joblib
import numpy as np
import pandas as pd
import sklearn
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from learning.core.explain import describe
from learning.core.features import activity_types_of, build_frame
from learning.core.metrics import evaluate
from learning.core.model import LeadScorer, top_factors
from learning.core.rules import score_by_rules
from learning.core.strategies import rank_pool
from learning.models import LoopState, ModelStatus, ModelVersion
from learning.selectors import active_model, loop_settings, loop_state, point_rules, scorer_for

logger = logging.getLogger(__name__)

RESCORE_CHUNK = 20_000
CLAIM_STALE_AFTER = timedelta(minutes=10)
PROMOTION_TOLERANCE = 0.02
GUARD_MIN_LABELS = 20


def feature_frame(*, lead_ids: list[int], as_of: datetime, activity_types: list[str] | None = None) -> pd.DataFrame:
    from leads.selectors import activity_events_frame, lead_profiles_frame

    return build_frame(
        lead_profiles_frame(lead_ids=lead_ids),
        activity_events_frame(lead_ids=lead_ids),
        as_of=as_of,
        activity_types=activity_types,
    )


def _library_versions() -> dict[str, str]:
    from importlib.metadata import version

    import modAL  # noqa: F401  (recorded: the strategies depend on it)

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "modAL-python": version("modAL-python"),
    }


def _out_of_fold(frame: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    folds = int(min(5, np.bincount(y).min()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return cross_val_predict(LeadScorer(), frame, y, cv=splitter, method="predict_proba")[:, 1]


def train_model_version(*, labels_revision: int, now: datetime | None = None) -> ModelVersion | None:
    """Fit on every label; measure on out-of-fold predictions; record and maybe promote.

    Returns None while there are not enough labels of both outcomes (cold start).
    """
    from feedback.selectors import training_labels

    settings = loop_settings()
    labels = training_labels()
    y = np.array([1 if outcome == "converted" else 0 for _, _, outcome in labels], dtype=int)
    if len(labels) == 0 or min(y.sum(), len(y) - y.sum()) < max(settings.min_labels_per_outcome, 2):
        return None
    started = time.perf_counter()
    now = now or timezone.now()
    frame = feature_frame(lead_ids=[lead_id for _, lead_id, _ in labels], as_of=now)
    out_of_fold = _out_of_fold(frame, y)
    metrics = evaluate(y, out_of_fold, threshold=settings.hot_threshold)
    scorer = LeadScorer().fit(frame, y)
    buffer = io.BytesIO()
    joblib.dump(scorer, buffer, compress=3)

    current = active_model()
    label_ids = np.array([label_id for label_id, _, _ in labels])
    promote, note, guard = _promotion_decision(
        current=current, frame=frame, y=y, out_of_fold=out_of_fold, label_ids=label_ids
    )
    if guard:
        metrics["guard"] = guard
    with transaction.atomic():
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
            status=ModelStatus.REJECTED if not promote else ModelStatus.CANDIDATE,
            note=note,
        )
        if promote:
            model_activate(version=version)
    logger.info("model v%s trained on %s labels: %s (%s)", version.version, len(y), metrics, note or "promoted")
    return version


def _promotion_decision(
    *, current: ModelVersion | None, frame: pd.DataFrame, y: np.ndarray, out_of_fold: np.ndarray, label_ids: np.ndarray
) -> tuple[bool, str, dict[str, float]]:
    """Compare candidate and active model on the same labels: the ones the active model never saw.

    The candidate's predictions there are out-of-fold, so neither side has seen the answers.
    Too few such labels to tell (fewer than GUARD_MIN_LABELS, or one outcome missing): promote,
    since the candidate has learned from more.
    """
    if current is None:
        return True, "", {}
    held_out = label_ids > current.last_label_id
    y_held = y[held_out]
    if held_out.sum() < GUARD_MIN_LABELS or min(y_held.sum(), len(y_held) - y_held.sum()) < 3:
        return True, "", {"held_out": int(held_out.sum())}
    active_proba = scorer_for(version=current.version).predict_proba(frame.iloc[np.flatnonzero(held_out)])[:, 1]
    new_auc = float(roc_auc_score(y_held, out_of_fold[held_out]))
    old_auc = float(roc_auc_score(y_held, active_proba))
    guard = {"held_out": int(held_out.sum()), "candidate_auc": new_auc, "active_auc": old_auc}
    if new_auc + PROMOTION_TOLERANCE < old_auc:
        count = int(held_out.sum())
        note = f"ROC AUC {new_auc:.3f} on {count} new labels is below active v{current.version}'s {old_auc:.3f}"
        return False, note, guard
    return True, "", guard


def model_activate(*, version: ModelVersion) -> None:
    """Make ``version`` the active model; rescoring follows."""
    with transaction.atomic():
        ModelVersion.objects.filter(status=ModelStatus.ACTIVE).exclude(pk=version.pk).update(status=ModelStatus.RETIRED)
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelStatus.ACTIVE, note="")
        version.status = ModelStatus.ACTIVE
        rescore_requested()


@dataclass
class RescoreResult:
    leads: int
    model_version: int | None
    scores_version: int
    seconds: float


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def rescore_open_leads(*, now: datetime | None = None) -> RescoreResult:
    """Score every open lead with the active model (or the point rules) and write all scores at once."""
    from leads.selectors import lead_deal_values, open_lead_ids
    from leads.services import ScoreRows, lead_scores_write

    started = time.perf_counter()
    now = now or timezone.now()
    settings = loop_settings()
    model = active_model()
    scorer = scorer_for(version=model.version) if model else None
    rules = None if scorer else point_rules(settings=settings)
    types = activity_types_of(scorer.feature_names_) if scorer else list(rules.activity_points) if rules else None

    ids = open_lead_ids()
    proba_parts: list[np.ndarray] = []
    fit_parts: list[np.ndarray] = []
    behaviour_parts: list[np.ndarray] = []
    contribution_parts: list[np.ndarray] = []  # the queue's diversity compares leads by these
    explanations: list[list[str]] = []
    for start in range(0, len(ids), RESCORE_CHUNK):
        chunk = ids[start : start + RESCORE_CHUNK]
        frame = feature_frame(lead_ids=chunk, as_of=now, activity_types=types)
        if scorer is not None:
            proba, contributions = scorer.score_with_contributions(frame)
            contribution_parts.append(contributions.astype(np.float32))
            behaviour = scorer.behaviour_mask_
            fit_parts.append(100 * _sigmoid(contributions[:, ~behaviour].sum(axis=1)))
            behaviour_parts.append(100 * _sigmoid(contributions[:, behaviour].sum(axis=1)))
            factors = top_factors(frame, scorer.feature_names_, contributions)
            explanations += [[describe(f) for f in row] for row in factors]
        else:
            assert rules is not None
            result = score_by_rules(frame, rules)
            proba = result.probability
            hot = max(rules.hot_points, 1.0)
            fit_parts.append(np.minimum(100.0, 100.0 * result.fit_points / hot))
            behaviour_parts.append(np.minimum(100.0, 100.0 * result.behaviour_points / hot))
            explanations += result.explanations
        proba_parts.append(proba)

    proba = np.concatenate(proba_parts) if proba_parts else np.zeros(0)
    two_class = np.column_stack([1 - proba, proba])
    ranking = rank_pool(
        two_class,
        strategy=settings.strategy,
        exploration=settings.exploration,
        rng=np.random.default_rng(),
        features=np.concatenate(contribution_parts) if contribution_parts else None,
    )
    uncertainty = 1.0 - two_class.max(axis=1) if len(proba) else np.zeros(0)
    deal_values = lead_deal_values(lead_ids=ids)
    expected = [
        None if deal_values.get(lead_id) is None else float(p * deal_values[lead_id] - settings.cost_per_lead)
        for lead_id, p in zip(ids, proba, strict=True)
    ]
    hot = ranking.hot if ranking.hot is not None else np.zeros(len(proba), dtype=bool)
    reasons = [
        "exploration"
        if explored
        else "high score"
        if is_hot
        else ("model unsure" if scorer is not None else "cold start: near the hot threshold")
        for explored, is_hot in zip(ranking.explored, hot, strict=True)
    ]
    rows = ScoreRows(
        lead_ids=ids,
        score=proba.tolist(),
        fit_score=np.concatenate(fit_parts).tolist() if fit_parts else [],
        behavior_score=np.concatenate(behaviour_parts).tolist() if behaviour_parts else [],
        expected_value=expected,
        uncertainty=uncertainty.tolist(),
        priority=ranking.priority().tolist(),
        queue_reason=reasons,
        explanation=[json.dumps(e, ensure_ascii=False) for e in explanations],
        model_version=model.version if model else None,
        scored_at=now,
    )
    with transaction.atomic():
        lead_scores_write(rows=rows)
        LoopState.objects.filter(pk=loop_state().pk).update(
            scores_version=F("scores_version") + 1, scores_updated_at=timezone.now()
        )
    state = loop_state()
    seconds = time.perf_counter() - started
    logger.info("rescored %s open leads in %.2fs (scores v%s)", len(ids), seconds, state.scores_version)
    return RescoreResult(
        leads=len(ids), model_version=rows.model_version, scores_version=state.scores_version, seconds=seconds
    )


def _enqueue_learning() -> None:
    from learning.tasks import learn

    try:
        learn.delay()
    except Exception:  # the broker is down: the database still says what is pending
        logger.warning("could not reach the broker; pending learning waits for the next worker run", exc_info=True)


def labels_changed() -> None:
    """Called in the transaction that adds or removes a label: count it, learn after commit."""
    state = loop_state()
    LoopState.objects.filter(pk=state.pk).update(labels_revision=F("labels_revision") + 1)
    transaction.on_commit(_enqueue_learning)


def rescore_requested() -> None:
    state = loop_state()
    LoopState.objects.filter(pk=state.pk).update(rescore_requested=True)
    transaction.on_commit(_enqueue_learning)


def _claim() -> bool:
    """Take the loop for this worker; a conditional update, so only one worker runs it at a time."""
    now = timezone.now()
    state = loop_state()
    stale = now - CLAIM_STALE_AFTER
    return bool(
        LoopState.objects.filter(pk=state.pk).filter(running_since__isnull=True).update(running_since=now)
        or LoopState.objects.filter(pk=state.pk, running_since__lt=stale).update(running_since=now)
    )


def run_learning_loop(*, max_rounds: int = 10) -> int:
    """Train on new labels and rescore until nothing is pending. Safe to call any number of times:
    a burst of labels leads to one or two trainings, not one per label. Returns rounds run."""
    if not _claim():
        return 0
    rounds = 0
    try:
        while rounds < max_rounds:
            state = loop_state()
            retrain = state.labels_revision > state.trained_revision
            if not retrain and not state.rescore_requested:
                break
            rounds += 1
            if retrain:
                train_model_version(labels_revision=state.labels_revision)
                LoopState.objects.filter(pk=state.pk).update(trained_revision=state.labels_revision)
            # Cleared before rescoring: a request made during the rescore is served next round.
            LoopState.objects.filter(pk=state.pk).update(rescore_requested=False, running_since=timezone.now())
            rescore_open_leads()
    except Exception as exc:
        LoopState.objects.filter(pk=loop_state().pk).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    finally:
        LoopState.objects.filter(pk=loop_state().pk).update(running_since=None)
    state = loop_state()
    if state.labels_revision > state.trained_revision or state.rescore_requested:
        _enqueue_learning()  # work that arrived while this run was finishing
    return rounds
