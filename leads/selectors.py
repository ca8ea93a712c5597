"""Reads of leads and activity: raw frames for the feature pipeline, lists and details for pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from django.db.models import Q, QuerySet

from leads.models import Activity, Lead, LeadStatus

PROFILE_COLUMNS = [
    "company",
    "industry",
    "employees",
    "title",
    "seniority",
    "department",
    "country",
    "source",
    "created_at",
    "deal_value",
]


def open_lead_ids() -> list[int]:
    return list(Lead.objects.filter(status=LeadStatus.OPEN).order_by("id").values_list("id", flat=True))


def labeled_lead_ids() -> list[int]:
    return list(Lead.objects.exclude(status=LeadStatus.OPEN).order_by("id").values_list("id", flat=True))


def lead_profiles_frame(*, lead_ids: Sequence[int]) -> pd.DataFrame:
    """Profile and custom attributes, one row per lead, indexed by lead id, in ``lead_ids`` order."""
    rows = Lead.objects.filter(id__in=list(lead_ids)).values_list("id", *PROFILE_COLUMNS, "attributes")
    records = []
    for row in rows:
        record = dict(zip(["id", *PROFILE_COLUMNS], row[:-1], strict=True))
        attributes = row[-1] or {}
        for key, value in attributes.items():
            record.setdefault(key, value)
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=None if records else ["id", *PROFILE_COLUMNS])
    frame = frame.set_index("id").reindex(list(lead_ids))
    frame.index.name = "lead_id"
    return frame


def activity_events_frame(*, lead_ids: Sequence[int]) -> pd.DataFrame:
    """Events of these leads as ``lead_id, type, occurred_at`` rows."""
    rows = list(Activity.objects.filter(lead_id__in=list(lead_ids)).values_list("lead_id", "type", "occurred_at"))
    return pd.DataFrame.from_records(rows, columns=["lead_id", "type", "occurred_at"])


def lead_deal_values(*, lead_ids: Sequence[int]) -> dict[int, float | None]:
    return dict(Lead.objects.filter(id__in=list(lead_ids)).values_list("id", "deal_value"))


def lead_get(*, external_id: str) -> Lead | None:
    return Lead.objects.filter(external_id=external_id).first()


def lead_activities(*, lead: Lead, limit: int = 200) -> list[Activity]:
    return list(lead.activities.order_by("-occurred_at")[:limit])


SORTS = {
    "priority": ("-priority", "id"),
    "score": ("-score", "id"),
    "-score": ("score", "id"),
    "expected_value": ("-expected_value", "id"),
    "uncertainty": ("-uncertainty", "id"),
    "created": ("-created_at", "id"),
    "company": ("company", "id"),
}


@dataclass(frozen=True)
class LeadFilters:
    status: str = "open"
    industry: str = ""
    source: str = ""
    q: str = ""
    sort: str = "score"


def lead_list(*, filters: LeadFilters) -> QuerySet[Lead]:
    leads = Lead.objects.all()
    if filters.status in LeadStatus.values:
        leads = leads.filter(status=filters.status)
    if filters.industry:
        leads = leads.filter(industry=filters.industry)
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.q:
        leads = leads.filter(Q(external_id__iexact=filters.q) | Q(company__icontains=filters.q))
    return leads.order_by(*SORTS.get(filters.sort, SORTS["score"]))


def lead_facets() -> dict[str, list[str]]:
    return {
        "industry": list(
            Lead.objects.exclude(industry="").order_by().values_list("industry", flat=True).distinct()[:200]
        ),
        "source": list(Lead.objects.exclude(source="").order_by().values_list("source", flat=True).distinct()[:200]),
    }


def lead_counts() -> dict[str, int]:
    from django.db.models import Count

    return {row["status"]: row["n"] for row in Lead.objects.values("status").annotate(n=Count("id")).order_by()}


def open_lead_scores() -> list[tuple[float | None, float | None]]:
    """(score, deal value) of every open lead."""
    return list(Lead.objects.filter(status=LeadStatus.OPEN).values_list("score", "deal_value"))


def lead_summaries(*, lead_ids: Sequence[int]) -> dict[int, dict[str, object]]:
    rows = Lead.objects.filter(id__in=list(lead_ids)).values("id", "external_id", "company", "industry", "score")
    return {row["id"]: {**row, "current": row["score"]} for row in rows}
