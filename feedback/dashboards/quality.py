"""Labels set against the scores reps saw: what model-quality charts and disagreements read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, QuerySet

from config.rates import inverse_propensity_weights
from feedback.dashboards.filters import SCORE_BANDS, LabelFilters, labels_filtered
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


def disagreements(*, filters: LabelFilters, limit: int = 50) -> dict[str, Any]:
    """Where reps and model disagree: converted though the score seen was in the lowest band (under
    20%), lost though it was in the highest (80% or more). They are the drill-down's score bands, so
    each count opens exactly the labels behind it; with the count by reason and by rep."""
    (low_band, floor, under), (high_band, at_least, ceiling) = SCORE_BANDS[0], SCORE_BANDS[-1]
    base = (
        labels_filtered(filters=replace(filters, outcome="", reason="", band=""))
        .select_related("lead", "reason", "user")
        .order_by("-outcome_at", "-id")
    )
    surprised = base.filter(outcome=Outcome.CONVERTED, score_seen__gte=floor, score_seen__lt=under)
    missed = base.filter(outcome=Outcome.NOT_CONVERTED, score_seen__gte=at_least, score_seen__lt=ceiling)

    def counted(rows: QuerySet[Label], *fields: str) -> list[dict[str, Any]]:
        groups = rows.values(*fields).annotate(n=Count("id")).order_by("-n", fields[0])
        return [dict(row) for row in groups]

    won_reps, lost_reps = counted(surprised, "user__username"), counted(missed, "user__username")
    return {
        "low": under,
        "high": at_least,
        "low_band": low_band,
        "high_band": high_band,
        "won_low": list(surprised[:limit]),
        "won_low_count": sum(row["n"] for row in won_reps),  # every label has one rep (or none): all counted
        "won_low_reasons": counted(surprised, "reason__code", "reason__label"),
        "won_low_reps": won_reps,
        "lost_high": list(missed[:limit]),
        "lost_high_count": sum(row["n"] for row in lost_reps),
        "lost_high_reasons": counted(missed, "reason__code", "reason__label"),
        "lost_high_reps": lost_reps,
    }
