"""The loop's writes: train a model version, rescore open leads, run the learning loop."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import platform
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from leads.models import Lead
from learning.core.explain import describe
from learning.core.features import activity_types_of, build_frame
from learning.core.metrics import evaluate
from learning.core.model import LeadScorer, top_factors
from learning.core.rules import PointRules, score_by_rules
from learning.core.strategies import rank_pool
from learning.models import (
    SETTINGS_FIELDS,
    DeliveryStatus,
    LoopSettings,
    LoopState,
    ModelStatus,
    ModelVersion,
    NextAction,
    PointRule,
    WebhookDelivery,
    WebhookEndpoint,
)
from learning.selectors import active_model, loop_settings, loop_state, point_rules, scorer_for

logger = logging.getLogger(__name__)

RESCORE_CHUNK = 50_000
EXPLAIN_HEAD = 2_000  # leads explained at rescore: the queue's head
# A worker beats every HEARTBEAT_EVERY while it runs the loop; a claim without a beat for
# HEARTBEAT_STALE_AFTER belongs to a dead worker (a live one is never that late).
HEARTBEAT_EVERY = timedelta(seconds=float(os.environ.get("LEADLOOP_HEARTBEAT_SECONDS", "10")))
HEARTBEAT_STALE_AFTER = 6 * HEARTBEAT_EVERY
PROMOTION_TOLERANCE = 0.02
GUARD_MIN_LABELS = 20


def feature_frame(*, lead_ids: Sequence[int], as_of: datetime, activity_types: list[str] | None = None) -> pd.DataFrame:
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
    fault_pause("train")  # tests kill the worker here: no version is recorded, the labels stay pending
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


def score_frame(
    frame: pd.DataFrame, *, scorer: LeadScorer | None, rules: PointRules | None, explain: bool = True
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """P(convert), fit and behaviour scores and, with ``explain``, the explanation (JSON text) per
    row; and the model's per-column contributions (None under the cold-start rules)."""
    if scorer is not None:
        proba, contributions = scorer.score_with_contributions(frame)
        behaviour = scorer.behaviour_mask_
        scored = pd.DataFrame(
            {
                "score": proba,
                "fit_score": 100 * _sigmoid(contributions[:, ~behaviour].sum(axis=1)),
                "behavior_score": 100 * _sigmoid(contributions[:, behaviour].sum(axis=1)),
                "explanation": None,
            },
            index=frame.index,
        )
        if explain:
            factors = top_factors(frame, scorer.feature_names_, contributions)
            scored["explanation"] = [json.dumps([describe(f) for f in row], ensure_ascii=False) for row in factors]
        return scored, contributions
    assert rules is not None
    result = score_by_rules(frame, rules)
    hot = max(rules.hot_points, 1.0)
    scored = pd.DataFrame(
        {
            "score": result.probability,
            "fit_score": np.minimum(100.0, 100.0 * result.fit_points / hot),
            "behavior_score": np.minimum(100.0, 100.0 * result.behaviour_points / hot),
            "explanation": [json.dumps(lines, ensure_ascii=False) for lines in result.explanations],
        },
        index=frame.index,
    )
    return scored, None


def _scoring_inputs() -> tuple[ModelVersion | None, LeadScorer | None, PointRules | None, list[str] | None]:
    model = active_model()
    scorer = scorer_for(version=model.version) if model else None
    rules = None if scorer else point_rules()
    types = activity_types_of(scorer.feature_names_) if scorer else list(rules.activity_points) if rules else None
    return model, scorer, rules, types


def rescore_open_leads(*, now: datetime | None = None) -> RescoreResult:
    """Score every open lead with the active model (or the point rules) and write all scores in one
    transaction, so readers see the old scores or the new ones, never a mix.

    Explanations cost far more than scores (sentences per lead), so they are written now for the
    head of the queue, the leads reps see next; any other lead gets its explanation on first read
    (``lead_explanation``).
    """
    from leads.selectors import open_lead_ids, open_lead_keys_and_scores
    from leads.services import lead_scores_write

    started = time.perf_counter()
    now = now or timezone.now()
    settings = loop_settings()
    model, scorer, rules, types = _scoring_inputs()

    ids = open_lead_ids()
    parts: list[pd.DataFrame] = []
    contribution_parts: list[np.ndarray] = []  # the queue's diversity compares leads by these
    for start in range(0, len(ids), RESCORE_CHUNK):
        frame = feature_frame(lead_ids=ids[start : start + RESCORE_CHUNK], as_of=now, activity_types=types)
        scored, contributions = score_frame(frame, scorer=scorer, rules=rules, explain=False)
        scored["expected_value"] = scored["score"] * frame["deal_value"].astype(float) - settings.cost_per_lead
        parts.append(scored)
        if contributions is not None:
            contribution_parts.append(contributions.astype(np.float32))
    scores = pd.concat(parts) if parts else pd.DataFrame(columns=["score", "explanation"])
    proba = scores["score"].to_numpy(dtype=float)
    two_class = np.column_stack([1 - proba, proba])
    ranking = rank_pool(
        two_class,
        strategy=settings.strategy,
        exploration=settings.exploration,
        rng=np.random.default_rng(),
        features=np.concatenate(contribution_parts) if contribution_parts else None,
    )
    scores["uncertainty"] = 1.0 - two_class.max(axis=1) if len(proba) else []
    scores["priority"] = ranking.priority()
    label = "model unsure" if scorer is not None else "cold start: near the hot threshold"
    hot = ranking.hot if ranking.hot is not None else np.zeros(len(proba), dtype=bool)
    scores["queue_reason"] = np.where(ranking.explored, "exploration", np.where(hot, "high score", label))
    if scorer is not None and len(ids):
        head = ids[ranking.order[:EXPLAIN_HEAD]]
        frame = feature_frame(lead_ids=head, as_of=now, activity_types=types)
        scores.loc[head, "explanation"] = score_frame(frame, scorer=scorer, rules=None)[0]["explanation"]
    before = open_lead_keys_and_scores() if WebhookEndpoint.objects.filter(pk=1, active=True).exists() else None
    version = model.version if model else None
    with transaction.atomic():
        lead_scores_write(scores=scores, model_version=version, scored_at=now)
        fault_pause("rescore")  # tests kill the worker here: the transaction must roll back whole
        LoopState.objects.filter(pk=loop_state().pk).update(
            scores_version=F("scores_version") + 1, scores_updated_at=timezone.now()
        )
        state = loop_state()
        if before is not None:
            _webhook_deliveries_create(
                scores=scores, before=before, model_version=version, scored_at=now, scores_version=state.scores_version
            )
    seconds = time.perf_counter() - started
    logger.info("rescored %s open leads in %.2fs (scores v%s)", len(ids), seconds, state.scores_version)
    return RescoreResult(
        leads=len(ids),
        model_version=model.version if model else None,
        scores_version=state.scores_version,
        seconds=seconds,
    )


def ensure_explanations(*, leads: Sequence[Lead]) -> None:
    """Fill in the explanation of leads rescoring left unexplained (everything past the queue's head)."""
    for lead in leads:
        if lead.explanation is None and lead.model_version is not None:
            lead.explanation = lead_explanation(lead_id=lead.pk, model_version=lead.model_version)


def lead_explanation(*, lead_id: int, model_version: int | None) -> list[str]:
    """The lead's explanation under the active model, computed and stored on first read."""
    from leads.services import lead_explanation_store

    model, scorer, rules, types = _scoring_inputs()
    if model is None or model.version != model_version or scorer is None:
        return []
    frame = feature_frame(lead_ids=[lead_id], as_of=timezone.now(), activity_types=types)
    lines = json.loads(score_frame(frame, scorer=scorer, rules=rules)[0]["explanation"].iloc[0])
    lead_explanation_store(lead_id=lead_id, model_version=model_version, explanation=lines)
    return lines


def _enqueue_learning() -> None:
    from learning.tasks import learn

    try:
        learn.delay()
    except Exception:  # the broker is down: the database still says what is pending
        logger.warning("could not reach the broker; pending learning waits for the next worker run", exc_info=True)


def labels_changed() -> None:
    """Called in the transaction that adds or removes a label: count it, learn after commit."""
    state = loop_state()
    LoopState.objects.filter(pk=state.pk).update(
        labels_revision=F("labels_revision") + 1, pending_since=Coalesce(F("pending_since"), Value(timezone.now()))
    )
    transaction.on_commit(_enqueue_learning)


def rescore_requested() -> None:
    state = loop_state()
    LoopState.objects.filter(pk=state.pk).update(rescore_requested=True)
    transaction.on_commit(_enqueue_learning)


def fault_pause(stage: str) -> None:
    """Fault-injection hook for the reliability tests: ``LEADLOOP_FAULT_PAUSE=rescore:30`` makes this
    process sleep 30 s at that point of the loop, so a test can kill it there. Unset in production."""
    spec = os.environ.get("LEADLOOP_FAULT_PAUSE", "")
    if not spec:
        return
    name, _, seconds = spec.partition(":")
    if name == stage:
        logger.warning("fault pause: %s for %ss (LEADLOOP_FAULT_PAUSE)", stage, seconds)
        time.sleep(float(seconds or 30))


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claimant_is_dead(claimed_by: str) -> bool:
    """True when the claim was made on this host by a process that no longer exists."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only its heartbeat tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _claim() -> bool:
    """Take the loop for this worker; a conditional update, so only one worker runs it at a time.

    A claim is taken over when its worker stopped beating (HEARTBEAT_STALE_AFTER), or at once
    when that worker ran on this machine and its process is gone (a SIGKILL, an OOM kill).
    """
    now = timezone.now()
    state = loop_state()
    mine: dict[str, Any] = {"running_since": now, "heartbeat_at": now, "claimed_by": _worker_id()}
    # A dead worker may have cleared rescore_requested and died before its scores committed.
    takeover = {**mine, "rescore_requested": True}
    free = LoopState.objects.filter(pk=state.pk)
    if free.filter(running_since__isnull=True).update(**mine):
        return True
    stale = free.filter(running_since__isnull=False).filter(
        Q(heartbeat_at__lt=now - HEARTBEAT_STALE_AFTER)
        | Q(heartbeat_at__isnull=True, running_since__lt=now - HEARTBEAT_STALE_AFTER)
    )
    if stale.update(**takeover):
        logger.warning("took over the learning loop from %s (no heartbeat)", state.claimed_by or "a silent worker")
        return True
    # Conditional on the same claimant, so two workers noticing the death do not both take it.
    if (
        state.running_since is not None
        and state.claimed_by
        and _claimant_is_dead(state.claimed_by)
        and free.filter(claimed_by=state.claimed_by, running_since=state.running_since).update(**takeover)
    ):
        logger.warning("took over the learning loop from %s (process gone)", state.claimed_by)
        return True
    return False


class _Heartbeat:
    """Beats every HEARTBEAT_EVERY while the loop runs, from a thread with its own connection,
    so a long training or rescore is not mistaken for a dead worker."""

    def __init__(self, state_pk: int) -> None:
        self.state_pk = state_pk
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="leadloop-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.wait(HEARTBEAT_EVERY.total_seconds()):
                try:
                    LoopState.objects.filter(pk=self.state_pk, claimed_by=_worker_id()).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:  # the database is away for a moment: beat again next time
                    logger.warning("heartbeat failed", exc_info=True)
        finally:
            connection.close()


def retrain_due(*, state: LoopState, settings: LoopSettings, now: datetime) -> bool:
    """The admin's retrain trigger: N labels waiting, or any label waiting for M minutes."""
    waiting = state.labels_revision - state.trained_revision
    if waiting <= 0:
        return False
    if waiting >= max(settings.retrain_every_labels, 1):
        return True
    minutes = settings.retrain_every_minutes
    return bool(minutes) and state.pending_since is not None and now - state.pending_since >= timedelta(minutes=minutes)


def _work_due(state: LoopState) -> bool:
    return state.rescore_requested or retrain_due(state=state, settings=loop_settings(), now=timezone.now())


def run_learning_loop(*, max_rounds: int = 10) -> int:
    """Train on new labels and rescore until nothing is pending. Safe to call any number of times:
    a burst of labels leads to one or two trainings, not one per label. Returns rounds run."""
    if not _claim():
        return 0
    rounds = 0
    try:
        with _heartbeat():
            rounds = _loop_rounds(max_rounds)
    except Exception as exc:
        LoopState.objects.filter(pk=loop_state().pk).update(last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    finally:
        LoopState.objects.filter(pk=loop_state().pk).update(running_since=None, heartbeat_at=None, claimed_by="")
    if _work_due(loop_state()):
        _enqueue_learning()  # work that arrived while this run was finishing
    return rounds


def _heartbeat() -> contextlib.AbstractContextManager[Any]:
    from django.db import connection

    if connection.in_atomic_block:
        # Called inside a caller's transaction (tests, a shell): nobody else sees the claim anyway,
        # and a second connection would wait on this one's locks.
        return contextlib.nullcontext()
    return _Heartbeat(loop_state().pk)


def _loop_rounds(max_rounds: int) -> int:
    rounds = 0
    while rounds < max_rounds:
        state = loop_state()
        retrain = retrain_due(state=state, settings=loop_settings(), now=timezone.now())
        if not retrain and not state.rescore_requested:
            break
        rounds += 1
        if retrain:
            revision = state.labels_revision
            train_model_version(labels_revision=revision)
            # Labels that arrived during training keep waiting, from now.
            LoopState.objects.filter(pk=state.pk).update(
                trained_revision=revision,
                pending_since=Case(When(labels_revision__gt=revision, then=Value(timezone.now())), default=None),
            )
        # Cleared before rescoring: a request made during the rescore is served next round.
        LoopState.objects.filter(pk=state.pk).update(rescore_requested=False, running_since=timezone.now())
        rescore_open_leads()
    return rounds


# --- Admin changes, each one audited ----------------------------------------------------------


def loop_settings_update(*, user: AbstractBaseUser, changes: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Save the admin's settings, record who changed what from what to what, rescore. Returns the diff."""
    from config.audit import audit_record, changed_fields

    with transaction.atomic():
        settings = LoopSettings.objects.select_for_update().get(pk=loop_settings().pk)
        before = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
        after = {name: changes[name] for name in SETTINGS_FIELDS if name in changes}
        diff = changed_fields(before, after)
        if not diff:
            return {}
        for name, (_, value) in diff.items():
            setattr(settings, name, value)
        settings.updated_by = user if user.is_authenticated else None
        settings.save()
        audit_record(user=user, action="settings.update", target="loop settings", changes=diff)
        rescore_requested()
    return diff


def point_rule_save(*, user: AbstractBaseUser, kind: str, field: str, value: str, points: float) -> PointRule:
    from config.audit import audit_record

    with transaction.atomic():
        existing = PointRule.objects.filter(kind=kind, field=field, value=value).first()
        rule, _ = PointRule.objects.update_or_create(kind=kind, field=field, value=value, defaults={"points": points})
        audit_record(
            user=user,
            action="rule.save",
            target=f"rule {rule}",
            changes={"points": [existing.points if existing else None, points]},
        )
        rescore_requested()
    return rule


def point_rule_delete(*, user: AbstractBaseUser, rule: PointRule) -> None:
    from config.audit import audit_record

    with transaction.atomic():
        audit_record(user=user, action="rule.delete", target=f"rule {rule}", changes={"points": [rule.points, None]})
        rule.delete()
        rescore_requested()


def model_promote(*, user: AbstractBaseUser, version: ModelVersion) -> None:
    """An admin's promote or roll back: activate the version, audited; rescoring follows."""
    from config.audit import audit_record

    with transaction.atomic():
        current = active_model()
        if current is not None and current.pk == version.pk:
            return
        action = "model.rollback" if current is not None and version.version < current.version else "model.promote"
        model_activate(version=version)
        audit_record(
            user=user,
            action=action,
            target=f"model v{version.version}",
            changes={"active": [f"v{current.version}" if current else None, f"v{version.version}"]},
        )


def next_action_save(
    *,
    user: AbstractBaseUser,
    code: str,
    label: str,
    value: float,
    rules: list[dict[str, Any]],
    active: bool = True,
) -> NextAction:
    from config.audit import audit_record, changed_fields

    with transaction.atomic():
        existing = NextAction.objects.filter(code=code).first()
        after = {"label": label, "value": value, "rules": rules, "active": active}
        if existing is None:
            action = NextAction.objects.create(code=code, position=NextAction.objects.count(), **after)
            diff = {key: [None, v] for key, v in after.items()}
        else:
            before = {key: getattr(existing, key) for key in after}
            diff = changed_fields(before, after)
            for key, v in after.items():
                setattr(existing, key, v)
            existing.save()
            action = existing
        if diff:
            audit_record(user=user, action="action.save", target=f"action {code}", changes=diff)
    return action


def next_action_delete(*, user: AbstractBaseUser, action: NextAction) -> None:
    from config.audit import audit_record

    with transaction.atomic():
        audit_record(
            user=user,
            action="action.delete",
            target=f"action {action.code}",
            changes={"label": [action.label, None], "value": [action.value, None], "rules": [action.rules, None]},
        )
        action.delete()


# --- Outbound webhook: changed scores to the CRM after each rescore ---------------------------

WEBHOOK_BATCH = 1000  # leads per POST
WEBHOOK_MAX_ATTEMPTS = 6
WEBHOOK_FIELDS = ("score", "fit_score", "behavior_score", "expected_value", "uncertainty")


class WebhookError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def webhook_configure(*, user: AbstractBaseUser, url: str, secret: str, active: bool) -> WebhookEndpoint:
    """Set where changed scores go and the secret that signs them; audited (the secret never is)."""
    from config.audit import audit_record, changed_fields

    url = url.strip()
    if active and not url.startswith(("https://", "http://")):
        raise WebhookError("url", "must be an http(s) URL")
    if active and len(secret) < 16:
        raise WebhookError("secret", "must be at least 16 characters")
    with transaction.atomic():
        endpoint, _ = WebhookEndpoint.objects.select_for_update().get_or_create(pk=1)
        before = {"url": endpoint.url, "active": endpoint.active, "secret": "(set)" if endpoint.secret else ""}
        after = {"url": url, "active": active, "secret": "(changed)" if secret != endpoint.secret else before["secret"]}
        endpoint.url, endpoint.secret, endpoint.active = url, secret, active
        endpoint.updated_by = user if user.is_authenticated else None
        endpoint.save()
        diff = changed_fields(before, after)
        if diff:
            audit_record(user=user, action="webhook.update", target="webhook", changes=diff)
    return endpoint


def _webhook_deliveries_create(
    *, scores: pd.DataFrame, before: pd.DataFrame, model_version: int | None, scored_at: datetime, scores_version: int
) -> list[int]:
    """In the rescore's transaction: one delivery per WEBHOOK_BATCH leads whose score changed."""
    endpoint = WebhookEndpoint.objects.filter(pk=1, active=True).first()
    if endpoint is None or scores.empty:
        return []
    old = before["score"].reindex(scores.index)
    new = scores["score"].astype(float)
    changed = scores.index[old.isna().to_numpy() | ~np.isclose(new.to_numpy(), old.to_numpy(), rtol=0, atol=1e-9)]
    if len(changed) == 0:
        return []
    rows = scores.loc[changed, list(WEBHOOK_FIELDS)].astype(float).round(6)
    rows.insert(0, "external_id", before["external_id"].reindex(changed))
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    parts = [records[i : i + WEBHOOK_BATCH] for i in range(0, len(records), WEBHOOK_BATCH)]
    deliveries = []
    for number, part in enumerate(parts, start=1):
        body = {
            "event": "scores.changed",
            "scores_version": scores_version,
            "model_version": model_version,
            "scored_at": scored_at.isoformat(),
            "part": number,
            "parts": len(parts),
            "leads": [{**lead, "model_version": model_version, "scored_at": scored_at.isoformat()} for lead in part],
        }
        deliveries.append(
            WebhookDelivery(
                url=endpoint.url,
                scores_version=scores_version,
                leads=len(part),
                body=json.dumps(body, separators=(",", ":")),
            )
        )
    created = WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in created]
    transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return ids


def _enqueue_deliveries(ids: list[int]) -> None:
    from learning.tasks import deliver_webhook

    for delivery_id in ids:
        try:
            deliver_webhook.delay(delivery_id)
        except Exception:  # the broker is down: the delivery row stays pending
            logger.warning("could not enqueue webhook delivery %s", delivery_id, exc_info=True)


STUCK_DELIVERY_AFTER = timedelta(minutes=2)


def webhook_deliveries_resend_stuck() -> int:
    """Deliveries that never went out because the broker was down when they were queued: send
    them now. A delivery that did reach a worker has attempts > 0 and retries on its own."""
    stuck = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, attempts=0, created_at__lt=timezone.now() - STUCK_DELIVERY_AFTER
        ).values_list("pk", flat=True)[:1000]
    )
    _enqueue_deliveries(stuck)
    return len(stuck)


def webhook_deliver(*, delivery_id: int, last_attempt: bool) -> str:
    """Send one delivery once. Returns ``delivered``, ``retry`` or ``failed`` (after the last attempt)."""
    from learning.core.webhook import SIGNATURE_HEADER, post, sign

    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "done"  # delivered already (a duplicate message), or given up
    endpoint = WebhookEndpoint.objects.filter(pk=1).first()
    secret = endpoint.secret if endpoint else ""
    body = delivery.body.encode()
    headers = {SIGNATURE_HEADER: sign(body, secret), "X-Leadloop-Delivery": str(delivery.pk)}
    status: int | None = None
    try:
        status = post(delivery.url, body, headers)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = timezone.now()
    if not error:
        outcome, state, finished = "delivered", DeliveryStatus.DELIVERED, now
    elif last_attempt:
        outcome, state, finished = "failed", DeliveryStatus.FAILED, now
    else:
        outcome, state, finished = "retry", DeliveryStatus.PENDING, None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1, response_status=status, error=error, status=state, finished_at=finished
    )
    return outcome
