"""Reads of leads for pages: one lead, its activity and history, the filtered and sorted list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.core.cache import cache
from django.db.models import F, Q
from django.http import Http404

from leads.models import SCORE_FIELDS, Activity, Lead, LeadQuerySet, LeadStatus, ScoreEvent
from leads.parsing import storable_text_problem

FACETS_CACHE_KEY = "leads:facets"
ATTRIBUTES_CACHE_KEY = "leads:attribute-names"  # an import forgets it: a new column is a field at once
ACTIVITY_TYPES_CACHE_KEY = "leads:activity-types"


def lead_get(*, external_id: str) -> Lead | None:
    if storable_text_problem(external_id):
        return None  # no stored id holds such text, and PostgreSQL refuses to compare with it
    return Lead.objects.filter(external_id=external_id).first()


def lead_to_label(*, external_id: str) -> Lead | None:
    """The lead a label is about: its id, external id, company and the score a rep saw (the label
    path reads nothing else, and every API label starts here)."""
    if storable_text_problem(external_id):
        return None
    return (
        Lead.rows.filter(external_id=external_id)
        # the attributes LeadManager fills, which the django-stubs plugin takes for a clash
        .annotate(score=F("current__score"), model_version=F("current__model_version"))  # type: ignore[no-redef]
        .only("id", "external_id", "company")
        .order_by()
        .first()
    )


def lead_get_or_404(*, external_id: str) -> Lead:
    """For pages: the lead, or a 404 page."""
    lead = lead_get(external_id=external_id)
    if lead is None:
        raise Http404("No such lead.")
    return lead


ACTIVITIES_SHOWN = 200  # a lead page lists this many of a lead's activities, newest first


def lead_activities(*, lead: Lead, limit: int = ACTIVITIES_SHOWN) -> list[Activity]:
    return list(lead.activities.order_by("-occurred_at")[:limit])


def lead_score_history(*, lead: Lead, limit: int = 50) -> list[ScoreEvent]:
    """Labels, undos and big score moves of a lead, newest first."""
    return list(lead.score_events.select_related("user").order_by("-recorded_at", "-id")[:limit])


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
    """What the lead list filters by. The list, its CSV export and the API's sync and CSV all apply
    them through ``leads_matching``, so a filter cannot work on one and be ignored by another."""

    status: str = "open"  # a LeadStatus value; anything else ("all", "") for every status
    industry: str = ""
    source: str = ""
    q: str = ""  # an external id (exactly, any case) or part of a company name
    sort: str = "score"  # the list's order (a key of SORTS); the sync and the export keep their own
    score_min: float | None = None  # P(convert), 0..1
    score_max: float | None = None
    expected_value_min: float | None = None
    uncertainty_min: float | None = None  # 0..0.5
    reason: str = ""  # a reason code of the lead's label


# `score`, `expected_value` and `uncertainty` below are LeadManager's annotations (the current score),
# which the django-stubs plugin cannot see: hence the targeted ignores on those lookups.
def leads_matching(leads: LeadQuerySet, filters: LeadFilters) -> LeadQuerySet:
    """``leads`` narrowed by every filter of ``filters`` (the one place they are applied)."""
    if filters.status in LeadStatus.values:
        leads = leads.filter(status=filters.status)
    if filters.industry:
        leads = leads.filter(industry=filters.industry)
    if filters.source:
        leads = leads.filter(source=filters.source)
    if filters.score_min is not None:
        leads = leads.filter(score__gte=filters.score_min)  # type: ignore[misc]
    if filters.score_max is not None:
        leads = leads.filter(score__lte=filters.score_max)  # type: ignore[misc]
    if filters.expected_value_min is not None:
        leads = leads.filter(expected_value__gte=filters.expected_value_min)  # type: ignore[misc]
    if filters.uncertainty_min is not None:
        leads = leads.filter(uncertainty__gte=filters.uncertainty_min)  # type: ignore[misc]
    if filters.reason:
        leads = leads.filter(label__reason__code=filters.reason)
    if filters.q:
        leads = leads.filter(Q(external_id__iexact=filters.q) | Q(company__icontains=filters.q))
    return leads


def lead_list(*, filters: LeadFilters) -> LeadQuerySet:
    leads = leads_matching(Lead.objects.get_queryset(), filters)
    return leads.order_by(*SORTS.get(filters.sort, SORTS["score"]))


def stored_fields(columns: Sequence[str]) -> list[str]:
    """The lead's own fields among ``columns`` (score columns are always read, through LeadManager)."""
    return [name for name in columns if name not in SCORE_FIELDS]


LIST_COLUMNS = (
    "external_id",
    "company",
    "industry",
    "source",
    "status",
    "score",
    "fit_score",
    "behavior_score",
    "expected_value",
    "uncertainty",
)


COUNT_CAP = 1000  # the list says "1,000+ leads" beyond this: counting a million leads per page costs too much
PAST_END_CAP = 10 * COUNT_CAP  # a page past the end counts this far at most to find the last page


@dataclass(frozen=True)
class LeadPage:
    rows: list[Lead]
    number: int  # the page shown: the last one when the one asked for is past the end
    size: int
    has_next: bool
    matches: int  # how many leads match, or at least how many when ``more``
    more: bool = False  # more than ``matches`` match (the count stopped there)

    @property
    def pages(self) -> int | None:
        """How many pages there are, when the count is exact."""
        return None if self.more else _pages(self.matches, self.size)


def _pages(matches: int, size: int) -> int:
    return max(1, -(-matches // size))


def _page_rows(filters: LeadFilters, number: int, size: int) -> tuple[list[Lead], bool]:
    """One page of the list and whether another follows: reads ``size + 1`` rows."""
    start = (max(number, 1) - 1) * size
    leads = lead_list(filters=filters).only(*stored_fields(LIST_COLUMNS))
    if SORTS.get(filters.sort, SORTS["score"])[0].lstrip("-") not in SCORE_FIELDS:
        rows = list(leads[start : start + size + 1])
        return rows[:size], len(rows) > size
    # A score sort walks that column's index in the score table (an inner join; over the LEFT JOIN
    # every lead would be sorted: 0.5 s at 1M); leads not scored yet follow the scored ones.
    rows = list(leads.scored()[start : start + size + 1])
    if len(rows) <= size:
        scored_total = start + len(rows) if rows else leads.scored().count()
        unscored = leads.filter(current__isnull=True).order_by("id")
        skip = max(start - scored_total, 0)
        rows += list(unscored[skip : skip + size + 1 - len(rows)])
    return rows[:size], len(rows) > size


def lead_count(*, filters: LeadFilters, cap: int) -> int:
    """How many leads match, counted up to ``cap + 1`` at most (a short scan however many there are)."""
    return leads_matching(Lead.objects.get_queryset(), filters).order_by()[: cap + 1].count()


def lead_page(*, filters: LeadFilters, number: int, size: int, cap: int = COUNT_CAP) -> LeadPage:
    """One page of the list and how many leads match, never counting the whole match (a COUNT(*)
    over 100k leads costs more than the page itself): a page that is not full gives the count, a
    page past the end counts no further than its offset or PAST_END_CAP and shows the last page it
    can place, and otherwise the count stops at ``cap``."""
    number = max(number, 1)
    rows, has_next = _page_rows(filters, number, size)
    start = (number - 1) * size
    if not rows and number > 1:
        # The page is empty: at most ``start`` match. Counted up to PAST_END_CAP: beyond it (a far
        # page of a big list, a hand-edited URL) the page at that depth is shown, not the last one.
        matches = lead_count(filters=filters, cap=min(start - 1, PAST_END_CAP))
        counted = min(matches, PAST_END_CAP)
        number = _pages(counted, size)
        rows, has_next = _page_rows(filters, number, size)
        return LeadPage(rows=rows, number=number, size=size, has_next=has_next, matches=counted, more=matches > counted)
    if not has_next:
        return LeadPage(rows=rows, number=number, size=size, has_next=False, matches=start + len(rows))
    if start + size >= cap:  # this far in, more than the cap match: no need to count them
        return LeadPage(rows=rows, number=number, size=size, has_next=True, matches=start + size, more=True)
    matches = lead_count(filters=filters, cap=cap)
    return LeadPage(rows=rows, number=number, size=size, has_next=True, matches=min(matches, cap), more=matches > cap)


def leads_exist() -> bool:
    """Does the database hold any lead yet (a new team's first visit)?"""
    return Lead.rows.exists()


def lead_facets() -> dict[str, list[str]]:
    """Industries and sources to filter by; a DISTINCT over every lead, so cached for a few minutes."""
    return cast(dict[str, list[str]], cache.get_or_set(FACETS_CACHE_KEY, _lead_facets, timeout=300))


def _lead_facets() -> dict[str, list[str]]:
    return {
        "industry": list(
            Lead.objects.exclude(industry="").order_by().values_list("industry", flat=True).distinct()[:200]
        ),
        "source": list(Lead.objects.exclude(source="").order_by().values_list("source", flat=True).distinct()[:200]),
    }


def lead_summaries(*, lead_ids: Sequence[int]) -> dict[int, dict[str, object]]:
    rows = Lead.objects.filter(id__in=list(lead_ids)).values("id", "external_id", "company", "industry", "score")  # type: ignore[misc]
    return {row["id"]: {**row, "current": row["score"]} for row in rows}


FIELD_SAMPLE = 2000


def attribute_names(*, sample: int = FIELD_SAMPLE) -> list[str]:
    """The custom attribute names of the newest ``sample`` leads, sorted (cached a few minutes)."""

    def read() -> list[str]:
        names: set[str] = set()
        for attributes in Lead.rows.order_by("-id").values_list("attributes", flat=True)[:sample]:
            names.update(attributes or {})
        return sorted(names)

    return list(cache.get_or_set(ATTRIBUTES_CACHE_KEY, read, timeout=300) or ())


def attribute_in_use(*, name: str) -> bool:
    """Does any lead carry the custom attribute ``name`` (a full scan: for an admin's save, not a page)?"""
    return Lead.rows.filter(attributes__has_key=name).exists()


def activity_type_names(*, sample: int = 10 * FIELD_SAMPLE) -> list[str]:
    """The activity types among the newest ``sample`` events, sorted (cached a few minutes)."""

    def read() -> list[str]:
        return sorted(set(Activity.objects.order_by("-id").values_list("type", flat=True)[:sample]))

    return list(cache.get_or_set(ACTIVITY_TYPES_CACHE_KEY, read, timeout=300) or ())
