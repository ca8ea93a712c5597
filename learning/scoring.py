"""Scoring a frame of leads: the inputs (active model or cold-start rules), the scores and
explanations (stored for the queue's head at rescore, computed on read for the rest), a block's
features from the loop cache.

A block's features (profile, attributes, behaviour) are cached, keyed by the block's token,
which every write of a lead or an activity in the block changes: after a label, rescoring reads
features from the cache instead of the database. Cached features are at most FEATURES_MAX_AGE
old (recency counts move with the clock).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.utils import timezone

from leads.models import Lead
from learning.cache import loop_cache
from learning.core.explain import describe
from learning.core.features import activity_types_of
from learning.core.model import LeadScorer, top_factors
from learning.core.rules import PointRules, score_by_rules
from learning.models import ModelVersion
from learning.quarantine import readable_features
from learning.selectors import active_model, point_rules, scorer_for

FEATURES_MAX_AGE = timedelta(minutes=15)
FEATURES_CODE = "f1"  # bump when build_frame's output changes, so no worker reads another's features


@dataclass
class ScoringInputs:
    model: ModelVersion | None
    scorer: LeadScorer | None
    rules: PointRules | None
    types: list[str] | None


def scoring_inputs(*, model_version: int | str | None = "active") -> ScoringInputs:
    """The active model (or a given version, or the cold-start rules when None) and what it reads."""
    if model_version == "active":
        model = active_model()
    elif model_version is None:
        model = None
    else:
        model = ModelVersion.objects.defer("artifact").filter(version=model_version).first()
    scorer = scorer_for(version=model.version) if model else None
    rules = None if scorer else point_rules()
    types = activity_types_of(scorer.feature_names_) if scorer else list(rules.activity_points) if rules else None
    return ScoringInputs(model=model, scorer=scorer, rules=rules, types=types)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


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
            typical = getattr(scorer, "typical_", None)  # versions stored before 2026-12-06 have none
            factors = top_factors(frame, scorer.feature_names_, contributions, typical=typical)
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
            "explanation": [json.dumps(lines, ensure_ascii=False) for lines in result.explanations]
            if explain
            else None,
        },
        index=frame.index,
    )
    return scored, None


def _features_key(block: int, token: str, types: list[str] | None) -> str:
    digest = hashlib.sha1(json.dumps(types).encode()).hexdigest()[:12]
    return f"features:{FEATURES_CODE}:{block}:{token}:{digest}"


def block_features(
    *, block: int, lead_ids: np.ndarray, as_of: datetime, types: list[str] | None, token: str | None
) -> tuple[pd.DataFrame, bool]:
    """Features of these leads of one block, from the loop cache while the block's token stands
    and they are younger than FEATURES_MAX_AGE; else from the database (then cached). Returns the
    frame and whether it came from the cache."""
    key = _features_key(block, token, types) if token else None
    if key is not None:
        cached = loop_cache().get(key)
        if cached is not None:
            cached_as_of, frame = cached
            if as_of - cached_as_of <= FEATURES_MAX_AGE and pd.Index(lead_ids).isin(frame.index).all():
                return frame.loc[lead_ids], True
    frame = readable_features(lead_ids=lead_ids, as_of=as_of, activity_types=types)
    if key is not None:
        loop_cache().set(key, (as_of, frame), timeout=int(FEATURES_MAX_AGE.total_seconds()))
    return frame, False


def explanations_for(*, lead_ids: Sequence[int], as_of: datetime, inputs: ScoringInputs) -> dict[int, str]:
    """The explanation (JSON text) of each of these leads under ``inputs``: the queue's head at
    rescore, any other lead on first read."""
    if len(lead_ids) == 0:
        return {}
    frame = readable_features(lead_ids=lead_ids, as_of=as_of, activity_types=inputs.types)
    explained = score_frame(frame, scorer=inputs.scorer, rules=inputs.rules)[0]["explanation"]
    return {int(lead_id): text for lead_id, text in explained.items()}


def explain_leads(*, leads: Sequence[Lead]) -> None:
    """Show the explanation of the leads the rescore left unexplained (everything past the queue's
    head): computed for all of them at once under the model that scored them, on the lead objects
    only (a read stores nothing; the rescore writes explanations). A lead scored by a model that is
    no longer active shows none until it is rescored."""
    missing = [lead for lead in leads if lead.explanation is None and lead.scored_at is not None]
    if not missing:
        return
    inputs = scoring_inputs()
    version = inputs.model.version if inputs.model else None
    current = [lead for lead in missing if lead.model_version == version]
    for lead in missing:
        lead.explanation = []
    if not current:
        return
    texts = explanations_for(lead_ids=[lead.pk for lead in current], as_of=timezone.now(), inputs=inputs)
    for lead in current:
        text = texts.get(lead.pk)  # none for a quarantined lead
        lead.explanation = json.loads(text) if text else []
