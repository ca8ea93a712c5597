"""Reads of the loop's state, settings, rules and model versions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import joblib
import numpy as np
import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.timesince import timesince

from config.rates import MIN_LABELS, Rate, rate_from_sums, weighted_rate
from feedback.dashboards.filters import LabelFilters
from feedback.dashboards.quality import labeled_scores
from feedback.selectors import label_outcome_counts
from leads.frames import LeadIds, activity_events_frame, lead_profiles_frame, open_lead_ids, open_lead_scores
from leads.selectors import lead_summaries
from learning.core.actions import RankedAction, rank_actions
from learning.core.features import activity_types_of, build_frame
from learning.core.metrics import calibration_bins, gain_table, score_groups, threshold_stats
from learning.core.mix import MixState, mix_summary, ranked_percents
from learning.core.model import LeadScorer
from learning.core.rules import PointRules, ProfileRule, score_by_rules
from learning.core.strategies import strategy_named
from learning.models import (
    LoopLock,
    LoopSettings,
    LoopState,
    ModelStatus,
    ModelVersion,
    NextAction,
    PointRule,
    QuarantinedValue,
    QueueMix,
    WebhookDelivery,
    WebhookEndpoint,
)

# The singleton rows (pk=1) are made by a migration or by the first write; a read never writes, and a
# missing row reads as the defaults in code.


def loop_health() -> dict[str, Any]:
    """What monitoring reads (``/healthz``, no login): how far the loop is behind and whether it
    fails. Counts and error kinds only, never a lead's data or an error's text."""
    state, lock = loop_state(), loop_lock()
    now = timezone.now()
    queued = max(state.labels_revision - state.trained_revision, 0)
    lag = (now - state.pending_since).total_seconds() if queued and state.pending_since else 0.0
    quarantined = QuarantinedValue.objects.values("lead_id").distinct().count()
    failing = lock.failing
    return {
        "status": "failing" if failing else "degraded" if quarantined else "ok",
        "loop_lag_seconds": round(max(lag, 0.0), 1),
        "queued_labels": queued,
        "rescore_pending": state.rescore_requested,
        "running": lock.running_since is not None,
        "last_error": {"kind": lock.last_error.split(":", 1)[0][:100], "at": lock.last_error_at.isoformat()}
        if failing and lock.last_error_at
        else None,
        "last_success_at": lock.last_success_at.isoformat() if lock.last_success_at else None,
        "quarantined": quarantined,
        "scores_version": state.scores_version,
        "scores_updated_at": state.scores_updated_at.isoformat() if state.scores_updated_at else None,
    }


def loop_alert() -> str:
    """The admins' banner: why the loop is not learning from everything, or ""."""
    lock = loop_lock()
    parts = []
    if lock.failing:
        parts.append(f"the last learning run failed ({lock.last_error.split(':', 1)[0][:100]})")
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


def point_rules(*, settings: LoopSettings | None = None) -> PointRules:
    settings = settings or loop_settings()
    rules = PointRules(hot_points=settings.cold_start_hot_points)
    for rule in PointRule.objects.all():
        if rule.kind == PointRule.Kind.ACTIVITY:
            rules.activity_points[rule.value] = rule.points
        else:
            rules.profile_rules.append(ProfileRule(field=rule.field, value=rule.value, points=rule.points))
    return rules


def feature_frame(*, lead_ids: LeadIds, as_of: datetime, activity_types: list[str] | None = None) -> pd.DataFrame:
    """Features of these leads as of ``as_of``, read from the database (training, explanations)."""
    return build_frame(
        lead_profiles_frame(lead_ids=lead_ids),
        activity_events_frame(lead_ids=lead_ids, activity_types=activity_types),
        as_of=as_of,
        activity_types=activity_types,
    )


def active_model() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).defer("artifact").first()


@dataclass(frozen=True)
class ModelPin:
    """The version an admin promoted or rolled back to by hand: it stays active, and the versions
    trained since (``newer`` of them, ``newest`` the last) are measured against it but not promoted;
    ``waiting``: the newest of them that passed the guard, which resuming promotes."""

    version: int
    by: str
    since: datetime
    newer: int
    newest: ModelVersion | None
    waiting: int | None = None


def model_pin() -> ModelPin | None:
    """The pinned version, or None while each new version that passes the guard is promoted."""
    settings = LoopSettings.objects.filter(pk=1).select_related("pinned_by").first()
    if settings is None or settings.pinned_version_id is None or settings.pinned_at is None:
        return None
    version = ModelVersion.objects.filter(pk=settings.pinned_version_id).values_list("version", flat=True).first()
    if version is None:
        return None
    newer = versions_since(settings.pinned_at)
    return ModelPin(
        version=version,
        by=settings.pinned_by.get_username() if settings.pinned_by else "",
        since=settings.pinned_at,
        newer=newer.count(),
        newest=newer.first(),
        waiting=newer.filter(status=ModelStatus.CANDIDATE).values_list("version", flat=True).first(),
    )


def versions_since(moment: datetime | None) -> QuerySet[ModelVersion]:
    """The versions trained after ``moment`` (a pin's: those it held back), newest first; every
    version when there is no moment."""
    versions = ModelVersion.objects.defer("artifact").order_by("-version")
    return versions if moment is None else versions.filter(created_at__gt=moment)


def model_versions(*, limit: int = 50) -> list[ModelVersion]:
    return list(ModelVersion.objects.defer("artifact").order_by("-version")[:limit])


@lru_cache(maxsize=4)
def _load(version: int, created_at: str) -> LeadScorer:
    artifact = ModelVersion.objects.values_list("artifact", flat=True).get(version=version)
    scorer = joblib.load(io.BytesIO(bytes(artifact)))
    if not isinstance(scorer, LeadScorer):
        raise TypeError(f"model v{version}'s artifact holds a {type(scorer).__name__}, not a LeadScorer")
    return scorer


def known_activity_types() -> set[str] | None:
    """The activity types the active model learned from, for imports to warn of a new one (a typo
    becomes a kind of activity of its own); None before the first model."""
    model = active_model()
    if model is None:
        return None
    return set(activity_types_of(list(scorer_for(version=model.version).feature_names_)))


def scorer_for(*, version: int) -> LeadScorer:
    """The fitted estimator of a model version. Cached per process: a version never changes once
    written; its creation time is part of the key, so a database rebuilt from scratch (tests, a
    restore) never gets a stale model of the same number."""
    created_at = ModelVersion.objects.values_list("created_at", flat=True).get(version=version)
    return _load(version, created_at.isoformat())


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


# --- Dashboards and settings previews ---------------------------------------------------------


def model_quality(*, filters: LabelFilters | None = None, until: datetime | None = None) -> dict[str, Any]:
    """The active model's held-out metrics and the versions trained before ``until``, and
    calibration / gain / lift from the scores reps saw on the labels of ``filters``.

    Every figure from labels is weighted by inverse propensity (``config.rates``). Calibration
    and gain share their groups, numbered from the highest scores, each of at least MIN_LABELS
    labels; with fewer than two such groups there are none, and the page says so instead of
    drawing 0% or 100% from a handful of labels.
    """
    settings = loop_settings()
    seen = labeled_scores(filters=filters)
    y_arr, p_arr = np.array(seen.outcomes, dtype=int), np.array(seen.scores, dtype=float)
    w_arr = np.array(seen.weights, dtype=float)
    groups = min(10, len(y_arr) // MIN_LABELS)
    versions = model_versions(limit=200)
    if until is not None:
        versions = [v for v in versions if v.created_at < until]
    history = sorted(versions, key=lambda v: v.version)  # in the order they were trained, whatever their label counts
    bins = calibration_bins(y_arr, p_arr, bins=groups, weights=w_arr) if groups >= 2 else []
    splits = score_groups(p_arr, groups) if bins else []
    calibration: list[dict[str, Any]] = [  # the same groups calibration_bins cut, with their intervals
        {**row, "interval": weighted_rate(list(y_arr[idx] == 1), list(w_arr[idx]))}
        for row, idx in zip(bins, splits, strict=True)
    ]
    return {
        "active": (active := active_model()),
        "headline": headline_rates(active.metrics if active else None),
        "threshold": settings.hot_threshold,
        "seen_n": len(y_arr),
        "seen_positives": int(y_arr.sum()),
        "seen_rate": weighted_rate(list(y_arr == 1), list(w_arr)),
        "seen": threshold_stats(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr) if len(y_arr) else None,
        "seen_rates": threshold_rates(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr),
        "min_labels": MIN_LABELS,
        "enough": len(y_arr) >= MIN_LABELS,
        "calibration": calibration,
        "gain": gain_table(y_arr, p_arr, groups=groups, weights=w_arr) if groups >= 2 else [],
        "history": history,
    }


def headline_rates(metrics: dict[str, Any] | None) -> dict[str, Rate]:
    """A model version's out-of-fold precision, recall and accuracy as rates over the labels behind
    each (the leads called hot, the converted ones, all), with Wilson's interval; a figure whose
    sample size the version did not record (trained before it was stored) is left out."""
    if not metrics:
        return {}
    sizes = {"precision": metrics.get("called_hot"), "recall": metrics.get("positives"), "accuracy": metrics.get("n")}
    rates = {}
    for name, n in sizes.items():
        value = metrics.get(name)
        if isinstance(n, int) and isinstance(value, int | float):
            hits = round(value * n)
            rates[name] = rate_from_sums(n=n, hits=hits, hit_weight=value * n, weight=float(n), weight2=float(n))
    return rates


def threshold_rates(y: np.ndarray, proba: np.ndarray, *, threshold: float, weights: np.ndarray) -> dict[str, Rate]:
    """Precision and recall at ``threshold`` as weighted rates with their sample size and interval:
    precision over the labels scored at or above it (none: no value, not 0%), recall over the
    converted ones."""
    hot, won = proba >= threshold, y == 1
    return {
        "precision": weighted_rate(list(won[hot]), list(weights[hot])),
        "recall": weighted_rate(list(hot[won]), list(weights[won])),
    }


def threshold_preview(*, hot_threshold: float, cost_per_lead: float, expected_value_threshold: float) -> dict[str, Any]:
    """What a hot threshold and an expected-value threshold would do, before they are saved.

    Precision and recall come from labels and the score each rep saw when labeling (``rates``: with
    their sample size and interval); the hot and worth-acting counts from the open leads' current
    scores.
    """
    settings = loop_settings()
    seen = labeled_scores()
    y_arr, p_arr = np.array(seen.outcomes, dtype=int), np.array(seen.scores, dtype=float)
    w_arr = np.array(seen.weights, dtype=float)
    scores = open_lead_scores()
    proba = np.array([s for s, _ in scores if s is not None], dtype=float)
    expected = np.array(
        [s * v - cost_per_lead for s, v in scores if s is not None and v is not None],
        dtype=float,
    )
    return {
        "hot_threshold": hot_threshold,
        "cost_per_lead": cost_per_lead,
        "expected_value_threshold": expected_value_threshold,
        "labeled": threshold_stats(y_arr, p_arr, threshold=hot_threshold, weights=w_arr),
        "labeled_now": threshold_stats(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr),
        "rates": threshold_rates(y_arr, p_arr, threshold=hot_threshold, weights=w_arr),
        "rates_now": threshold_rates(y_arr, p_arr, threshold=settings.hot_threshold, weights=w_arr),
        "open": len(scores),
        "hot": int((proba >= hot_threshold).sum()),
        "hot_now": int((proba >= settings.hot_threshold).sum()),
        "worth_acting": int((expected > expected_value_threshold).sum()),
        "worth_acting_value": float(expected[expected > expected_value_threshold].sum()),
        "with_value": len(expected),
    }


def rules_preview(*, rules: PointRules, top: int = 10) -> dict[str, Any]:
    """Scores the open leads would get from these cold-start rules: the top leads and the hot count."""
    ids = open_lead_ids().tolist()
    if not ids:
        return {"open": 0, "hot": 0, "top": []}
    frame = feature_frame(lead_ids=ids, as_of=timezone.now(), activity_types=list(rules.activity_points))
    result = score_by_rules(frame, rules)
    order = np.argsort(-result.probability, kind="stable")[:top]
    summaries = lead_summaries(lead_ids=[ids[i] for i in order])
    return {
        "open": len(ids),
        "hot": int((result.probability >= 0.5).sum()),
        "top": [
            {
                **summaries[ids[i]],
                "score": float(result.probability[i]),
                "points": float(result.fit_points[i] + result.behaviour_points[i]),
                "why": result.explanations[i][:3],
            }
            for i in order
        ],
    }


def next_actions() -> list[NextAction]:
    return list(NextAction.objects.all())


def next_actions_for(*, lead: Any, actions: list[NextAction] | None = None) -> list[RankedAction]:
    """Eligible actions for an open lead, best P(convert) x value first; none for a closed lead."""
    if lead.status != "open":
        return []
    actions = actions if actions is not None else [a for a in next_actions() if a.active]
    fields = {name: getattr(lead, name) for name in LEAD_RULE_FIELDS}
    fields = {**(lead.attributes or {}), **fields}
    return rank_actions(
        lead=fields,
        probability=lead.score,
        actions=[{"code": a.code, "label": a.label, "value": a.value, "rules": a.rules} for a in actions],
    )


LEAD_RULE_FIELDS = (
    "industry",
    "employees",
    "title",
    "seniority",
    "department",
    "country",
    "source",
    "deal_value",
    "score",
    "fit_score",
    "behavior_score",
    "expected_value",
    "uncertainty",
)


def point_rules_edited(
    *, kind: str = "", field: str = "", value: str = "", points: float | None = None, hot_points: float | None = None
) -> PointRules:
    """The current cold-start rules with one rule added or changed (and maybe another hot threshold)."""
    settings = loop_settings()
    rules = point_rules(settings=settings)
    if hot_points is not None:
        rules.hot_points = hot_points
    if kind and value and points is not None:
        if kind == PointRule.Kind.ACTIVITY:
            rules.activity_points[value] = points
        else:
            rules.profile_rules = [
                r for r in rules.profile_rules if (r.field, r.value.lower()) != (field, value.lower())
            ] + [ProfileRule(field=field, value=value, points=points)]
    return rules


def webhook_endpoint() -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(pk=1).first()


def webhook_deliveries(*, limit: int = 50) -> list[WebhookDelivery]:
    """The delivery log, newest first (without the bodies)."""
    return list(WebhookDelivery.objects.defer("body")[:limit])


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
