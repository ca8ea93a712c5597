"""Reads of the loop's state, settings, rules and model versions."""

from __future__ import annotations

import io
from functools import lru_cache

import joblib

from learning.core.model import LeadScorer
from learning.core.rules import PointRules, ProfileRule
from learning.models import LoopSettings, LoopState, ModelStatus, ModelVersion, PointRule


def loop_settings() -> LoopSettings:
    return LoopSettings.objects.get_or_create(pk=1)[0]


def loop_state() -> LoopState:
    return LoopState.objects.get_or_create(pk=1)[0]


def point_rules(*, settings: LoopSettings | None = None) -> PointRules:
    settings = settings or loop_settings()
    rules = PointRules(hot_points=settings.cold_start_hot_points)
    for rule in PointRule.objects.all():
        if rule.kind == PointRule.Kind.ACTIVITY:
            rules.activity_points[rule.value] = rule.points
        else:
            rules.profile_rules.append(ProfileRule(field=rule.field, value=rule.value, points=rule.points))
    return rules


def active_model() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).defer("artifact").first()


def model_versions(*, limit: int = 50) -> list[ModelVersion]:
    return list(ModelVersion.objects.defer("artifact").order_by("-version")[:limit])


@lru_cache(maxsize=4)
def _load(version: int) -> LeadScorer:
    artifact = ModelVersion.objects.values_list("artifact", flat=True).get(version=version)
    return joblib.load(io.BytesIO(bytes(artifact)))


def scorer_for(*, version: int) -> LeadScorer:
    """The fitted estimator of a model version (cached: versions never change once written)."""
    return _load(version)


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
