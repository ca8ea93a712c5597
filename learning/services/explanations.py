"""Explanations of the leads the rescore left unexplained, computed on first read and stored."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.utils import timezone

from leads.models import Lead
from leads.scorestore import explanations_store
from learning.scoring import explanations_for, scoring_inputs


def ensure_explanations(*, leads: Sequence[Lead]) -> None:
    """Fill in the explanation of the leads rescoring left unexplained (everything past the queue's
    head): computed for all of them at once under the model that scored them, and stored for the
    next reader. A lead scored by a model that is no longer active gets none until it is rescored."""
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
        lead.explanation = json.loads(texts[lead.pk])
    explanations_store(
        explanations={lead.pk: lead.explanation for lead in current if lead.explanation is not None},
        model_version=version,
    )
