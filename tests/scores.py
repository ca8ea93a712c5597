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
