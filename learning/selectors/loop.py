"""Reads of the loop: its settings, state, lock and health, in numbers and in words, and the queue's mix."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.utils import timezone
from django.utils.timesince import timesince

from config.celery import broker_reachable
from feedback.selectors import label_outcome_counts
from learning.core.mix import MixState, mix_summary, ranked_percents
from learning.core.strategies import strategy_named
from learning.models import LoopLock, LoopSettings, LoopState, ModelVersion, QuarantinedValue, QueueMix
from learning.selectors.versions import active_model

# A worker beats every HEARTBEAT_EVERY while it runs the loop; a claim without a beat for
# HEARTBEAT_STALE_AFTER belongs to a dead worker (a live one is never that late), and is taken over.
HEARTBEAT_EVERY = timedelta(seconds=django_settings.LEADLOOP_HEARTBEAT_SECONDS)
HEARTBEAT_STALE_AFTER = 6 * HEARTBEAT_EVERY
# Work due for longer than this with no worker running it: the workers are down or the clock is.
STALLED_AFTER = timedelta(minutes=5)

# The singleton rows (pk=1) are made by a migration or by the first write; a read never writes, and a
# missing row reads as the defaults in code.


STALLED_WORDS = {
    "claim_stale": "the worker running the learning loop stopped answering (another worker takes it over)",
    "no_worker": "learning has waited over five minutes and no worker has run the loop: is a worker running?",
}


def _stalled(*, state: LoopState, lock: LoopLock, now: datetime) -> str:
    """Why the loop is not getting on with its work, or "": a claim whose worker stopped beating
    (until another worker takes it over), or work waiting for STALLED_AFTER while no run has started
    or ended for as long (the clock's catch-up runs the loop every minute while a worker is up, so
    labels that wait for the admin's retrain trigger are not a stall)."""
    if lock.last_beat is not None:
        return "claim_stale" if now - lock.last_beat > HEARTBEAT_STALE_AFTER else ""
    asked = [state.rescore_requested_at if state.rescore_requested else None]
    asked.append(state.pending_since if state.labels_revision > state.trained_revision else None)
    waiting_since = min((moment for moment in asked if moment is not None), default=None)
    last_run = max((moment for moment in (lock.last_success_at, lock.last_error_at) if moment), default=None)
    if waiting_since is None or now - waiting_since <= STALLED_AFTER:
        return ""
    return "no_worker" if last_run is None or now - last_run > STALLED_AFTER else ""


def loop_health() -> dict[str, Any]:
    """What monitoring reads (``/healthz``, no login): how far the loop is behind and whether it
    fails. Counts and error kinds only, never a lead's data or an error's text. ``stalled``: the loop
    is not getting on with its work (``claim_stale``: its worker stopped beating; ``no_worker``:
    work waiting five minutes and no loop run for as long); that, or a broker that does not answer
    (labels are saved, nothing learns from them), makes the status "degraded"."""
    state, lock = loop_state(), loop_lock()
    now = timezone.now()
    queued = max(state.labels_revision - state.trained_revision, 0)
    lag = (now - state.pending_since).total_seconds() if queued and state.pending_since else 0.0
    quarantined = QuarantinedValue.objects.values("lead_id").distinct().count()
    failing = lock.failing
    stalled = _stalled(state=state, lock=lock, now=now)
    beat = lock.last_beat
    broker = broker_reachable()
    return {
        "status": "failing" if failing else "degraded" if quarantined or stalled or not broker else "ok",
        "loop_lag_seconds": round(max(lag, 0.0), 1),
        "queued_labels": queued,
        "rescore_pending": state.rescore_requested,
        "running": lock.running_since is not None,
        "heartbeat_age_seconds": round((now - beat).total_seconds(), 1) if beat else None,
        "stalled": stalled or None,
        "last_error": {"kind": lock.last_error.split(":", 1)[0][:100], "at": lock.last_error_at.isoformat()}
        if failing and lock.last_error_at
        else None,
        "last_success_at": lock.last_success_at.isoformat() if lock.last_success_at else None,
        "quarantined": quarantined,
        "scores_version": state.scores_version,
        "scores_updated_at": state.scores_updated_at.isoformat() if state.scores_updated_at else None,
        "broker": "ok" if broker else "unreachable",
    }


def loop_alert() -> str:
    """The admins' banner: why the loop is not learning from everything, or ""."""
    lock = loop_lock()
    parts = []
    if lock.failing:
        parts.append(f"the last learning run failed ({lock.last_error.split(':', 1)[0][:100]})")
    stalled = _stalled(state=loop_state(), lock=lock, now=timezone.now())
    if stalled:
        parts.append(STALLED_WORDS[stalled])
    quarantined = QuarantinedValue.objects.values("lead_id").distinct().count()
    if quarantined:
        one = quarantined == 1
        whose = "its" if one else "their"
        parts.append(f"{quarantined} lead{'' if one else 's'} quarantined: {whose} data cannot be read")
    return "; ".join(parts)


def quarantined_values(*, limit: int = 50) -> list[QuarantinedValue]:
    return list(QuarantinedValue.objects.select_related("lead").order_by("-found_at")[:limit])


def loop_settings() -> LoopSettings:
    return LoopSettings.objects.filter(pk=1).first() or LoopSettings(pk=1)


def loop_state() -> LoopState:
    return LoopState.objects.filter(pk=1).first() or LoopState(pk=1)


def loop_lock() -> LoopLock:
    """Which worker runs the loop, and the loop's last error."""
    return LoopLock.objects.filter(pk=1).first() or LoopLock(pk=1)


def loop_status(*, now: datetime | None = None) -> str:
    """The learning loop in words: 'All labels learned; scores from 2 minutes ago (model v3).'"""
    state, lock, model = loop_state(), loop_lock(), active_model()
    now = now or timezone.now()
    waiting = state.labels_revision - state.trained_revision
    if lock.running_since is not None:
        learned = "Learning now"
    elif waiting > 0:
        learned = f"{waiting} label change{'s' if waiting != 1 else ''} waiting to be learned"
    else:
        learned = "All labels learned"
    wanted = max(loop_settings().min_labels_per_outcome, 2)
    counts = label_outcome_counts()
    if min(counts.values()) < wanted:  # cold start: training waits, the starting rules score
        have = ", ".join(f"{n:,} {outcome.replace('_', ' ')}" for outcome, n in counts.items())
        waits = "new versions wait until" if model is not None else "the model trains once"
        learned += f"; {waits} each outcome has {wanted:,} labels (now {have})"
    if state.scores_updated_at is None:
        scores = "no scores yet"
    elif now - state.scores_updated_at < timedelta(minutes=1):
        scores = "scores from just now"
    else:
        scores = f"scores from {timesince(state.scores_updated_at, now).split(',')[0]} ago"
    by = f"model v{model.version}" if model else "the starting point rules"
    if model is not None and loop_settings().pinned_version_id == model.pk:
        by += ", pinned by hand"
    text = f"{learned}; {scores} ({by})."
    if lock.last_error:
        text += f" The last run failed: {lock.last_error[:200]}"
    return text


def scores_state() -> dict[str, object]:
    """What open pages poll to learn that fresh scores are out."""
    state = loop_state()
    model = active_model()
    return {
        "scores_version": state.scores_version,
        "scores_updated_at": state.scores_updated_at.isoformat() if state.scores_updated_at else None,
        "model_version": model.version if model else None,
        "roc_auc": model.metrics.get("roc_auc") if model else None,
        "pending": state.labels_revision > state.trained_revision or state.rescore_requested,
    }


def queue_mix() -> QueueMix:
    """The adaptive queue's mix; a deployment whose queue never drew from it reads the starting mix."""
    return QueueMix.objects.filter(pk=1).first() or QueueMix(pk=1)


def queue_mix_summary() -> dict[str, Any]:
    """What the settings page says about the queue's mix: each strategy's share of a draw (the floor's
    uniform share counted as random) and why, in a sentence."""
    settings = loop_settings()
    state = MixState.from_json(queue_mix().state)
    floor = settings.exploration
    if strategy_named(settings.strategy).weigh is None:
        shares = {name: (1 - floor) * share for name, share in state.shares().items()}
        why = mix_summary(state)
    else:
        shares = {settings.strategy: 1 - floor}
        why = f"The queue follows {settings.strategy} alone (chosen in the settings), not the adaptive mix."
    shares["random"] = shares.get("random", 0.0) + floor
    return {
        "strategy": settings.strategy,
        "floor": floor,
        "shares": sorted(shares.items(), key=lambda item: -item[1]),
        "percents": ranked_percents(shares),
        "why": why,
        "training": training_summary(active_model()),
    }


def training_summary(version: ModelVersion | None) -> str | None:
    """How the active model weighed the queue's picks, in a sentence (None before the first model)."""
    if version is None:
        return None
    power = float(version.metrics.get("train_weights", 0.0))
    picks = int(version.metrics.get("weighted", {}).get("n", 0))
    came = f"{picks} of its {version.labels} labels came from the queue"
    if power == 0:
        return f"v{version.version} weighed every label alike ({came})."
    return (
        f"v{version.version} weighed each of the queue's picks by its inverse pick probability to the power "
        f"{power:g}, so a lead the queue favoured counts for less and one it seldom draws for more; {came}, "
        "and the rest weigh 1."
    )
