from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from config.apiauth import token_auth
from config.roles import ADMINS, MANAGERS, READERS
from feedback.selectors import lead_label
from leads.export import leads_csv_response
from leads.models import Lead, LeadStatus
from leads.selectors import lead_get
from leads.services import ImportResult, import_activities, import_announce, import_leads
from leads.sync import SyncCursor, SyncFilters, lead_sync_page
from learning.scoring import explain_leads
from learning.selectors import next_actions, next_actions_for

router = Router(tags=["leads"])
MAX_BULK = 10_000


class LabelOut(Schema):
    outcome: str
    reason: str | None
    note: str
    user: str | None
    source: str
    created_at: datetime


class NextActionOut(Schema):
    code: str
    label: str
    expected_value: float = Field(description="P(convert) × the action's value")


class LeadOut(Schema):
    external_id: str
    company: str
    industry: str
    employees: int | None
    title: str
    seniority: str
    department: str
    country: str
    source: str
    deal_value: float | None
    attributes: dict[str, Any]
    status: str
    score: float | None = Field(description="P(convert), 0..1")
    fit_score: float | None
    behavior_score: float | None
    expected_value: float | None = Field(description="P(convert) × deal value − cost per lead")
    uncertainty: float | None
    model_version: int | None = Field(description="null while scores come from the cold-start point rules")
    scored_at: datetime | None
    explanation: list[str]
    label: LabelOut | None
    next_actions: list[NextActionOut] = Field(description="eligible actions, best first (empty once labeled)")


def leads_out(leads: list[Lead]) -> list[dict[str, Any]]:
    """Many leads at once: the next-action definitions are read and the missing explanations
    computed once, not once per lead."""

    actions = next_actions()
    explain_leads(leads=leads)
    return [lead_out(lead, actions=actions) for lead in leads]


def lead_out(lead: Lead, *, actions: list[Any] | None = None) -> dict[str, Any]:

    explain_leads(leads=[lead])
    label = lead_label(lead=lead) if not lead.is_open else None
    return {
        **{
            name: getattr(lead, name)
            for name in LeadOut.model_fields
            if name not in ("label", "explanation", "next_actions")
        },
        "explanation": lead.explanation or [],
        "next_actions": [
            {"code": a.code, "label": a.label, "expected_value": a.expected_value}
            for a in next_actions_for(lead=lead, actions=actions)
        ],
        "label": None
        if label is None
        else {
            "outcome": label.outcome,
            "reason": label.reason.code if label.reason else None,
            "note": label.note,
            "user": label.user.get_username() if label.user else None,
            "source": label.source,
            "created_at": label.created_at,
        },
    }


class BulkIn(Schema):
    items: list[dict[str, Any]] = Field(max_length=MAX_BULK)
    outcome_column: str | None = None
    positive: str | None = None


class BulkOut(Schema):
    imported: int
    labels: int
    rejected: int
    errors: list[dict[str, Any]]


def _bulk_out(result: ImportResult) -> dict[str, Any]:
    return {
        "imported": result.imported,
        "labels": result.labels,
        "rejected": result.rejected,
        "errors": [{"item": e.row, "field": e.field, "message": e.message} for e in result.errors],
    }


@router.post("/leads/bulk", response=BulkOut, auth=token_auth(ADMINS))
def leads_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Upsert up to 10,000 leads by external_id; the same validation as the CSV importer.
    Errors name the item (1-based) and field; good items are saved."""
    result = import_leads(
        rows=enumerate(payload.items, start=1), outcome_column=payload.outcome_column, positive=payload.positive
    )
    import_announce(results=[result])
    return _bulk_out(result)


@router.post("/activities/bulk", response=BulkOut, auth=token_auth(ADMINS))
def activities_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Insert up to 10,000 events (`lead`, `type`, `occurred_at`); an event already stored is skipped."""
    result = import_activities(rows=enumerate(payload.items, start=1))
    import_announce(results=[result])
    return _bulk_out(result)


class LeadListParams(Schema):
    status: str = Field("", description="open, converted or not_converted; empty for all")
    industry: str = ""
    source: str = ""
    min_score: float | None = Field(None, ge=0, le=1)
    max_score: float | None = Field(None, ge=0, le=1)
    updated_since: datetime | None = Field(
        None, description="only leads rescored or updated after this instant (ISO 8601 with a time zone)"
    )

    def filters(self) -> SyncFilters:
        if self.status and self.status not in LeadStatus.values:
            raise HttpError(400, f"status: must be one of {', '.join(LeadStatus.values)}")
        if self.updated_since is not None and timezone.is_naive(self.updated_since):
            raise HttpError(400, "updated_since: give a time zone, e.g. 2026-11-01T12:00:00Z")
        return SyncFilters(
            status=self.status,
            industry=self.industry,
            source=self.source,
            score_min=self.min_score,
            score_max=self.max_score,
            changed_since=self.updated_since,
        )


class LeadPageParams(LeadListParams):
    cursor: str | None = Field(None, description="next_cursor of the previous page")
    limit: int = Field(100, ge=1, le=1000)


class LeadScoreOut(Schema):
    external_id: str
    company: str
    industry: str
    source: str
    status: str
    deal_value: float | None
    score: float | None = Field(description="P(convert), 0..1")
    fit_score: float | None
    behavior_score: float | None
    expected_value: float | None
    uncertainty: float | None
    model_version: int | None
    scored_at: datetime | None
    updated_at: datetime
    changed_at: datetime = Field(description="the later of scored_at and updated_at; the list's order")


class LeadPageOut(Schema):
    leads: list[LeadScoreOut]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last page")


@router.get("/leads", response=LeadPageOut, auth=token_auth(READERS))
def leads_list(request: HttpRequest, params: Query[LeadPageParams]) -> dict[str, Any]:
    """Leads with their scores, ordered by (changed_at, id), a page at a time.
    For CRM sync pass `updated_since` (the last sync's start, minus a few seconds) and follow `next_cursor`."""
    filters = params.filters()
    try:
        after = SyncCursor.decode(params.cursor) if params.cursor else None
    except ValueError as exc:
        raise HttpError(400, f"cursor: {exc}") from None
    leads, next_cursor = lead_sync_page(filters=filters, after=after, limit=params.limit)
    return {"leads": leads, "next_cursor": next_cursor.encode() if next_cursor else None}


@router.get("/leads.csv", auth=token_auth(MANAGERS), response={200: None})
def leads_csv(request: HttpRequest, params: Query[LeadListParams]) -> HttpResponseBase:
    """Every matching lead with its scores as CSV (streamed; cells that a spreadsheet would run as a
    formula are prefixed with a quote)."""
    return leads_csv_response(filters=params.filters())


# Registered last: "/leads/bulk" must match before the catch-all path of a lead.
@router.get("/leads/{path:external_id}", response=LeadOut, auth=token_auth(READERS))
def lead_detail(request: HttpRequest, external_id: str) -> dict[str, Any]:
    lead = lead_get(external_id=external_id)
    if lead is None:
        raise HttpError(404, f"no lead with external_id {external_id!r}")
    return lead_out(lead)
