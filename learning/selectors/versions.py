"""Reads of the model versions: the active one, a pin, the history, the fitted estimators, and the
features they read."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import joblib
import pandas as pd
from django.db.models import QuerySet

from leads.frames import LeadIds, activity_events_frame, lead_profiles_frame
from learning.core.features import activity_types_of, build_frame
from learning.core.model import LeadScorer
from learning.models import LoopSettings, ModelStatus, ModelVersion


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
