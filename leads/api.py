from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, Field, field_validator

from config.apiauth import refuse_unknown_parameters, responses, token_auth
from config.roles import ADMINS, MANAGERS, READERS, signed_in_user
from feedback.selectors import lead_label
from leads.export import leads_csv_response
from leads.models import Lead, LeadStatus
from leads.parsing import missing_columns, offset_problem, open_value_problem, positive_problem, storable_text_problem
from leads.selectors import LeadFilters, lead_get
from leads.services import ImportResult, import_activities, import_finish, import_leads
from leads.sync import SyncCursor, SyncFilters, lead_sync_page, sync_more
from learning.scoring import explain_leads
from learning.selectors import known_activity_types, next_actions, next_actions_for

router = Router(tags=["leads"])
# The enums the schema states, from the models' choices.
LeadStatusValue = Literal["open", "converted", "not_converted"]
LeadStatusFilter = Literal["", "open", "converted", "not_converted"]
OutcomeValue = Literal["converted", "not_converted"]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_BULK = 10_000
MIN_YEAR, MAX_YEAR = 1900, 2200  # what an import accepts as a date


class LabelOut(Schema):
    outcome: OutcomeValue
    reason: str | None
    note: str
    fields: list[str] = Field(description="the lead fields the rep marked as the real reason; [] when none")
    user: str | None
    source: Literal["rep", "api", "import"]
    created_at: datetime


class NextActionOut(Schema):
    code: str
    label: str
    expected_value: float = Field(description="P(convert) × the action's value")


FIT_SCORE = "0..100: the profile's part of the score (100 × the sigmoid of its columns' contributions)"
BEHAVIOR_SCORE = "0..100: the activity's part of the score (100 × the sigmoid of its columns' contributions)"


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
    created_at: datetime | None = Field(description="when the lead was created, as imported (null: not given)")
    attributes: dict[str, Any]
    status: LeadStatusValue
    score: float | None = Field(description="P(convert), 0..1")
    fit_score: float | None = Field(description=FIT_SCORE)
    behavior_score: float | None = Field(description=BEHAVIOR_SCORE)
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
            "fields": list(label.fields or []),
            "user": label.user.get_username() if label.user else None,
            "source": label.source,
            "created_at": label.created_at,
        },
    }


class ActivitiesBulkIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a mistyped option is a 400, never ignored

    items: list[dict[str, Any]] = Field(max_length=MAX_BULK, description="events: `lead`, `type`, `occurred_at`")


class BulkIn(Schema):
    model_config = ConfigDict(extra="forbid")  # a mistyped option (outcome_colum) is a 400, never ignored

    items: list[dict[str, Any]] = Field(max_length=MAX_BULK)
    outcome_column: str | None = None
    positive: str | None = None
    open_values: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="leads: outcome values meaning the lead is still open (it stays open; an outcome an earlier "
        "import gave it is withdrawn)",
    )
    outcome_date_column: str | None = Field(
        None, description="leads: the item key holding when the outcome happened; otherwise dated at import"
    )

    @field_validator("outcome_column", "positive", "outcome_date_column")
    @classmethod
    def storable(cls, value: str | None) -> str | None:
        if value is not None and (problem := storable_text_problem(value)):
            raise ValueError(problem)
        return value

    def check_columns(self) -> None:
        """400 naming the field, as the CSV importer refuses a file: an option that needs the outcome
        column without it, or a column no item has (a typo would leave every lead unlabeled)."""
        for name in ("positive", "outcome_date_column", "open_values"):
            if getattr(self, name) not in (None, []) and self.outcome_column is None:
                raise HttpError(400, f"{name}: needs outcome_column")
        if problem := positive_problem(self.positive):
            raise HttpError(400, f"positive: {problem}")
        if problem := open_value_problem(self.positive, self.open_values):
            raise HttpError(400, f"open_values: {problem}")
        for name in ("outcome_column", "outcome_date_column"):
            column = getattr(self, name)
            if column is not None and (missing := missing_columns(rows=self.items, columns=[column])):
                raise HttpError(400, f"{name}: missing required column(s): {', '.join(missing)}; no item has that key")


class BulkOut(Schema):
    imported: int
    labels: int
    rejected: int
    errors: list[dict[str, Any]] = Field(description="items left out: {item (1-based), field, message}")
    warnings: list[dict[str, Any]] = Field(
        default_factory=list, description="values left out of items that were saved: {item, field, message}"
    )
    duplicates: int | None = Field(
        None,
        description="activities: events already stored (or sent twice), skipped and not in imported; null for leads",
    )
    reopened: int = Field(0, description="leads: imported outcomes withdrawn because an item says its lead is open")
    notices: list[str] = Field(default_factory=list, description="about the items as a whole, not one item")


def _bulk_out(result: ImportResult) -> dict[str, Any]:
    return {
        "imported": result.imported,
        "labels": result.labels,
        "rejected": result.rejected,
        "errors": [{"item": e.row, "field": e.field, "message": e.message} for e in result.errors],
        "warnings": [{"item": w.row, "field": w.field, "message": w.message} for w in result.warnings],
        "duplicates": result.duplicates,
        "reopened": result.reopened,
        "notices": result.notices,
    }


@router.post("/leads/bulk", response=responses({200: BulkOut}, 400, 413), auth=token_auth(ADMINS))
def leads_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Upsert up to 10,000 leads by external_id; the same validation as the CSV importer.
    Only an item without a usable external_id is left out (an error naming the item, 1-based, and
    field); an invalid optional value is dropped and reported as a warning, and the lead saved.
    An `outcome_column` or `outcome_date_column` that no item has is refused (400)."""
    refuse_unknown_parameters(request)
    payload.check_columns()
    result = import_leads(
        rows=enumerate(payload.items, start=1),
        outcome_column=payload.outcome_column,
        positive=payload.positive,
        outcome_date_column=payload.outcome_date_column,
        open_values=payload.open_values,
        unit="item",
    )
    import_finish(result=result, kind="leads", by=signed_in_user(request), source="API", file_name="API")
    return _bulk_out(result)


@router.post("/activities/bulk", response=responses({200: BulkOut}, 400, 413), auth=token_auth(ADMINS))
def activities_bulk(request: HttpRequest, payload: ActivitiesBulkIn) -> dict[str, Any]:
    """Insert up to 10,000 events (`lead`, `type`, `occurred_at`); an event already stored is skipped
    and counted in `duplicates` (`imported` counts the new ones), one dated more than a day ahead is
    left out as an error."""
    refuse_unknown_parameters(request)
    result = import_activities(rows=enumerate(payload.items, start=1), known_types=known_activity_types())
    import_finish(result=result, kind="activities", by=signed_in_user(request), source="API", file_name="API")
    return _bulk_out(result)


class LeadListParams(Schema):
    status: LeadStatusFilter = Field("", description="open, converted or not_converted; empty for all")
    industry: str = Field("", max_length=100)
    source: str = Field("", max_length=100)
    min_score: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    max_score: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    updated_since: datetime | None = Field(
        None, description="only leads rescored or updated after this instant (ISO 8601 with a time zone)"
    )

    @field_validator("industry", "source")
    @classmethod
    def storable(cls, value: str) -> str:
        if problem := storable_text_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("updated_since", mode="before")
    @classmethod
    def iso_instant(cls, value: Any) -> Any:
        """An ISO 8601 date-time, as the schema says (not a number of seconds, which pydantic would take)."""
        if value is not None and not (isinstance(value, str) and ISO_DATE.match(value)):
            raise ValueError("must be an ISO 8601 date-time, e.g. 2026-11-01T12:00:00Z")
        return value

    def filters(self) -> SyncFilters:
        if self.status and self.status not in LeadStatus.values:
            raise HttpError(400, f"status: must be one of {', '.join(LeadStatus.values)}")
        if self.min_score is not None and self.max_score is not None and self.max_score < self.min_score:
            raise HttpError(
                400, f"max_score: {self.max_score:g} is below min_score {self.min_score:g}: no lead could match"
            )
        return SyncFilters(
            leads=LeadFilters(
                status=self.status,
                industry=self.industry,
                source=self.source,
                score_min=self.min_score,
                score_max=self.max_score,
            ),
            changed_since=_instant("updated_since", self.updated_since),
        )


def _instant(name: str, value: datetime | None) -> datetime | None:
    """An instant a filter compares with, in UTC: 400 naming the parameter when it has no time zone,
    an offset no place on Earth uses (PostgreSQL refuses those past ±15:59, which Python accepts) or
    falls outside the years a lead's timestamps can hold."""
    if value is None:
        return None
    if timezone.is_naive(value):
        raise HttpError(400, f"{name}: give a time zone, e.g. 2026-11-01T12:00:00Z")
    if problem := offset_problem(value):
        raise HttpError(400, f"{name}: {problem}")
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise HttpError(400, f"{name}: must be an instant between the years {MIN_YEAR} and {MAX_YEAR}")
    return instant


class LeadPageParams(LeadListParams):
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page")
    limit: int = Field(100, ge=1, le=1000)


class LeadScoreOut(Schema):
    external_id: str
    company: str
    industry: str
    source: str
    status: LeadStatusValue
    deal_value: float | None
    score: float | None = Field(description="P(convert), 0..1")
    fit_score: float | None = Field(description=FIT_SCORE)
    behavior_score: float | None = Field(description=BEHAVIOR_SCORE)
    expected_value: float | None
    uncertainty: float | None
    model_version: int | None
    scored_at: datetime | None
    updated_at: datetime
    changed_at: datetime = Field(description="the later of scored_at and updated_at (what updated_since compares)")


class LeadPageOut(Schema):
    leads: list[LeadScoreOut]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last page")
    sync_started_at: datetime = Field(
        description="when this sync's snapshot was taken: the next sync's updated_since (minus a few seconds)"
    )


@router.get("/leads", response=responses({200: LeadPageOut}, 400), auth=token_auth(READERS))
def leads_list(request: HttpRequest, params: Query[LeadPageParams]) -> dict[str, Any]:
    """Leads with their scores, a page at a time. A sync (the first page and the ones its
    `next_cursor` leads to) is a snapshot of the leads that existed at its start, in id order: it
    ends after about total/limit pages whatever changes meanwhile and returns each matching lead at
    least once. For the next sync pass `updated_since` = this one's `sync_started_at` (minus a few
    seconds): it catches what changed or arrived since."""
    refuse_unknown_parameters(request, LeadPageParams)
    filters = params.filters()
    try:
        after = SyncCursor.decode(params.cursor) if params.cursor else None
    except ValueError as exc:
        raise HttpError(400, f"cursor: {exc}") from None
    leads, cursor = lead_sync_page(filters=filters, after=after, limit=params.limit)
    return {
        "leads": leads,
        "next_cursor": cursor.encode() if sync_more(cursor) else None,
        "sync_started_at": cursor.started_at,
    }


@router.get(
    "/leads.csv",
    auth=token_auth(MANAGERS),
    response=responses({200: None}, 400),
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def leads_csv(request: HttpRequest, params: Query[LeadListParams]) -> HttpResponseBase:
    """Every matching lead with its scores as CSV (streamed; cells that a spreadsheet would run as a
    formula are prefixed with a quote)."""
    refuse_unknown_parameters(request, LeadListParams)
    return leads_csv_response(filters=params.filters())


# Registered last: "/leads/bulk" must match before the catch-all path of a lead.
@router.get("/leads/{path:external_id}", response=responses({200: LeadOut}, 400, 404), auth=token_auth(READERS))
def lead_detail(request: HttpRequest, external_id: str) -> dict[str, Any]:
    refuse_unknown_parameters(request)
    lead = lead_get(external_id=external_id)
    if lead is None:
        bare = external_id.rstrip("/")  # an id may hold a slash, so "L1/" is looked up as written first
        hint = (
            f" (did you mean /api/leads/{bare}, without the trailing slash?)"
            if bare != external_id and bare and lead_get(external_id=bare) is not None
            else ""
        )
        raise HttpError(404, f"no lead with external_id {external_id!r}{hint}")
    return lead_out(lead)
