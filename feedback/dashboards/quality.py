"""Labels set against the scores reps saw: what model-quality charts and disagreements read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, QuerySet

from config.rates import inverse_propensity_weights
from feedback.dashboards.filters import LabelFilters, labels_filtered
from feedback.models import Label, Outcome


@dataclass(frozen=True)
class ScoredLabels:
    """One entry per label made with a score on screen: outcome (1 converted), score seen, weight."""

    outcomes: list[int]
    scores: list[float]
    weights: list[float]


def labeled_scores(*, filters: LabelFilters | None = None) -> ScoredLabels:
    """The labels (of ``filters``; all of them without) that carry the score the rep saw, with
    inverse-propensity weights (see ``config.rates.inverse_propensity_weights``)."""
    labels = labels_filtered(filters=filters) if filters else Label.objects.all()
    rows = list(
        labels.filter(outcome__in=Outcome.values, score_seen__isnull=False).values_list(
            "outcome", "score_seen", "propensity"
        )
    )
    return ScoredLabels(
        outcomes=[1 if outcome == Outcome.CONVERTED else 0 for outcome, _, _ in rows],
        scores=[score or 0.0 for _, score, _ in rows],  # never null here: filtered above
        weights=inverse_propensity_weights([propensity for _, _, propensity in rows]),
    )


def disagreements(*, filters: LabelFilters, low: float = 0.2, high: float = 0.8, limit: int = 50) -> dict[str, Any]:
    """Where reps and model disagree: converted though scored under ``low``, lost though over ``high``."""
    base = (
        labels_filtered(filters=replace(filters, outcome="", reason=""))
        .select_related("lead", "reason", "user")
        .order_by("-outcome_at", "-id")
    )
    surprised = base.filter(outcome=Outcome.CONVERTED, score_seen__lt=low)
    missed = base.filter(outcome=Outcome.NOT_CONVERTED, score_seen__gt=high)

    def by_reason(rows: QuerySet[Label]) -> list[dict[str, Any]]:
        counted = rows.values("reason__code", "reason__label").annotate(n=Count("id")).order_by("-n", "reason__code")
        return [dict(row) for row in counted]

    return {
        "low": low,
        "high": high,
        "won_low": list(surprised[:limit]),
        "won_low_count": surprised.count(),
        "won_low_reasons": by_reason(surprised),
        "lost_high": list(missed[:limit]),
        "lost_high_count": missed.count(),
        "lost_high_reasons": by_reason(missed),
    }
