from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from config.api import require_role
from config.roles import ADMINS, READERS
from leads.models import Lead
from leads.selectors import lead_get
from leads.services import ImportResult, import_activities, import_leads

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
    """Many leads at once: the next-action definitions are read once, not once per lead."""
    from learning.selectors import next_actions

    actions = next_actions()
    return [lead_out(lead, actions=actions) for lead in leads]


def lead_out(lead: Lead, *, actions: list[Any] | None = None) -> dict[str, Any]:
    from feedback.selectors import lead_label
    from learning.selectors import next_actions_for
    from learning.services import ensure_explanations

    ensure_explanations(leads=[lead])
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


@router.post("/leads/bulk", response=BulkOut)
def leads_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Upsert up to 10,000 leads by external_id; the same validation as the CSV importer.
    Errors name the item (1-based) and field; good items are saved."""
    require_role(request, ADMINS)
    from learning.services import rescore_requested

    result = import_leads(
        rows=enumerate(payload.items, start=1), outcome_column=payload.outcome_column, positive=payload.positive
    )
    if result.imported:
        rescore_requested()
    return _bulk_out(result)


@router.post("/activities/bulk", response=BulkOut)
def activities_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Insert up to 10,000 events (`lead`, `type`, `occurred_at`); an event already stored is skipped."""
    require_role(request, ADMINS)
    from learning.services import rescore_requested

    result = import_activities(rows=enumerate(payload.items, start=1))
    if result.imported:
        rescore_requested()
    return _bulk_out(result)


# Registered last: "/leads/bulk" must match before the catch-all path of a lead.
@router.get("/leads/{path:external_id}", response=LeadOut)
def lead_detail(request: HttpRequest, external_id: str) -> dict[str, Any]:
    require_role(request, READERS)
    lead = lead_get(external_id=external_id)
    if lead is None:
        raise HttpError(404, f"no lead with external_id {external_id!r}")
    return lead_out(lead)
