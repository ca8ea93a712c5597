"""Setting a lead's current score directly, for tests that need one without a model."""

from __future__ import annotations

from typing import Any

from leads.models import Lead, LeadScore


def set_score(lead: Lead | int, **values: Any) -> Lead:
    """Give a lead a current score (``score=0.4, priority=0.9, ...``), as a rescore would; returns
    the lead read again with it."""
    lead_id = lead if isinstance(lead, int) else lead.pk
    LeadScore.objects.update_or_create(lead_id=lead_id, defaults=values)
    return Lead.objects.get(pk=lead_id)


def create_scored_lead(**values: Any) -> Lead:
    """``Lead.objects.create`` that also takes the score fields."""
    score_fields = {name: values.pop(name) for name in list(values) if name in SCORE_NAMES}
    lead = Lead.objects.create(**values)
    return set_score(lead, **score_fields) if score_fields else lead


SCORE_NAMES = {f.name for f in LeadScore._meta.get_fields() if f.name != "lead"}


def spread_scores(external_ids: list[str]) -> list[str]:
    """Give six leads scores 10%, 25%, ... 85%, expected values 0, 1,000, ... 5,000 and uncertainties
    in no order of their own (the lead list's and the export's filter and sort cases); returns the ids."""
    uncertainties = [0.1, 0.45, 0.3, 0.2, 0.05, 0.4]
    for i, external_id in enumerate(external_ids):
        set_score(
            Lead.objects.get(external_id=external_id),
            score=0.1 + 0.15 * i,
            expected_value=1000.0 * i,
            uncertainty=uncertainties[i],
        )
    return external_ids
