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
from learning import rescoring
from learning.core.metrics import evaluate
from learning.core.model import LeadScorer
from learning.mixing import queue_label_metrics, queue_mix_learn
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
from learning.rescoring import RescoreResult
from learning.selectors import active_model, loop_settings, loop_state, scorer_for

logger = logging.getLogger(__name__)

# A worker beats every HEARTBEAT_EVERY while it runs the loop; a claim without a beat for
# HEARTBEAT_STALE_AFTER belongs to a dead worker (a live one is never that late).
HEARTBEAT_EVERY = timedelta(seconds=float(os.environ.get("LEADLOOP_HEARTBEAT_SECONDS", "10")))
HEARTBEAT_STALE_AFTER = 6 * HEARTBEAT_EVERY
PROMOTION_TOLERANCE = 0.02
GUARD_MIN_LABELS = 20


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
    frame = rescoring.feature_frame(lead_ids=[lead_id for _, lead_id, _ in labels], as_of=now)
    out_of_fold = _out_of_fold(frame, y)
    metrics = evaluate(y, out_of_fold, threshold=settings.hot_threshold)
    label_ids = np.array([label_id for label_id, _, _ in labels])
    metrics["weighted"] = queue_label_metrics(
        y=y, out_of_fold=out_of_fold, label_ids=label_ids, threshold=settings.hot_threshold
    )
    scorer = LeadScorer().fit(frame, y)
    fault_pause("train")  # tests kill the worker here: no version is recorded, the labels stay pending
    buffer = io.BytesIO()
    joblib.dump(scorer, buffer, compress=3)

    current = active_model()
    queue_mix_learn(frame=frame, y=y, label_ids=label_ids, current=current)
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


def rescore_open_leads(*, now: datetime | None = None) -> RescoreResult:
    """Score every open lead and write all scores at once (see ``learning.rescoring``)."""
    return rescoring.rescore_open_leads(now=now)


def ensure_explanations(*, leads: Sequence[Lead]) -> None:
    """Fill in the explanation of the leads rescoring left unexplained (everything past the queue's
    head): computed for all of them at once under the model that scored them, and stored for the
    next reader. A lead scored by a model that is no longer active gets none until it is rescored."""
    from leads.scorestore import explanations_store

    missing = [lead for lead in leads if lead.explanation is None and lead.scored_at is not None]
    if not missing:
        return
    inputs = rescoring.scoring_inputs()
    version = inputs.model.version if inputs.model else None
    current = [lead for lead in missing if lead.model_version == version]
    for lead in missing:
        lead.explanation = []
    if not current:
        return
    texts = rescoring.explanations_for(lead_ids=[lead.pk for lead in current], as_of=timezone.now(), inputs=inputs)
    for lead in current:
        lead.explanation = json.loads(texts[lead.pk])
    explanations_store(
        explanations={lead.pk: lead.explanation for lead in current if lead.explanation is not None},
        model_version=version,
    )


LEARN_QUEUED_TIMEOUT = 30  # seconds a "learning message is queued" flag lives, in case the message is lost


def _learn_queued_key() -> str:
    from config.celery import app

    return f"learn-queued:{app.conf.task_default_queue}"  # the queue its message goes to


def _enqueue_learning() -> None:
    """Ask a worker to run the loop, unless a message is already queued and not yet started: under
    a burst of labels one message serves them all (the worker reads what is pending from the
    database when it starts, after taking the flag down), and the web tier publishes ~once per run
    instead of once per label."""
    from learning.tasks import learn

    flags = rescoring.loop_cache()
    if not flags.add(_learn_queued_key(), 1, timeout=LEARN_QUEUED_TIMEOUT):
        return
    try:
        learn.delay()
    except Exception:  # the broker is down: the database still says what is pending
        flags.delete(_learn_queued_key())
        logger.warning("could not reach the broker; pending learning waits for the next worker run", exc_info=True)


def learning_started() -> None:
    """A learning message reached a worker: later changes need a message of their own."""
    rescoring.loop_cache().delete(_learn_queued_key())


def labels_changed() -> None:
    """Called in the transaction that adds or removes a label: count it, learn after commit."""
    counted = LoopState.objects.filter(pk=1).update(
        labels_revision=F("labels_revision") + 1, pending_since=Coalesce(F("pending_since"), Value(timezone.now()))
    )
    if not counted:  # a fresh database: the state row is made on first use
        loop_state()
        labels_changed()
        return
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


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimant_is_dead(claimed_by: str) -> bool:
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
    mine: dict[str, Any] = {"running_since": now, "heartbeat_at": now, "claimed_by": worker_id()}
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
        and claimant_is_dead(state.claimed_by)
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
                    LoopState.objects.filter(pk=self.state_pk, claimed_by=worker_id()).update(
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
    from config.dbstats import analyze_if_stale
    from feedback.models import Label, Lease, Skip
    from leads.models import Activity, ScoreEvent

    # Fresh planner statistics, and no pile of dead rows, in the tables reps' requests read (see
    # config.dbstats).
    analyze_if_stale([Lead, Activity, Label, Lease, Skip, ScoreEvent, LoopState], vacuum=True)
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


def webhook_deliveries_create(
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
